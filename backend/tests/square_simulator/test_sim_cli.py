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
                "--demo-client-id",
                "--demo-client-secret",
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
            "--demo-client-id",
            "sq0idp-teliporter-dev",
            "--demo-client-secret",
            "sq0csp-teliporter-dev-secret",
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
        assert re.search(r"client_id:\s+sq0idp-teliporter-dev\n", text)
        assert re.search(r"client_secret:\s+sq0csp-teliporter-dev-secret\n", text)
        assert re.search(r"redirect_uri:\s+http://127.0.0.1:8000/api/v1/square/callback\n", text)
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
        assert {"sq0idp-cfg", "sq0idp-x", "sq0idp-teliporter-dev"} <= ids
        # The whole OAuth flow with the registered credentials lands on the plan's callback.
        form = {
            "client_id": "sq0idp-teliporter-dev",
            "scope": "ORDERS_READ",
            "state": "s1",
            "decision": "approve",
        }
        r = httpx.post(f"http://127.0.0.1:{port}/oauth2/authorize", data=form)
        assert r.status_code == 302
        location = r.headers["location"]
        assert location.startswith("http://127.0.0.1:8000/api/v1/square/callback?code=")
        code = re.search(r"code=([^&]+)", location)
        assert code
        tok = httpx.post(
            f"http://127.0.0.1:{port}/oauth2/token",
            json={
                "client_id": "sq0idp-teliporter-dev",
                "client_secret": "sq0csp-teliporter-dev-secret",
                "grant_type": "authorization_code",
                "code": code.group(1),
            },
        )
        assert tok.status_code == 200 and tok.json()["access_token"]
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


def test_serve_takes_the_demo_app_from_the_config_file(tmp_path) -> None:
    from square_simulator.cli import build_state

    cfg = tmp_path / "sim.json"
    cfg.write_text(
        json.dumps(
            {
                "years": 1,
                "cache_mb": 32,
                "demo_application": {
                    "client_id": "sq0idp-file",
                    "client_secret": "sq0csp-file",
                    "redirect_uri": "http://127.0.0.1:9/cb",
                },
            }
        )
    )
    parser = build_parser()
    for argv, expected in (
        (["serve", "--config", str(cfg)], ("sq0idp-file", "sq0csp-file", "http://127.0.0.1:9/cb")),
        (
            ["serve", "--config", str(cfg), "--demo-redirect-uri", "http://127.0.0.1:8/x"],
            ("sq0idp-file", "sq0csp-file", "http://127.0.0.1:8/x"),
        ),
    ):
        state = build_state(parser.parse_args(argv))
        try:
            demo = state.oauth.demo_app
            assert (demo.client_id, demo.client_secret, demo.redirect_uri) == expected
            assert set(state.oauth.apps) == {"sq0idp-file"}
            assert state.config.cache_mb == 32 and state.config.years == 1
        finally:
            state.webhooks.stop()
            state.prefetcher.shutdown()
    # Without options: a seed-derived app on the deployment plan's callback, 2 years.
    state = build_state(parser.parse_args(["serve", "--seed", "42"]))
    try:
        demo = state.oauth.demo_app
        assert demo.redirect_uri == "http://127.0.0.1:8000/api/v1/square/callback"
        assert demo.client_id.startswith("sq0idp-") and state.config.years == 2
        again = build_state(parser.parse_args(["serve", "--seed", "42"]))
        assert again.oauth.demo_app.client_secret == demo.client_secret
        again.webhooks.stop()
        again.prefetcher.shutdown()
    finally:
        state.webhooks.stop()
        state.prefetcher.shutdown()
