"""Serves the built single-page app (frontend/dist) beside the API, as nginx does in production.

Hashed files under /assets are cached for a year (their names change with their content);
index.html is never cached, so a deploy is picked up at once. A GET that no route answers gets the
file of that name from dist or else index.html, so client routes (/settings,
/accept-invite?token=…) survive a reload. The fallback hangs on the 404 handler rather than a
catch-all route, so the API's own answers (404 and 405 under /api) are exactly what they were.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.core.config import BACKEND_DIR

DIST_DIR = BACKEND_DIR.parent / "frontend" / "dist"
API_PREFIX = "/api"
IMMUTABLE = "public, max-age=31536000, immutable"


class _HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def mount_spa(app: FastAPI, dist: Path = DIST_DIR) -> bool:
    """Serve the app built in `dist` on `app`, if it has been built; says whether it was."""
    index = dist / "index.html"
    if not index.is_file():
        return False
    root = dist.resolve()
    if (dist / "assets").is_dir():
        app.mount("/assets", _HashedAssets(directory=dist / "assets"), name="spa-assets")

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        # A missing asset must stay a 404: HTML in place of a script breaks the page obscurely.
        if request.method not in {"GET", "HEAD"} or _is_api(path) or path.startswith("/assets/"):
            return await http_exception_handler(request, exc)
        candidate = (root / path.lstrip("/")).resolve()
        if candidate.is_relative_to(root) and candidate.is_file() and candidate != index.resolve():
            return FileResponse(candidate, headers={"Cache-Control": "public, max-age=3600"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_exception_handler(404, not_found)
    return True
