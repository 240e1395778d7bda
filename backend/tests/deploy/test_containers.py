"""Production as the plan runs it: the image built, `docker-compose.prod.yml` brought up by
`deploy/deploy.sh` against a PostgreSQL set up like DigitalOcean's managed one, nginx (the real
site file) in front, and what an operator and a manager then do, failures included.

The tests share one stack and run in file order, as a deploy's life goes: release A deployed,
used (browser specs, exports, load, backup), then a release whose migration fails, a release
that is unhealthy, a good release B, and a bare rollback. See tests/deploy/containers.py for the
engine, the base images and the managed-like database; DEPLOY.md, "What is proved in CI, and
what is not".
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.deploy.containers import (
    GATEWAY,
    DockerEngine,
    ManagedPostgres,
    checkout_copy,
    git,
    sh,
)
from tests.deploy.topology import (
    BACKEND_DIR,
    ROOT,
    free_port,
    nginx_binary,
    nginx_test,
    render_main_conf,
    render_site,
)

APP_ID = "sq0idp-teliporter-containers"
APP_SECRET = "sq0csp-teliporter-containers-secret"
PASSWORD = "Steady-Pass-123"
# Building images and running four deploys takes minutes, not the suite's usual 300 s a test.
pytestmark = pytest.mark.timeout(1200)

THROUGH_NGINX = (
    "tests/auth.spec.ts",
    "tests/square.spec.ts",
    "tests/footfall.spec.ts",
    "tests/settings.spec.ts",
)


@dataclass
class Stack:
    engine: DockerEngine
    db: ManagedPostgres
    checkout: Path
    workdir: Path
    http_port: int
    api_port: int
    sim_port: int
    nginx_conf: Path
    nginx_prefix: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    releases: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sim_url(self) -> str:
        return f"http://{GATEWAY}:{self.sim_port}"

    def env(self, **extra: str) -> dict[str, str]:
        """deploy.sh's environment: this engine, this checkout, this machine's nginx and ports."""
        prefix, conf = self.nginx_prefix, self.nginx_conf
        nginx = nginx_binary()
        return {
            **self.engine.env,
            "TELIPORTER_DIR": str(self.checkout),
            "SKIP_PULL": "1",
            "TELIPORTER_COMPOSE_OVERRIDE": str(self.workdir / "override.yml"),
            "HEALTH_URL": f"http://127.0.0.1:{self.api_port}/api/v1/health",
            "HEALTH_TIMEOUT": "120",
            "NGINX_RELOAD_CMD": (
                f"{nginx} -t -q -p {prefix}/ -c {conf} && {nginx} -s reload -p {prefix}/ -c {conf}"
            ),
            **extra,
        }

    def deploy(self, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.script("deploy.sh", **extra)

    def script(self, name: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(self.checkout / "deploy" / name), *args],
            cwd=self.checkout,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )

    def compose(self, *args: str) -> str:
        return sh(
            "docker",
            "compose",
            "-f",
            "docker-compose.prod.yml",
            "-f",
            str(self.workdir / "override.yml"),
            *args,
            cwd=self.checkout,
            env=self.env(),
            timeout=300,
        ).stdout

    def running_tag(self, container: str = "teliporter-backend") -> str:
        image = self.engine.docker("inspect", "-f", "{{.Config.Image}}", container).stdout.strip()
        return image.rsplit(":", 1)[1]

    def live_spa(self) -> str:
        return httpx.get(f"{self.url}/", timeout=10).text

    def history(self) -> str:
        return (self.checkout / ".deploy" / "history").read_text()

    def commit(self, message: str, changes: dict[str, str | None], base: str | None = None) -> str:
        """A new commit on top of `base`'s tree (default HEAD) with files changed or deleted."""
        if base is not None:
            git(self.checkout, "checkout", "-q", base, "--", ".")
        for name, text in changes.items():
            path = self.checkout / name
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        git(self.checkout, "add", "-A")
        git(self.checkout, "commit", "-q", "-m", message)
        return git(self.checkout, "rev-parse", "--short=12", "HEAD")


def wait_for(what: str, probe: Any, timeout: float = 120.0, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def write_env(stack: Stack) -> None:
    from cryptography.fernet import Fernet

    callback = f"{stack.url}/api/v1/square/callback"
    env = stack.checkout / "backend" / ".env"
    # The plan's file, with this machine's database, secrets, origin and Square (the simulator).
    env.write_text(
        "APP_NAME=Teliporter Reporting Platform\n"
        "DEBUG=False\n"
        f"DATABASE_URL={stack.db.url()}\n"
        "REDIS_URL=redis://localhost:6379/0\n"
        f"SECRET_KEY={secrets.token_hex(32)}\n"
        "ALGORITHM=HS256\n"
        "ACCESS_TOKEN_EXPIRE_MINUTES=1\n"
        "REFRESH_TOKEN_EXPIRE_DAYS=7\n"
        f'CORS_ORIGINS=["{stack.url}"]\n'
        f"SQUARE_APPLICATION_ID={APP_ID}\n"
        f"SQUARE_APPLICATION_SECRET={APP_SECRET}\n"
        "SQUARE_ENVIRONMENT=simulator\n"
        f"SQUARE_API_BASE_URL={stack.sim_url}\n"
        f"SQUARE_REDIRECT_URI={callback}\n"
        f"ENCRYPTION_KEY={Fernet.generate_key().decode()}\n"
        "CELERY_BROKER_URL=redis://localhost:6379/0\n"
        "CELERY_RESULT_BACKEND=redis://localhost:6379/0\n"
        # As the browser suite's own server sets them: every spec signs in from one address.
        "LOGIN_MAX_FAILURES_PER_ADDRESS=1000\n"
        "REGISTER_MAX_PER_ADDRESS=1000\n"
        "PASSWORD_HASH_TIME_COST=1\n"
        "PASSWORD_HASH_MEMORY_KIB=1024\n"
    )
    env.chmod(0o600)
    # Only what must differ on this machine: no host port for Redis (the host runs its own on
    # 6379), the API on a free loopback port.
    (stack.workdir / "override.yml").write_text(
        "services:\n"
        "  redis:\n"
        "    ports: !reset []\n"
        "  backend:\n"
        "    ports: !override\n"
        f'      - "127.0.0.1:{stack.api_port}:8000"\n'
    )


def start_nginx(stack: Stack) -> None:
    prefix = stack.nginx_prefix
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
    site = prefix / "teliporter.conf"
    site.write_text(
        render_site(
            http_port=stack.http_port,
            api_port=stack.api_port,
            dist=stack.checkout / "frontend" / "dist",
            log_dir=stack.workdir,
        )
    )
    stack.nginx_conf.write_text(render_main_conf(prefix=prefix, site=site))
    checked = nginx_test(stack.nginx_conf, prefix)
    assert checked.returncode == 0, checked.stderr
    stack.processes["nginx"] = subprocess.Popen(
        [nginx_binary(), "-p", f"{prefix}/", "-c", str(stack.nginx_conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def start_simulator(stack: Stack) -> None:
    # On every interface: the containers reach it at the compose network's gateway, as the
    # browser does (the authorize page), so one SQUARE_API_BASE_URL serves both.
    stack.processes["simulator"] = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "square_simulator",
            "serve",
            "--host",
            "0.0.0.0",  # noqa: S104 (the containers reach it through the gateway)
            "--port",
            str(stack.sim_port),
            "--seed",
            "42",
            "--years",
            "0.1",
            "--accounts",
            "2",
            "--locations",
            "2",
            "--app",
            f"{APP_ID}:{APP_SECRET}:{stack.url}/api/v1/square/callback",
        ],
        cwd=BACKEND_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = f"http://127.0.0.1:{stack.sim_port}/_simulator/accounts"
    wait_for("the simulator", lambda: httpx.get(local).status_code == 200, 60, 0.3)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    workdir = Path(tempfile.mkdtemp(prefix="tp-containers-"))
    engine = DockerEngine()
    db = ManagedPostgres()
    stack: Stack | None = None
    try:
        engine.start()
        engine.build_base_images()
        checkout = checkout_copy(workdir / "teliporter")
        certs = checkout / "certs"
        # DEPLOY.md: the console's CA certificate, readable by the containers' uid 10001.
        db.create(certs)
        (certs / "ca.crt").rename(certs / "ca-certificate.crt")
        for name in ("server.crt",):
            (certs / name).unlink()
        db.ca = certs / "ca-certificate.crt"
        stack = Stack(
            engine=engine,
            db=db,
            checkout=checkout,
            workdir=workdir,
            http_port=free_port(),
            api_port=free_port(),
            sim_port=free_port(),
            nginx_conf=workdir / "nginx" / "nginx.conf",
            nginx_prefix=workdir / "nginx",
        )
        write_env(stack)
        start_nginx(stack)
        start_simulator(stack)
        yield stack
    finally:
        if stack is not None:
            for name, proc in stack.processes.items():
                proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        engine.stop()
        db.drop()
        shutil.rmtree(workdir, ignore_errors=True)


class SignedIn(httpx.Auth):
    """A bearer token, signed in again when it lapses (the stack's tokens last one minute, as the
    browser suite's silent-refresh spec needs)."""

    def __init__(self, base: str, email: str) -> None:
        self.base, self.email, self.token = base, email, ""

    def sign_in(self) -> str:
        answer = httpx.post(
            f"{self.base}/api/v1/auth/login",
            json={"email": self.email, "password": PASSWORD},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]
        return self.token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token or self.sign_in()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.sign_in()}"
            yield request


def sign_up(base: str, email: str) -> httpx.Client:
    registered = httpx.post(
        f"{base}/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Ops Tester",
            "organization_name": f"Org {email}",
        },
        timeout=60,
    )
    assert registered.status_code == 201, registered.text
    return httpx.Client(base_url=base, timeout=120, auth=SignedIn(base, email))


def connect_square(stack: Stack, client: httpx.Client, account: int) -> None:
    """Through the simulator's authorize page and the callback, via nginx, as a browser would."""
    accounts = httpx.get(f"http://127.0.0.1:{stack.sim_port}/_simulator/accounts").json()
    merchant = accounts["accounts"][account]["merchant_id"]
    authorize_url = client.get("/api/v1/square/connect").json()["authorize_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    decided = httpx.post(
        f"http://127.0.0.1:{stack.sim_port}/oauth2/authorize",
        data={
            **{k: query[k] for k in ("client_id", "scope", "state", "redirect_uri")},
            "merchant_id": merchant,
            "decision": "approve",
        },
    )
    # The client that asked brings back the OAuth cookie (host 127.0.0.1, the callback's path).
    callback = client.get(decided.headers["location"], follow_redirects=False)
    assert callback.status_code == 303, callback.text
    assert "square=connected" in callback.headers["location"]


# --- release A --------------------------------------------------------------------------------


def test_deploy_builds_one_image_and_serves_the_site_through_nginx(stack: Stack) -> None:
    tag = git(stack.checkout, "rev-parse", "--short=12", "HEAD")
    result = stack.deploy()
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    stack.releases["A"] = tag
    # One image for the four app services, built once, tagged with the commit.
    images = stack.engine.docker("image", "ls", "teliporter-backend", "--format", "{{.Tag}}")
    assert images.stdout.split() == [tag]
    for container in (
        "teliporter-backend",
        "teliporter-celery-worker",
        "teliporter-celery-backfill",
        "teliporter-celery-beat",
    ):
        assert stack.running_tag(container) == tag
    # The SPA is a release folder behind a symlink, served by nginx with its API.
    dist = stack.checkout / "frontend" / "dist"
    assert dist.is_symlink() and (dist / "index.html").exists()
    page = httpx.get(f"{stack.url}/", timeout=10)
    assert page.status_code == 200 and '<div id="root">' in page.text
    health = httpx.get(f"{stack.url}/api/v1/health", timeout=10).json()
    assert health["status"] == "ok", health
    # The API reaches the database over TLS that checks the server (verify-full with the CA).
    ssl_rows = stack.db.psql(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
        "WHERE a.usename = 'teliporter' AND s.ssl",
        database="teliporter",
    )
    assert int(ssl_rows) >= 1
    # Each worker container takes its own queue: the default one, and first syncs' history.
    for container, queue, other in (
        ("teliporter-celery-worker", "celery", "backfill"),
        ("teliporter-celery-backfill", "backfill", "celery"),
    ):
        node = "celery" if queue == "celery" else "backfill"
        queues = stack.engine.docker(
            "exec",
            container,
            "sh",
            "-c",
            f'celery -A app.celery_app:celery_app inspect active_queues -d "{node}@$HOSTNAME" '
            "--timeout 20",
            timeout=120,
        ).stdout
        assert f"'name': '{queue}'" in queues and f"'name': '{other}'" not in queues, queues


def test_the_browser_specs_pass_through_nginx(stack: Stack) -> None:
    result = subprocess.run(
        ["npx", "playwright", "test", *THROUGH_NGINX],
        cwd=ROOT / "frontend",
        env={**os.environ, "TOPOLOGY_URL": stack.url},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    assert " passed" in result.stdout


def test_exports_download_through_nginx_from_the_containers(stack: Stack) -> None:
    client = sign_up(stack.url, "exports@example.com")
    connect_square(stack, client, account=0)
    today = dt.date.today()
    period = {"date_from": str(today - dt.timedelta(days=13)), "date_to": str(today)}
    # Direct: the API writes the workbook in its container and streams it.
    direct = client.get("/api/v1/reports/export.xlsx", params=period)
    assert direct.status_code == 200, direct.text[:500]
    assert "Summary" in zipfile.ZipFile(io.BytesIO(direct.content)).read("xl/workbook.xml").decode()
    # Background: the worker writes it, the API serves it (one volume, two containers).
    queued = client.post("/api/v1/reports/exports", json=period)
    assert queued.status_code == 202, queued.text
    export_id = queued.json()["id"]

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/v1/reports/exports/{export_id}").json()
        return body if body["state"] in {"done", "failed"} else None

    final = wait_for("the background export", finished, 180)
    assert final["state"] == "done", final
    download = client.get(f"/api/v1/reports/exports/{export_id}/download")
    assert download.status_code == 200, download.text[:500]
    book = zipfile.ZipFile(io.BytesIO(download.content))
    assert "Summary" in book.read("xl/workbook.xml").decode()


def test_the_connection_budget_holds_under_load_a_sync_and_a_backup(stack: Stack) -> None:
    """48 concurrent report requests, three times over, while a first sync runs and backup.sh
    dumps the database: no error, and the 25-connection cluster keeps room for an operator."""
    client = sign_up(stack.url, "load@example.com")
    connect_square(stack, client, account=1)
    today = dt.date.today()
    period = {"date_from": str(today - dt.timedelta(days=60)), "date_to": str(today)}
    paths = [
        ("/api/v1/reports/summary", {}),
        ("/api/v1/reports/timeseries", {"granularity": "day"}),
        ("/api/v1/reports/breakdown", {"by": "location"}),
        ("/api/v1/reports/breakdown", {"by": "item"}),
        ("/api/v1/reports/heatmap", {}),
        ("/api/v1/footfall", {}),
    ]
    auth = client.auth
    peak = {"connections": 0}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            count = stack.db.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = 'teliporter'",
                database="teliporter",
            )
            peak["connections"] = max(peak["connections"], int(count))
            time.sleep(0.2)

    def one(index: int) -> tuple[int, str]:
        path, extra = paths[index % len(paths)]
        with httpx.Client(base_url=stack.url, timeout=120) as c:
            answer = c.get(path, params={**period, **extra}, auth=auth)
        return answer.status_code, answer.text[:200]

    def connection() -> dict[str, Any]:
        items: list[dict[str, Any]] = client.get("/api/v1/square/connections").json()["items"]
        return items[0]

    # The first sync (queued by the callback) has not finished: it runs beside the load.
    assert connection()["last_sync_at"] is None
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    backup = subprocess.Popen(
        ["bash", str(stack.checkout / "deploy" / "backup.sh"), "--out", str(stack.workdir / "b")],
        cwd=stack.checkout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    answers: list[tuple[int, str]] = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=48) as pool:
            for _ in range(3):
                answers += list(pool.map(one, range(48)))
        out, _ = backup.communicate(timeout=300)
    finally:
        stop.set()
        watcher.join(timeout=5)
    errors = [a for a in answers if a[0] != 200]
    assert not errors, f"{len(errors)} of {len(answers)} failed: {errors[:5]}"
    assert backup.returncode == 0, out
    synced = wait_for("the first sync", lambda: connection()["last_sync_at"], 300, 2)
    assert synced and connection()["status"] == "active", connection()
    # Afterwards an operator still connects (psql, a migration, create_admin all need one).
    assert stack.db.psql("SELECT 1", user="teliporter", database="teliporter") == "1"
    assert peak["connections"] <= 22 - 4, peak
    print(f"connection test: {len(answers)} answers, peak {peak['connections']} app connections")


def test_backup_and_restore_into_a_database_created_from_the_console(stack: Stack) -> None:
    out = stack.workdir / "backups"
    made = stack.script("backup.sh", "--out", str(out))
    assert made.returncode == 0, made.stdout + made.stderr
    [backup] = sorted(out.glob("backup_*.sql.gz"))
    # A scratch database made the console's way (owned by doadmin), handed over as DEPLOY.md says.
    stack.db.psql("CREATE DATABASE teliporter_restore")
    stack.db.psql("ALTER DATABASE teliporter_restore OWNER TO teliporter")
    target = stack.db.url(database="teliporter_restore")
    first = stack.script("restore.sh", str(backup), target)
    assert first.returncode == 0, first.stdout + first.stderr
    # Again over what is there (--force), quietly: no NOTICE lines for the operator to read.
    again = stack.script("restore.sh", "--force", str(backup), target)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "NOTICE" not in again.stdout + again.stderr
    counts = "SELECT count(*) FROM user_account"
    live = stack.db.psql(counts, user="teliporter", database="teliporter")
    restored = stack.db.psql(counts, user="teliporter", database="teliporter_restore")
    assert restored == live and int(live) >= 2


# --- releases after A: failures and rollbacks -------------------------------------------------


def spa_title(text: str) -> str:
    return text.split("<title>", 1)[1].split("</title>", 1)[0]


def with_title(stack: Stack, title: str) -> str:
    index = (stack.checkout / "frontend" / "index.html").read_text()
    return index.replace(f"<title>{spa_title(index)}</title>", f"<title>{title}</title>")


class Watcher:
    """GETs / through nginx every 50 ms while a deploy runs: every answer must be the SPA."""

    def __init__(self, url: str) -> None:
        self.url, self.stop = url, threading.Event()
        self.bad: list[int] = []
        self.titles: set[str] = set()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                answer = client.get(f"{self.url}/")
                if answer.status_code != 200 or "<title>" not in answer.text:
                    self.bad.append(answer.status_code)
                else:
                    self.titles.add(spa_title(answer.text))
                time.sleep(0.05)

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def head_revision() -> str:
    return sh(
        str(Path(sys.executable).parent / "alembic"), "heads", cwd=BACKEND_DIR
    ).stdout.split()[0]


def test_a_failed_migration_leaves_the_old_release_and_its_spa_serving(stack: Stack) -> None:
    a = stack.releases["A"]
    before = stack.live_spa()
    migration = (
        '"""A migration that fails."""\n\n'
        'revision = "ffff_fails"\n'
        f'down_revision = "{head_revision()}"\n'
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        '    raise RuntimeError("this migration fails on purpose")\n\n\n'
        "def downgrade() -> None:\n    pass\n"
    )
    bad = stack.commit(
        "a release whose migration fails",
        {
            "backend/alembic/versions/ffff_fails.py": migration,
            "frontend/index.html": with_title(stack, "Teliporter (failed migration)"),
        },
    )
    with Watcher(stack.url) as watcher:
        result = stack.deploy()
    assert result.returncode != 0, result.stdout[-3000:]
    assert "migration" in (result.stdout + result.stderr).lower()
    assert not watcher.bad, watcher.bad
    assert watcher.titles == {spa_title(before)}
    assert stack.running_tag() == a
    assert stack.live_spa() == before
    assert httpx.get(f"{stack.url}/api/v1/health", timeout=10).json()["status"] == "ok"
    assert any(bad in line and "failed" in line for line in stack.history().splitlines())


def test_an_unhealthy_release_is_rolled_back_image_and_spa(stack: Stack) -> None:
    a = stack.releases["A"]
    before = stack.live_spa()
    main = (stack.checkout / "backend" / "app" / "main.py").read_text()
    bad = stack.commit(
        "a release that never becomes healthy",
        {
            "backend/alembic/versions/ffff_fails.py": None,
            "backend/app/main.py": main + '\nraise RuntimeError("this release cannot start")\n',
            "frontend/index.html": with_title(stack, "Teliporter (unhealthy)"),
        },
        base=a,
    )
    with Watcher(stack.url) as watcher:
        result = stack.deploy(HEALTH_TIMEOUT="45")
    assert result.returncode != 0, result.stdout[-3000:]
    assert not watcher.bad, watcher.bad
    assert watcher.titles == {spa_title(before)}
    assert stack.running_tag() == a
    assert stack.running_tag("teliporter-celery-worker") == a
    assert stack.live_spa() == before
    wait_for(
        "the rolled-back release's health",
        lambda: httpx.get(f"{stack.url}/api/v1/health", timeout=10).json()["status"] == "ok",
    )
    assert any(bad in line and "failed" in line for line in stack.history().splitlines())


def test_a_bare_rollback_skips_failed_releases(stack: Stack) -> None:
    a = stack.releases["A"]
    compose = (stack.checkout / "docker-compose.prod.yml").read_text()
    marked = compose.replace(
        "    container_name: teliporter-backend\n",
        "    container_name: teliporter-backend\n    labels:\n      teliporter.release: b\n",
    )
    assert marked != compose
    b = stack.commit(
        "release B",
        {
            "backend/app/main.py": (stack.checkout / "backend" / "app" / "main.py")
            .read_text()
            .replace('\nraise RuntimeError("this release cannot start")\n', ""),
            "frontend/index.html": with_title(stack, "Teliporter B"),
            "docker-compose.prod.yml": marked,
        },
        base=a,
    )
    deployed = stack.deploy()
    assert deployed.returncode == 0, (deployed.stdout + deployed.stderr)[-6000:]
    assert stack.running_tag() == b
    assert spa_title(stack.live_spa()) == "Teliporter B"
    labels = stack.engine.docker("inspect", "-f", "{{json .Config.Labels}}", "teliporter-backend")
    assert "teliporter.release" in labels.stdout

    back = stack.script("rollback.sh")
    assert back.returncode == 0, (back.stdout + back.stderr)[-6000:]
    # The newest healthy release before B is A: the two failed ones in between are skipped.
    assert stack.running_tag() == a
    assert spa_title(stack.live_spa()) != "Teliporter B"
    # A's own compose file ran it: B's label is gone with B.
    labels = stack.engine.docker("inspect", "-f", "{{json .Config.Labels}}", "teliporter-backend")
    assert "teliporter.release" not in labels.stdout
    assert httpx.get(f"{stack.url}/api/v1/health", timeout=10).json()["status"] == "ok"
