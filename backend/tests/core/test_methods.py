"""405 answers list every method of the path, however many routes share it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/footfall/1", "PUT, DELETE"),  # two routes
        ("/api/v1/users/1", "GET, PATCH"),  # two routes
        ("/api/v1/users/me", "GET, PATCH"),
        ("/api/v1/footfall", "GET, POST"),
        ("/api/v1/openapi.json", "GET, HEAD"),  # a plain Starlette route answers HEAD too
    ],
)
def test_405_allows_every_method_of_the_path(client: TestClient, path: str, allow: str) -> None:
    response = client.request("POST" if "POST" not in allow else "DELETE", path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"detail": "Method Not Allowed"}
