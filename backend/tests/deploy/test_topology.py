"""The production topology minus Docker, exercised through nginx as a browser would."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import time
import uuid
from html.parser import HTMLParser

import httpx
import pytest

from tests.deploy.topology import TOPOLOGY_REDIS_URL, WORKER_QUEUES, Topology

PASSWORD = "Correct-Horse-42"


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []
        self.stylesheets: list[str] = []
        self._in_script = False
        self.inline_code: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.sources.append(values.get("src"))
            self._in_script = values.get("src") is None
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.stylesheets.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_code.append(data)


def index_assets(web: httpx.Client) -> _Scripts:
    parser = _Scripts()
    parser.feed(web.get("/").text)
    return parser


def csp_directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_every_response_carries_the_security_headers(web: httpx.Client) -> None:
    for path in ("/", "/reports/sales", "/api/v1/health", "/api/v1/nope", "/assets/missing.js"):
        response = web.get(path)
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["server"] == "nginx", path  # no version (server_tokens off)
        # Over plain HTTP there is no HSTS (browsers would ignore it, and it would be a lie).
        assert "strict-transport-security" not in response.headers, path


def test_hsts_once_tls_is_on(web_tls: httpx.Client) -> None:
    for path in ("/", "/api/v1/health"):
        response = web_tls.get(path)
        assert response.status_code == 200
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_the_spa_loads_under_the_csp(web: httpx.Client) -> None:
    response = web.get("/")
    assert response.status_code == 200
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    page = index_assets(web)
    # script-src 'self' allows the build's module scripts and nothing inline: the build must have
    # no inline script, and every script and stylesheet it names must be served from this origin.
    assert page.inline_code == []
    assert page.sources, "index.html loads no script"
    for src in [*page.sources, *page.stylesheets]:
        assert src is not None and src.startswith("/") and not src.startswith("//"), src
        asset = web.get(src)
        assert asset.status_code == 200, src
        assert asset.headers["content-type"].split(";")[0] in {
            "application/javascript",
            "text/javascript",
            "text/css",
        }


def render_in_chromium(url: str) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed (.ci/run installs it)"
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
            # Lets the app's scripts, fetches and timers run before the DOM is printed.
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_spa_renders_in_a_browser_without_csp_violations(topology: Topology) -> None:
    """Chromium loads the build through nginx: its scripts run (the root element is filled) and
    the console reports nothing the Content-Security-Policy refused."""
    for path in ("/", "/reports/sales"):
        result = render_in_chromium(topology.url + path)
        assert result.returncode == 0, result.stderr[-2000:]
        root = re.search(r'<div id="root">(.*?)</div>', result.stdout, re.S)
        assert root and root.group(1).strip(), f"{path}: the app did not render"
        console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
        assert not [line for line in console if "Content Security Policy" in line], console


def test_deep_links_fall_back_to_index_html(web: httpx.Client) -> None:
    index = web.get("/index.html").text
    for path in ("/reports/sales", "/settings/locations/12", "/sign-in"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.text == index, path
        assert response.headers["content-type"].startswith("text/html")


def test_cache_headers(web: httpx.Client) -> None:
    for path in ("/", "/index.html", "/reports/sales"):
        assert web.get(path).headers["cache-control"] == "no-cache", path
    page = index_assets(web)
    hashed = [src for src in page.sources if src and src.startswith("/assets/")]
    assert hashed
    for src in hashed:
        assert re.search(r"-[\w-]{6,}\.js$", src), f"{src} is not content-hashed"
        cache = web.get(src).headers["cache-control"]
        assert cache == "public, max-age=31536000, immutable", src
    # A missing asset is a 404 that is neither index.html nor cached.
    missing = web.get("/assets/index-00000000.js")
    assert missing.status_code == 404
    assert "cache-control" not in missing.headers
    # The API decides its own caching; nginx adds nothing.
    assert web.get("/api/v1/health").headers["cache-control"] == "no-store"


def test_gzip_for_text_assets(web: httpx.Client) -> None:
    # The app's bundle (session-start.js, a few hundred bytes, is under gzip's minimum length).
    src = next(s for s in index_assets(web).sources if s and s.startswith("/assets/"))
    plain = web.get(src, headers={"accept-encoding": "identity"})
    with web.stream("GET", src, headers={"accept-encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in response.headers["vary"].lower()
        raw = b"".join(response.iter_raw())
    assert len(raw) < len(plain.content)
    assert gzip.decompress(raw) == plain.content


def test_api_through_nginx_register_login_me(web: httpx.Client, topology: Topology) -> None:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    registered = web.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Topology Owner",
            "organization_name": "Topology Retail",
        },
    )
    assert registered.status_code == 201, registered.text
    login = web.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    # Plain HTTP: the refresh cookie cannot be Secure, or the browser would never send it back.
    assert "secure" not in login.headers["set-cookie"].lower()
    token = login.json()["access_token"]
    me = web.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == email
    # The app's request id is nginx's, so a log line can be followed from nginx to the app.
    request_id = me.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    # nginx logs a request once its response has gone, so the client can read the log first.
    deadline = time.monotonic() + 10
    while '"GET /api/v1/users/me HTTP/1.1" 200' not in (
        access_log := topology.log_of("teliporter.access")
    ):
        assert time.monotonic() < deadline, f"nginx never logged the request: {access_log}"
        time.sleep(0.1)
    assert f"rid={request_id}" in access_log
    # The app writes its line once the response has gone: wait for it.
    deadline = time.monotonic() + 10
    while f'"request_id": "{request_id}"' not in topology.log_of("api"):
        assert time.monotonic() < deadline, "the API never logged the request id"
        time.sleep(0.1)
    refreshed = web.post("/api/v1/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text


def test_refresh_cookie_is_secure_over_https(web_tls: httpx.Client) -> None:
    email = f"tls-{uuid.uuid4().hex[:8]}@example.com"
    web_tls.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "TLS Owner",
            "organization_name": "TLS Retail",
        },
    ).raise_for_status()
    login = web_tls.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"].lower()
    assert "refresh_token=" in cookie
    assert "secure" in cookie
    assert "httponly" in cookie
    assert web_tls.post("/api/v1/auth/refresh").status_code == 200


def test_forwarded_proto_from_a_client_is_not_believed(topology: Topology) -> None:
    """The app trusts X-Forwarded-* from the proxy only: nginx overwrites what a client sends."""
    with httpx.Client(base_url=topology.url, timeout=30) as web:
        email = f"spoof-{uuid.uuid4().hex[:8]}@example.com"
        web.post(
            "/api/v1/auth/register",
            json={
                "email": email,
                "password": PASSWORD,
                "full_name": "Spoof Owner",
                "organization_name": "Spoof Retail",
            },
        ).raise_for_status()
        login = web.post(
            "/api/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
        )
        assert login.status_code == 200
        assert "secure" not in login.headers["set-cookie"].lower()


def test_health_reports_every_part_through_nginx(web: httpx.Client) -> None:
    response = web.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["database"], body["redis"], body["worker"]) == ("ok", "ok", "ok")


def test_each_celery_worker_takes_its_own_queue(
    topology: Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in production: the default worker never takes the backfill queue (a first sync's
    history), which the backfill worker takes on processes of its own."""
    from celery import Celery

    # Celery prefers the environment's broker (the test run's) to the one it is given.
    monkeypatch.setenv("CELERY_BROKER_URL", TOPOLOGY_REDIS_URL)
    control = Celery("topology-control", broker=TOPOLOGY_REDIS_URL)
    names = topology.worker_names
    try:
        deadline = time.monotonic() + 60
        while True:
            inspect = control.control.inspect(destination=list(names.values()), timeout=5)
            answers = inspect.active_queues() or {}
            if set(answers) == set(names.values()) or time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        control.close()
    taken = {
        name: sorted(queue["name"] for queue in answers.get(node, []))
        for name, node in names.items()
    }
    assert taken == {name: [queue] for name, queue in WORKER_QUEUES.items()}
    assert taken == {"worker": ["celery"], "backfill": ["backfill"]}


def test_square_webhook_path_reaches_the_app(web: httpx.Client) -> None:
    response = web.post(
        "/api/v1/square/webhooks",
        content=b'{"type": "order.updated"}',
        headers={"content-type": "application/json", "x-square-hmacsha256-signature": "x"},
    )
    # Answered by the app (JSON, the app's request id), not by nginx, whatever its verdict.
    assert response.headers["content-type"].startswith("application/json")
    assert "x-request-id" in response.headers
    assert response.status_code != 413


def test_csv_sized_uploads_pass_and_oversized_ones_stop_at_nginx(web: httpx.Client) -> None:
    nine_mb = b"a" * (9 * 1024 * 1024)
    accepted = web.post("/api/v1/auth/login", content=nine_mb)
    assert accepted.status_code != 413  # reached the app, which rejects the body itself
    assert accepted.headers["content-type"].startswith("application/json")
    too_big = web.post("/api/v1/auth/login", content=nine_mb + b"a" * (2 * 1024 * 1024))
    assert too_big.status_code == 413


def test_api_runs_two_worker_processes(topology: Topology) -> None:
    """uvicorn --workers 2, as production runs 4: a supervisor with two serving children."""
    import subprocess

    api = topology.processes["api"]
    children = subprocess.run(
        ["ps", "--ppid", str(api.pid), "-o", "args="], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # multiprocessing's spawn children; one may be the resource tracker.
    workers = [line for line in children if "multiprocessing" in line and "tracker" not in line]
    assert len(workers) == 2, children


def test_a_write_is_visible_to_the_next_request_whichever_worker_serves_it(
    web: httpx.Client,
) -> None:
    """The request's commit happens before its response leaves, so the client's next request,
    wherever nginx sends it, sees the write (read-your-writes across the uvicorn workers)."""
    email = f"ryw-{uuid.uuid4().hex[:8]}@example.com"
    web.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "full_name": "Before",
            "organization_name": "RYW Retail",
        },
    ).raise_for_status()
    login = web.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    stale = []
    for n in range(150):
        name = f"Name {n}"
        assert web.patch("/api/v1/users/me", json={"full_name": name}, headers=headers).is_success
        seen = web.get("/api/v1/users/me", headers=headers).json()["full_name"]
        if seen != name:
            stale.append((name, seen))
    assert stale == []
