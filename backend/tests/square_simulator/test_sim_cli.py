"""The command line: help, serve (a real subprocess) and bench --json."""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sim_helpers import ValidatingClient

from square_simulator.cli import build_parser, main

BACKEND = Path(__file__).resolve().parents[2]


def test_help_documents_every_option(capsys) -> None:
    for cmd, options in (
        (
            "serve",
            [
                "--host",
                "--port",
                "--seed",
                "--years",
                "--accounts",
                "--locations",
                "--now",
                "--frozen",
                "--token-lifetime",
                "--app",
                "--config",
                "--demo-redirect-uri",
                "--cache-mb",
            ],
        ),
        ("bench", ["--pages", "--limit", "--transport", "--json"]),
    ):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        out = capsys.readouterr().out
        for opt in options:
            assert opt in out, (cmd, opt)
    # every option has help text
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for action in sub.choices["serve"]._actions:
        assert action.help, action.dest


def test_serve_prints_the_demo_app_and_serves(tmp_path, validator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "sim.json"
    cfg.write_text(
        json.dumps(
            {
                "applications": [
                    {
                        "client_id": "sq0idp-cfg",
                        "client_secret": "sq0csp-cfg",
                        "redirect_uri": "http://127.0.0.1:1/cb",
                    }
                ]
            }
        )
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "square_simulator",
            "serve",
            "--port",
            str(port),
            "--seed",
            "42",
            "--years",
            "3",
            "--config",
            str(cfg),
            "--app",
            "sq0idp-x:sq0csp-x:http://h:1/cb",
        ],
        cwd=BACKEND,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any("admin API" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        assert re.search(r"client_id:\s+sq0idp-\S+", text)
        assert re.search(r"client_secret:\s+sq0csp-\S+", text)
        url_m = re.search(r"OAuth authorize URL: (\S+)", text)
        token_m = re.search(r"personal access token (\S+)", text)
        assert url_m and token_m
        url, token = url_m.group(1), token_m.group(1)
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(url)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200 and "Allow" in r.text
        with ValidatingClient(validator, f"http://127.0.0.1:{port}", token) as c:
            r = c.get("/v2/locations")
            assert r.status_code == 200 and len(r.json()["locations"]) == 3
            first = r.json()["locations"][0]["id"]
            found = c.post("/v2/orders/search", json={"location_ids": [first], "limit": 3})
            assert len(found.json()["orders"]) == 3
        apps = httpx.get(f"http://127.0.0.1:{port}/_simulator/oauth/apps").json()
        ids = {a["client_id"] for a in apps["applications"]}
        assert {"sq0idp-cfg", "sq0idp-x"} <= ids
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bench_json(capsys) -> None:
    code = main(
        [
            "bench",
            "--transport",
            "asgi",
            "--pages",
            "2",
            "--limit",
            "50",
            "--accounts",
            "1",
            "--locations",
            "2",
            "--years",
            "1",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cold"]["orders"] == 100 and result["warm"]["orders"] == 100
    assert result["cold"]["orders_per_s"] > 0 and result["rss_mb"] > 0
    assert "ASGI" in result["transport"]
