"""The production topology minus Docker, on loopback ports: a harness for tests and browser e2e.

    nginx (deploy/nginx/teliporter.conf, inside Debian's own nginx.conf)
      ├─ /        → the SPA's dist folder (frontend/dist if built, else a small stand-in)
      └─ /api/    → uvicorn app.main:app --workers 2
                      ├─ PostgreSQL: a fresh database, migrated with Alembic
                      └─ Redis ← Celery worker (queue `celery`), backfill worker (queue
                                 `backfill`) and beat, each a separate process

The site file is used as it is; only what differs on this machine is substituted (ports, the dist
folder, the upstream's port) and, for the TLS listener, the lines `certbot --nginx` adds. nginx
runs with its prefix, pid, logs and temp folders in a temporary directory, so no root is needed.

From pytest: the `topology` fixture in tests/deploy/conftest.py. By hand, or around a browser
suite (the URL is in $TOPOLOGY_URL, the HTTPS one in $TOPOLOGY_TLS_URL):

    cd backend && ../.venv/bin/python -m tests.deploy.topology                 # serve until Ctrl-C
    cd backend && ../.venv/bin/python -m tests.deploy.topology \
        --env ACCESS_TOKEN_EXPIRE_MINUTES=1 --env LOGIN_MAX_FAILURES_PER_ADDRESS=1000 \
        --env REGISTER_MAX_PER_ADDRESS=1000 \
        -- bash -c 'cd ../frontend && npx playwright test'

For Playwright, the config takes `baseURL` from $TOPOLOGY_URL when it is set and then starts no
`webServer` of its own. The HTTPS listener's certificate is in $TOPOLOGY_CA_FILE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

BACKEND_DIR = Path(__file__).resolve().parents[2]
ROOT = BACKEND_DIR.parent
SITE_FILE = ROOT / "deploy" / "nginx" / "teliporter.conf"
FRONTEND_DIST = ROOT / "frontend" / "dist"
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
VENV_BIN = Path(sys.executable).parent
ADMIN_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Its own Redis database, apart from the test run's (15), so the two never share a queue.
TOPOLOGY_REDIS_URL = os.environ.get("TOPOLOGY_REDIS_URL", "redis://127.0.0.1:6379/14")

# The Celery workers, by process name, and the queue each takes (as docker-compose.prod.yml).
WORKER_QUEUES = {"worker": "celery", "backfill": "backfill"}

# The site's production values that the test copy replaces.
PROD_DIST = "/opt/teliporter/frontend/dist"
PROD_UPSTREAM = "server 127.0.0.1:8000;"
PROD_LOG_DIR = "/var/log/nginx/"


class TopologyError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        raise TopologyError("nginx is not installed (apt-get install nginx; .ci/run does it)")
    return found


def site_with_logs_in(log_dir: Path, site_text: str | None = None) -> str:
    """The site file as shipped, its log files moved out of /var/log/nginx (no root needed)."""
    text = site_text if site_text is not None else SITE_FILE.read_text()
    if PROD_LOG_DIR not in text:
        raise TopologyError(f"the site file no longer logs to {PROD_LOG_DIR}: update the harness")
    return text.replace(PROD_LOG_DIR, f"{log_dir}/")


def render_site(
    *,
    http_port: int,
    api_port: int,
    dist: Path,
    log_dir: Path,
    tls: tuple[int, Path, Path] | None = None,
    site_text: str | None = None,
) -> str:
    """The site file with this machine's ports and paths (and certbot's TLS lines, if asked)."""
    text = site_with_logs_in(log_dir, site_text)
    replacements = [
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen [::]:80;\n", ""),
        (PROD_UPSTREAM, f"server 127.0.0.1:{api_port};"),
        (PROD_DIST, str(dist)),
    ]
    for old, new in replacements:
        if old not in text:
            raise TopologyError(f"the site file no longer contains {old!r}: update the harness")
        text = text.replace(old, new)
    if tls is not None:
        port, cert, key = tls
        # What `certbot --nginx` writes into the server block.
        certbot = (
            f"    listen 127.0.0.1:{port} ssl;\n"
            f"    ssl_certificate {cert};\n"
            f"    ssl_certificate_key {key};\n"
        )
        listen = f"    listen 127.0.0.1:{http_port};\n"
        text = text.replace(listen, listen + certbot, 1)
    return text


def render_main_conf(*, prefix: Path, site: Path, base: str | None = None) -> str:
    """Debian's nginx.conf with its machine-wide paths moved into `prefix` and only our site."""
    text = base if base is not None else DEBIAN_NGINX_CONF.read_text()
    text = re.sub(r"(?m)^\s*user\s+[^;]+;\n", "", text)
    text = re.sub(r"(?m)^\s*pid\s+[^;]+;", f"pid {prefix / 'nginx.pid'};", text)
    text = re.sub(r"(?m)^(\s*)access_log\s+[^;]+;", rf"\1access_log {prefix / 'access.log'};", text)
    text = re.sub(r"(?m)^(\s*)error_log\s+[^;]+;", rf"\1error_log {prefix / 'error.log'};", text)
    text = re.sub(r"(?m)^\s*include\s+/etc/nginx/conf\.d/\*\.conf;\n", "", text)
    text = re.sub(r"(?m)^(\s*)include\s+/etc/nginx/sites-enabled/\*;", rf"\1include {site};", text)
    if str(site) not in text:
        raise TopologyError("nginx.conf has no `include /etc/nginx/sites-enabled/*;` to replace")
    temp = "".join(
        f"    {name}_temp_path {prefix / 'temp' / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Run as root (CI is), the workers would drop to `nobody`, who cannot read the temp dirs.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return user + text.replace("http {\n", "http {\n" + temp, 1)


def nginx_test(conf: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a configuration, with its prefix in `prefix`."""
    return subprocess.run(
        [nginx_binary(), "-t", "-p", f"{prefix}/", "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def write_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost, its own trust anchor (pass it as the CA file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


# A stand-in for Vite's build, shaped like it: index.html loading hashed module assets, no inline
# script (the CSP forbids it), a public/ file at the root.
STANDIN_SCRIPT = (
    "// Stand-in for the SPA bundle (the real one is frontend/dist when built).\n"
    "const root = document.getElementById('root');\n"
    "root.textContent = 'Teliporter stand-in SPA: ' + window.location.pathname;\n"
    + "".join(
        f"export const filler{i} = 'padding so gzip has something to do {i}';\n" for i in range(60)
    )
)


def write_standin_dist(directory: Path) -> Path:
    assets = directory / "assets"
    assets.mkdir(parents=True)
    (assets / "index-Dx4k9Qa1.js").write_text(STANDIN_SCRIPT)
    (assets / "index-B7fT2mLe.css").write_text(
        "body { font-family: system-ui, sans-serif; }\n" * 40
    )
    (directory / "favicon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" '
        'height="16" fill="#0a7"/></svg>\n'
    )
    (directory / "index.html").write_text(
        "<!doctype html>\n<html lang='en'>\n<head>\n<meta charset='UTF-8' />\n"
        "<link rel='icon' type='image/svg+xml' href='/favicon.svg' />\n"
        "<title>Teliporter</title>\n"
        "<script type='module' crossorigin src='/assets/index-Dx4k9Qa1.js'></script>\n"
        "<link rel='stylesheet' crossorigin href='/assets/index-B7fT2mLe.css'>\n"
        "</head>\n<body>\n<div id='root'></div>\n</body>\n</html>\n"
    )
    return directory


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def create_database() -> str:
    from sqlalchemy import create_engine, text

    name = f"teliporter_topology_{uuid.uuid4().hex[:12]}"
    engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise TopologyError(f"PostgreSQL is not reachable at {ADMIN_POSTGRES_URL}: {exc}") from exc
    finally:
        engine.dispose()
    return ADMIN_POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


@dataclass
class Topology:
    """Start with `start()`, stop with `stop()` (or use it as a context manager)."""

    dist: Path | None = None
    api_workers: int = 2
    # Settings for the API, worker and beat on top of the harness's (e.g. short token lifetimes).
    extra_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="teliporter-topo-")))
    http_port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    keep_workdir: bool = False
    database_url: str = ""
    cert: Path | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    encryption_key: str = field(default_factory=lambda: _fernet_key())
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # The Celery node name of each worker process ("worker", "backfill").
    worker_names: dict[str, str] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def api_url(self) -> str:
        """The API directly, bypassing nginx (as deploy.sh's health check does)."""
        return f"http://127.0.0.1:{self.api_port}"

    def __post_init__(self) -> None:
        # Three ports picked independently could coincide.
        while len({self.http_port, self.tls_port, self.api_port}) < 3:
            self.tls_port, self.api_port = free_port(), free_port()

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TZ"}}
        return {
            **keep,
            "PYTHONUNBUFFERED": "1",
            "TELIPORTER_ENV_FILE": "",
            "DEBUG": "false",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": TOPOLOGY_REDIS_URL,
            "CELERY_BROKER_URL": TOPOLOGY_REDIS_URL,
            "CELERY_RESULT_BACKEND": TOPOLOGY_REDIS_URL,
            "SECRET_KEY": self.secret_key,
            "ENCRYPTION_KEY": self.encryption_key,
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "ALLOW_REGISTRATION": "true",
            "CORS_ORIGINS": "[]",
            **self.extra_env,
        }

    def log_of(self, name: str) -> str:
        path = self.workdir / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.workdir / "logs" / f"{name}.log").open("wb")
        self._logs.append(log)
        self.processes[name] = subprocess.Popen(
            args,
            cwd=BACKEND_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise TopologyError(
                    f"{name} exited with {proc.returncode}:\n{self.log_of(name)[-4000:]}"
                )

    def _wait(self, what: str, probe: Any, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                result = probe()
                if result:
                    return result
                last = result
            except (httpx.HTTPError, OSError) as exc:
                last = exc
            time.sleep(0.25)
        raise TopologyError(f"timed out waiting for {what} (last: {last!r})")

    def start(self) -> Topology:
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        nginx = nginx_binary()
        if self.dist is None:
            built = FRONTEND_DIST / "index.html"
            self.dist = (
                FRONTEND_DIST if built.exists() else write_standin_dist(self.workdir / "dist")
            )
        self.database_url = create_database()
        try:
            self._start_services(nginx)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_services(self, nginx: str) -> None:
        env = self.env()
        bin_ = VENV_BIN
        migrated = subprocess.run(
            [str(bin_ / "alembic"), "upgrade", "head"],
            cwd=BACKEND_DIR,
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if migrated.returncode != 0:
            raise TopologyError(f"alembic upgrade head failed:\n{migrated.stderr[-4000:]}")
        self._spawn(
            "api",
            [
                str(bin_ / "uvicorn"),
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--workers",
                str(self.api_workers),
            ],
            env,
        )
        celery = [str(bin_ / "celery"), "-A", "app.celery_app:celery_app"]
        # The two workers of docker-compose.prod.yml: the default queue, and the backfill queue
        # on processes of their own (DEPLOY.md, "Workers and queues").
        for name, queue in WORKER_QUEUES.items():
            self.worker_names[name] = f"{name}-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
            self._spawn(
                name,
                [
                    *celery,
                    "worker",
                    "--loglevel=info",
                    "--concurrency=2",
                    "--queues",
                    queue,
                    "--hostname",
                    self.worker_names[name],
                ],
                env,
            )
        self._spawn(
            "beat",
            [
                *celery,
                "beat",
                "--loglevel=info",
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
            env,
        )
        # nginx: the real site inside Debian's nginx.conf, ports and paths substituted.
        prefix = self.workdir / "nginx"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "temp" / name).mkdir(parents=True, exist_ok=True)
        self.cert, key = write_self_signed_cert(prefix)
        site = prefix / "teliporter.conf"
        site.write_text(
            render_site(
                http_port=self.http_port,
                api_port=self.api_port,
                dist=self.dist or FRONTEND_DIST,
                log_dir=self.workdir / "logs",
                tls=(self.tls_port, self.cert, key),
            )
        )
        conf = prefix / "nginx.conf"
        conf.write_text(render_main_conf(prefix=prefix, site=site))
        checked = nginx_test(conf, prefix)
        if checked.returncode != 0:
            raise TopologyError(f"nginx -t refused the test copy:\n{checked.stderr}")
        self._spawn("nginx", [nginx, "-p", f"{prefix}/", "-c", str(conf), "-g", "daemon off;"], env)

        def api_health() -> bool:
            return httpx.get(f"{self.api_url}/api/v1/health", timeout=2).status_code == 200

        self._wait("the API", api_health)
        self._wait("nginx", lambda: httpx.get(f"{self.url}/", timeout=2).status_code == 200)

        def worker_ok() -> bool:
            body = httpx.get(f"{self.url}/api/v1/health", timeout=2).json()
            return bool(body.get("worker") == "ok")

        self._wait("the Celery worker's heartbeat", worker_ok, timeout=90)

    def stop(self) -> None:
        for name in ("nginx", "api", "beat", *WORKER_QUEUES):
            proc = self.processes.get(name)
            if proc is None or proc.poll() is not None:
                continue
            # nginx and uvicorn stop gracefully on SIGQUIT/SIGTERM; their children go with them.
            proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in self._logs:
            log.close()
        if self.database_url:
            drop_database(self.database_url)
            self.database_url = ""
        if not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Topology:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--dist", type=Path, help="SPA build to serve (default: frontend/dist)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="an app setting"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="run this, then stop")
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"]
    extra = dict(item.split("=", 1) for item in args.env)
    with Topology(dist=args.dist, extra_env=extra, keep_workdir=True) as topo:
        print(f"TOPOLOGY_URL={topo.url}\nTOPOLOGY_TLS_URL={topo.tls_url}", flush=True)
        print(f"logs: {topo.workdir / 'logs'}   dist: {topo.dist}", flush=True)
        if not command:
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                signal.pause()
            except KeyboardInterrupt:
                return 0
            return 0
        env = {
            **os.environ,
            "TOPOLOGY_URL": topo.url,
            "TOPOLOGY_TLS_URL": topo.tls_url,
            "TOPOLOGY_CA_FILE": str(topo.cert),
        }
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
