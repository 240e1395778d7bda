"""The app through a real PgBouncer in transaction mode, as DigitalOcean's connection pools run.

Each transaction may get another server connection there, so nothing may outlive a transaction
on the server: no session settings, no session advisory locks, no temporary table past its
transaction and no prepared statement (psycopg prepares a query on its 5th run; with
DATABASE_PGBOUNCER=false the reports below fail with `prepared statement "_pg3_0" does not exist`).
The test starts its own PgBouncer (Debian's `pgbouncer`; .ci/run installs it) on a free port in
front of a new database, points the app at it, and runs migrations, sign-up and sign-in, a Square
sync, the reports many times, a footfall import and a background export through it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.core.db import get_engine, get_sessionmaker
from app.square.models import SyncRunState
from square_simulator import testing
from tests.conftest import BACKEND_DIR, create_postgres_database, drop_postgres_database
from tests.factories import make_connection
from tests.reports import scenario
from tests.square.helpers import run_sync

API = "/api/v1"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28"}
REPEATS = 7  # past psycopg's prepare threshold (5)
POOL_SIZE = 3  # server connections PgBouncer keeps for the app: fewer than the app's clients


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None
    )
    if found is None:
        message = "pgbouncer is not installed (.ci/run installs Debian's pgbouncer)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # CI must run this test, never skip it
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_pgbouncer(workdir: Path, server_url: str) -> Iterator[int]:
    """PgBouncer in transaction mode on a free loopback port, in front of `server_url`'s server
    and database, with POOL_SIZE server connections open, handed out in turn; stopped on the way
    out, whatever happened."""
    binary = pgbouncer_binary()
    host_port = server_url.split("@", 1)[1].split("/", 1)[0]
    host, _, server_port = host_port.partition(":")
    user = server_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[0]
    dbname = server_url.rsplit("/", 1)[1]
    port = free_port()
    (workdir / "userlist.txt").write_text(f'"{user}" ""\n')
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={server_port or 5432} user={user}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {workdir / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {POOL_SIZE}\n"
        "max_client_conn = 100\n"
        # In turn, not the last one freed first: with the default, one client's transactions
        # run one after another keep landing on the same server connection, which would hide
        # what anything left on a server connection does to the next transaction.
        "server_round_robin = 1\n"
        # Debian's 1.18 has no prepared statements in transaction mode (1.21+ may track them).
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    command = [binary, "-q", str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root; CI runs as root
        workdir.chmod(0o755)
        command[1:1] = ["-u", "nobody"]
    log = (workdir / "pgbouncer.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                clients = [
                    psycopg.connect(
                        host="127.0.0.1", port=port, user=user, dbname=dbname, connect_timeout=2
                    )
                    for _ in range(POOL_SIZE)
                ]
                break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"pgbouncer did not start: {(workdir / 'pgbouncer.log').read_text()}"
                    )
                time.sleep(0.1)
        # POOL_SIZE transactions at once: PgBouncer opens that many server connections.
        for client in clients:
            client.execute("SELECT 1")
        for client in clients:  # committed: a client gone mid-transaction takes its server along
            client.commit()
            client.close()
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _forget_the_engine() -> None:
    with contextlib.suppress(Exception):
        get_engine().dispose()
    get_sessionmaker.cache_clear()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def through_pgbouncer(db_kind: str, tmp_path: Path) -> Iterator[str]:
    """This process's app pointed at a new database through PgBouncer; put back afterwards."""
    pgbouncer_binary()
    direct_url = create_postgres_database("teliporter_pgbouncer")
    name = direct_url.rsplit("/", 1)[1]
    workdir = tmp_path / "pgbouncer"
    workdir.mkdir()
    try:
        with running_pgbouncer(workdir, direct_url) as port, pytest.MonkeyPatch.context() as mp:
            pooled = direct_url.split("@", 1)[0] + f"@127.0.0.1:{port}/{name}"
            mp.setenv("DATABASE_URL", pooled)
            mp.setenv("DATABASE_PGBOUNCER", "true")
            mp.setenv("DATABASE_POOL_SIZE", "2")
            mp.setenv("EXPORT_DIR", str(tmp_path / "exports"))
            _forget_the_engine()
            try:
                yield pooled
            finally:
                _forget_the_engine()
    finally:
        drop_postgres_database(direct_url)
        _forget_the_engine()  # rebuilt from the run's own settings on next use


@pytest.mark.postgres  # PgBouncer fronts PostgreSQL
def test_the_app_runs_through_pgbouncer_in_transaction_mode(
    through_pgbouncer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command
    from alembic.config import Config

    from app.exports import tasks as export_tasks
    from app.main import app

    assert get_settings().DATABASE_PGBOUNCER is True
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")

    sim = testing.start(seed=5, accounts=1, locations_per_account=1, years=0.01)
    try:
        monkeypatch.setattr(get_settings(), "SQUARE_API_BASE_URL", sim.base_url)
        monkeypatch.setattr(get_settings(), "SQUARE_RETRY_BASE_SECONDS", 0.01)
        account = sim.create_account(
            business_name="Pooled Shop",
            country="GB",
            currency="GBP",
            locations=[
                {"name": "London", "timezone": "Europe/London", "currency": "GBP"},
                {"name": "New York", "timezone": "America/New_York", "currency": "USD"},
            ],
        )
        sim.import_orders(*scenario.build(account))
        with TestClient(app, base_url="http://testserver") as client:
            # Sign-up, then sign-in (several times: the login statements repeat too).
            signup = {"email": "owner@pooled.example", "password": "a long pooled passphrase"}
            registered = client.post(
                f"{API}/auth/register",
                json={**signup, "full_name": "Pooled Owner", "organization_name": "Pooled"},
            )
            assert registered.status_code == 201, registered.text
            org_id = registered.json()["organization"]["id"]
            for _ in range(REPEATS):
                login = client.post(f"{API}/auth/login", json=signup)
                assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

            with get_sessionmaker()() as db:
                connection = make_connection(
                    db,
                    org_id=org_id,
                    merchant_id=account.merchant_id,
                    access_token=account.personal_access_token,
                )
                run = run_sync(db, org_id=org_id, connection_id=connection.id)
                assert run.state == SyncRunState.succeeded, run.error
                run = run_sync(db, org_id=org_id, connection_id=connection.id)  # incremental
                assert run.state == SyncRunState.succeeded, run.error

            locations = client.get(f"{API}/locations", headers=headers).json()
            london = next(loc for loc in locations["items"] if loc["name"] == "London")
            first = client.get(f"{API}/reports/summary", params=WEEK, headers=headers).json()
            assert first["metrics"]["transactions"] > 0, first
            for _ in range(REPEATS):
                for path, params in (
                    ("summary", {**WEEK, "compare": "previous_year"}),
                    ("timeseries", {**WEEK, "granularity": "day"}),
                    ("breakdown", {**WEEK, "by": "location"}),
                    ("breakdown", {**WEEK, "by": "item"}),
                    ("breakdown", {**WEEK, "by": "payment_method"}),
                ):
                    answer = client.get(f"{API}/reports/{path}", params=params, headers=headers)
                    assert answer.status_code == 200, (path, answer.text)

            # Each import stages its rows in a TEMPORARY TABLE ... ON COMMIT DROP.
            for day in range(24, 29):
                imported = client.post(
                    f"{API}/footfall/import",
                    files={
                        "file": (
                            "footfall.csv",
                            f"location,date,count\nLondon,2026-10-{day},{100 + day}\n".encode(),
                            "text/csv",
                        )
                    },
                    headers=headers,
                )
                assert imported.status_code == 200, imported.text
                assert imported.json()["applied"] is True
            with_footfall = client.get(
                f"{API}/reports/summary",
                params={**WEEK, "location_ids": london["id"]},
                headers=headers,
            ).json()
            assert with_footfall["metrics"]["footfall"] == sum(100 + d for d in range(24, 29))

            job = client.post(f"{API}/reports/exports", json=WEEK, headers=headers).json()
            export_tasks.build(job["id"])
            status = client.get(f"{API}/reports/exports/{job['id']}", headers=headers).json()
            assert status["state"] == "done", status
            assert client.get(status["download_url"], headers=headers).status_code == 200
    finally:
        sim.stop()
