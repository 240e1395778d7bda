"""Real processes for the tests that need them: a Celery worker (threads pool) and the app under
uvicorn, started from the backend folder with the test's environment, and stopped politely
(SIGTERM, then SIGKILL after a grace period)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

BACKEND_DIR = Path(__file__).resolve().parents[1]

Process = subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_worker(
    name: str,
    *,
    env: Mapping[str, str] | None = None,
    concurrency: int = 1,
    pool: str = "threads",
    queues: Iterable[str] | None = None,
    output: bool = False,
    purge: bool = False,
) -> Process:
    """A Celery worker of app.celery_app named `name@<host>`; `env` is added to the test's own
    environment. With `output`, its log is readable from `stdout` (for a failure message). With
    `purge`, the broker's queued tasks are dropped first: tasks other tests queued for workers
    that never ran name rows (or simulators) long gone, and would keep this worker busy."""
    if purge:
        from app.celery_app import celery_app

        celery_app.control.purge()
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "app.celery_app:celery_app",
        "worker",
        "--loglevel=warning",
        f"--pool={pool}",
        f"--hostname={name}@%h",
    ]
    if pool != "solo":
        command.append(f"--concurrency={concurrency}")
    if queues is not None:
        command.append(f"--queues={','.join(queues)}")
    return subprocess.Popen(
        command,
        cwd=BACKEND_DIR,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE if output else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
    )


def start_api(port: int, *, env: Mapping[str, str] | None = None) -> Process:
    """The app under uvicorn on 127.0.0.1:`port`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=BACKEND_DIR,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(*processes: Process, grace: float = 20) -> None:
    """SIGTERM to each (a Celery worker finishes or hands back what it holds), then SIGKILL to
    any still running after `grace` seconds."""
    alive = [p for p in processes if p.poll() is None]
    for process in alive:
        process.terminate()
    for process in alive:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    """`check()`'s first truthy value, polled twice a second; an AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_api(base: str, timeout: float = 60) -> None:
    """Until the app at `base` answers its health check."""

    def up() -> bool:
        try:
            return httpx.get(f"{base}/api/v1/health").status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, "the API to start", timeout)
