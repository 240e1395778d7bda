"""The production kit's files: nginx accepts the site, the scripts pass shellcheck, the Dockerfile
hadolint, and the compose files say what the deployment plan says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.celery_app import BACKFILL_QUEUE, DEFAULT_QUEUE
from tests.deploy.topology import (
    ROOT,
    SITE_FILE,
    nginx_test,
    render_main_conf,
    render_site,
    site_with_logs_in,
    write_self_signed_cert,
)

DEPLOY = ROOT / "deploy"
SCRIPTS = sorted(DEPLOY.glob("*.sh"))
APP_SERVICES = ("backend", "celery_worker", "celery_backfill", "celery_beat")
WORKERS = ("celery_worker", "celery_backfill")


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is not installed (.ci/run installs it)"
    return found


def test_nginx_accepts_the_site_as_shipped_inside_debians_nginx_conf(tmp_path: Path) -> None:
    # The file as an operator copies it to /etc/nginx/sites-available/teliporter (its log files
    # moved, so no root is needed).
    site = tmp_path / "site.conf"
    site.write_text(site_with_logs_in(tmp_path))
    assert site.read_text().count(str(tmp_path)) == 2
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_main_conf(prefix=tmp_path, site=site))
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "temp" / name).mkdir(parents=True)
    result = nginx_test(conf, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_accepts_the_site_once_certbot_added_tls(tmp_path: Path) -> None:
    cert, key = write_self_signed_cert(tmp_path)
    site = tmp_path / "site.conf"
    site.write_text(
        render_site(
            http_port=8080, api_port=8000, dist=tmp_path, log_dir=tmp_path, tls=(8443, cert, key)
        )
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_main_conf(prefix=tmp_path, site=site))
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "temp" / name).mkdir(parents=True)
    result = nginx_test(conf, tmp_path)
    assert result.returncode == 0, result.stderr


def test_nginx_refuses_a_broken_site(tmp_path: Path) -> None:
    """The check above can fail: a site with a typo is refused."""
    site = tmp_path / "site.conf"
    site.write_text(
        site_with_logs_in(tmp_path).replace("proxy_pass http://", "proxy_pas http://", 1)
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_main_conf(prefix=tmp_path, site=site))
    assert nginx_test(conf, tmp_path).returncode != 0


def test_site_serves_the_plans_paths() -> None:
    text = SITE_FILE.read_text()
    assert "server_name app.teliporter.com;" in text
    assert "root /opt/teliporter/frontend/dist;" in text
    assert "try_files $uri $uri/ /index.html;" in text
    assert "server 127.0.0.1:8000;" in text
    assert "location = /api/v1/square/webhooks" in text
    assert "client_max_body_size 10M;" in text
    assert "proxy_read_timeout 120s;" in text
    for header in ("Host $host", "X-Real-IP $remote_addr", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header};" in text


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_shellcheck(script: Path) -> None:
    result = subprocess.run(
        [tool("shellcheck"), "-x", "--severity=style", str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_scripts_are_executable_and_strict() -> None:
    names = {script.name for script in SCRIPTS}
    assert {"deploy.sh", "rollback.sh", "backup.sh", "restore.sh"} <= names
    for script in SCRIPTS:
        if script.name == "lib.sh":
            continue
        assert script.stat().st_mode & 0o111, f"{script.name} is not executable"
        assert "set -euo pipefail" in script.read_text(), script.name


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [tool("hadolint"), str(ROOT / "backend" / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck() -> None:
    text = (ROOT / "backend" / "Dockerfile").read_text()
    # A `# syntax=` parser directive makes BuildKit fetch an image from a registry first.
    assert not any(line.replace(" ", "").startswith("#syntax=") for line in text.splitlines())
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2
    assert all("slim" in line for line in stages)
    runtime = text[text.rindex("FROM ") :]
    assert "useradd" in runtime and "appuser" in runtime
    user = next(line for line in runtime.splitlines() if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in {"0", "root"}
    assert "uv sync --frozen --no-dev" in text  # the lock file, without the dev group
    healthcheck = runtime[runtime.index("HEALTHCHECK") :].split("\n\n", 1)[0]
    assert "http://127.0.0.1:8000/api/v1/health" in healthcheck
    ignored = (ROOT / "backend" / ".dockerignore").read_text().split()
    assert ".env" in ignored and "tests/" in ignored


def compose(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_production_compose_is_the_plans() -> None:
    services = compose("docker-compose.prod.yml")["services"]
    assert set(services) == {"redis", *APP_SERVICES}
    assert {s: services[s]["container_name"] for s in services} == {
        "redis": "teliporter-redis",
        "backend": "teliporter-backend",
        "celery_worker": "teliporter-celery-worker",
        "celery_backfill": "teliporter-celery-backfill",
        "celery_beat": "teliporter-celery-beat",
    }
    for service in services.values():
        assert service["restart"] == "always"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    assert services["redis"]["ports"] == ["127.0.0.1:6379:6379"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["backend"]["ports"] == ["127.0.0.1:8000:8000"]
    assert services["backend"]["command"] == (
        "uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers 4"
    )
    assert services["backend"]["depends_on"]["redis"]["condition"] == "service_healthy"
    # The plan's worker, told which queue it takes: the default one, never the backfill queue,
    # which the second worker takes on processes of its own (DEPLOY.md, "Workers and queues").
    assert services["celery_worker"]["command"] == (
        "celery -A app.celery_app:celery_app worker --loglevel=info --concurrency=4 -Q celery"
    )
    assert services["celery_backfill"]["command"] == (
        "celery -A app.celery_app:celery_app worker --loglevel=info --concurrency=2 -Q backfill"
        " -n backfill@%h"
    )
    assert (DEFAULT_QUEUE, BACKFILL_QUEUE) == ("celery", "backfill")
    # Each worker is healthy while it answers a ping under its own node name.
    assert "-d celery@$$HOSTNAME" in services["celery_worker"]["healthcheck"]["test"][1]
    assert "-d backfill@$$HOSTNAME" in services["celery_backfill"]["healthcheck"]["test"][1]
    # A run and its helpers fit the backfill worker's processes.
    assert services["celery_backfill"]["environment"]["SYNC_BACKFILL_WORKERS"] == "2"
    assert services["celery_beat"]["command"] == (
        "celery -A app.celery_app:celery_app beat --loglevel=info"
    )
    images = {services[s]["image"] for s in APP_SERVICES}
    assert images == {"teliporter-backend:${TELIPORTER_TAG:-latest}"}  # one image, by commit
    # Built once, by the API's service; the worker and beat run that image by name.
    assert services["backend"]["build"] == {"context": "./backend", "dockerfile": "Dockerfile"}
    for name in ("celery_worker", "celery_backfill", "celery_beat"):
        assert "build" not in services[name] and services[name]["pull_policy"] == "never"
    for name in APP_SERVICES:
        assert services[name]["env_file"] == ["./backend/.env"]
        # Inside a container localhost is the container: Redis is the `redis` service.
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    gateway = compose("docker-compose.prod.yml")["networks"]["default"]["ipam"]["config"][0]
    assert services["backend"]["environment"]["FORWARDED_ALLOW_IPS"] == gateway["gateway"]
    assert "redis_data" in compose("docker-compose.prod.yml")["volumes"]
    # Workbooks the worker writes are downloaded through the API: one volume, both containers.
    for name in ("backend", "celery_worker"):
        assert "exports:/app/var/exports" in services[name]["volumes"]
        assert services[name]["environment"]["EXPORT_DIR"] == "/app/var/exports"
    # The connection budget (DEPLOY.md): 4 API workers x 2 + 4 + 2 Celery processes x 1, no
    # overflow, beat's 1, and 5 left for an operator.
    pools = {
        name: (
            int(services[name]["environment"]["DATABASE_POOL_SIZE"]),
            int(services[name]["environment"]["DATABASE_MAX_OVERFLOW"]),
        )
        for name in APP_SERVICES
    }
    concurrency = {
        name: int(services[name]["command"].split("--concurrency=")[1].split()[0])
        for name in WORKERS
    }
    assert concurrency == {"celery_worker": 4, "celery_backfill": 2}
    total = 4 * sum(pools["backend"]) + 1
    total += sum(concurrency[name] * sum(pools[name]) for name in WORKERS)
    assert total <= 22 - 5, pools


def test_development_compose_adds_postgres() -> None:
    services = compose("docker-compose.yml")["services"]
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    env = services["backend"]["environment"]
    assert env["DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in env["DATABASE_URL"]


@pytest.mark.parametrize("name", ["docker-compose.prod.yml", "docker-compose.yml"])
def test_compose_files_pass_docker_compose_config_where_the_client_has_it(
    name: str, tmp_path: Path
) -> None:
    """`docker compose config` needs no engine; where the plugin is missing the YAML checks above
    are what is proved (this machine's docker CLI has no compose plugin)."""
    docker = shutil.which("docker")
    has_compose = (
        docker is not None
        and subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    )
    if not has_compose:
        assert compose(name)["services"]
        return
    assert docker is not None
    # A copy beside an empty backend/.env: the real one holds secrets and may not exist here.
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / ".env").write_text("")
    shutil.copy(ROOT / name, tmp_path / name)
    result = subprocess.run(
        [docker, "compose", "-f", name, "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
