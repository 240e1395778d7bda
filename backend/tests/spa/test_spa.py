"""The built single-page app is served beside the API without shadowing it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.spa import mount_spa

INDEX = "<!doctype html><title>Teliporter</title><div id=root></div>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.fixture
def spa_client(dist: Path) -> TestClient:
    app = create_app()
    # create_app() serves frontend/dist when it has been built: this test serves its own.
    app.router.routes = [r for r in app.router.routes if getattr(r, "name", "") != "spa-assets"]
    assert mount_spa(app, dist)
    return TestClient(app)


def test_client_routes_get_index_html_uncached(spa_client: TestClient) -> None:
    for path in ("/", "/settings", "/accept-invite?token=abc", "/reports/by-store"):
        response = spa_client.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(spa_client: TestClient) -> None:
    response = spa_client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log('app')"
    assert "immutable" in response.headers["cache-control"]
    assert spa_client.get("/assets/missing.js").status_code == 404


def test_other_files_in_dist_are_served(spa_client: TestClient) -> None:
    response = spa_client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.text == "<svg/>"


def test_files_outside_dist_are_not_served(spa_client: TestClient, dist: Path) -> None:
    (dist.parent / "secret.txt").write_text("nope")
    response = spa_client.get("/..%2Fsecret.txt")
    assert "nope" not in response.text


def test_api_is_never_shadowed(spa_client: TestClient) -> None:
    health = spa_client.get("/api/v1/health")
    assert health.headers["content-type"].startswith("application/json")
    missing = spa_client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert spa_client.get("/api").status_code == 404
    # A wrong method on an API path stays an API answer.
    assert spa_client.post("/api/v1/health").status_code == 405
    assert spa_client.post("/settings").status_code in {404, 405}
    unauthorised = spa_client.get("/api/v1/users/me")
    assert unauthorised.status_code == 401


def test_nothing_is_mounted_without_a_build(tmp_path: Path) -> None:
    app = FastAPI()
    assert mount_spa(app, tmp_path) is False
    assert TestClient(app).get("/settings").status_code == 404
