"""The web app's Playwright specs that cross what nginx changes, through the production topology:
nginx with the real site in front of uvicorn (2 workers), PostgreSQL, Redis, a Celery worker and
beat, and the Square simulator as Square. `make test-frontend` runs the whole suite against a bare
uvicorn; here the specs for the refresh cookie and reloads (auth), Square's OAuth redirect back
through the proxy (square), uploads (footfall CSV import) and invitations (settings). The dashboard
and session specs (a minute each: the first sync, and waiting out a one-minute access token) add
nothing nginx-specific and stay in test-frontend, to keep `make test` within its budget."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.deploy.topology import BACKEND_DIR, FRONTEND_DIST, ROOT, Topology, free_port

APP_ID = "sq0idp-teliporter-topology"
APP_SECRET = "sq0csp-teliporter-topology-secret"
# Apart from the test run's Redis database (15) and the session topology's (14): a queue of its
# own, so no other worker ever takes this topology's sync tasks.
REDIS_URL = "redis://127.0.0.1:6379/13"

THROUGH_NGINX = (
    "tests/auth.spec.ts",
    "tests/square.spec.ts",
    "tests/footfall.spec.ts",
    "tests/settings.spec.ts",
)


def test_the_browser_specs_pass_through_nginx() -> None:
    assert (FRONTEND_DIST / "index.html").exists(), (
        "frontend/dist is missing: `make test` builds it in test-frontend before test-deploy"
    )
    http_port, sim_port = free_port(), free_port()
    site = f"http://127.0.0.1:{http_port}"
    callback = f"{site}/api/v1/square/callback"
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "square_simulator",
            "serve",
            "--port",
            str(sim_port),
            "--seed",
            "42",
            "--years",
            "0.05",
            "--accounts",
            "1",
            "--locations",
            "2",
            "--app",
            f"{APP_ID}:{APP_SECRET}:{callback}",
        ],
        cwd=BACKEND_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{sim_port}/_simulator/accounts").raise_for_status()
                break
            except httpx.HTTPError:
                assert simulator.poll() is None, "the simulator did not start"
                assert time.monotonic() < deadline, "the simulator did not answer"
                time.sleep(0.3)
        settings = {
            # As the suite's own server sets them: silent refresh within the run, and every test
            # signing in from 127.0.0.1 must not trip the per-address throttle.
            "ACCESS_TOKEN_EXPIRE_MINUTES": "1",
            "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "1024",
            "SQUARE_ENVIRONMENT": "simulator",
            "SQUARE_API_BASE_URL": f"http://127.0.0.1:{sim_port}",
            "SQUARE_APPLICATION_ID": APP_ID,
            "SQUARE_APPLICATION_SECRET": APP_SECRET,
            "SQUARE_REDIRECT_URI": callback,
            "REDIS_URL": REDIS_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
        }
        with Topology(dist=FRONTEND_DIST, extra_env=settings, http_port=http_port) as topo:
            result = subprocess.run(
                ["npx", "playwright", "test", *THROUGH_NGINX],
                cwd=ROOT / "frontend",
                env={**os.environ, "TOPOLOGY_URL": topo.url},
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
        assert " passed" in result.stdout
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
