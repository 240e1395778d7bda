"""The FastAPI application: routers, middleware and the one domain-error handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.alerts.router import router as alerts_router
from app.apikeys.router import router as apikeys_router
from app.auth.router import router as auth_router
from app.core import methods, openapi
from app.core.config import get_settings
from app.core.errors import DomainError
from app.core.logging import RequestContextMiddleware, configure_logging
from app.core.runtime import settle_gc
from app.exports.router import router as exports_router
from app.footfall.router import locations_router as locations_list_router
from app.footfall.router import router as footfall_router
from app.health.router import router as health_router
from app.health.service import app_version
from app.locations.router import router as locations_router
from app.mail.router import router as mail_router
from app.notifications.router import router as notifications_router
from app.organizations.router import router as organization_router
from app.reports.router import router as reports_router
from app.spa import mount_spa
from app.square.router import router as square_router
from app.users.router import router as users_router

API_PREFIX = "/api/v1"


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


async def domain_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        item = {k: v for k, v in error.items() if k in {"loc", "msg", "type"}}
        item["field"] = _field_name(error.get("loc", ()))
        detail.append(item)
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    settle_gc()  # everything is imported by now
    yield


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL)
    app = FastAPI(
        title=settings.APP_NAME,
        version=app_version(),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    methods.install(app)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After", "Content-Disposition"],
        )
    app.add_middleware(RequestContextMiddleware)
    # Outermost, so everything inside (logs, login throttling, the refresh cookie's Secure flag)
    # sees the client's address and scheme as nginx received them, from trusted proxies only.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.FORWARDED_ALLOW_IPS)
    for router in (
        health_router,
        auth_router,
        users_router,
        organization_router,
        locations_list_router,
        locations_router,
        footfall_router,
        apikeys_router,
        square_router,
        reports_router,
        exports_router,
        mail_router,
        alerts_router,
        notifications_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    mount_spa(app)  # the built frontend/dist, when there is one
    openapi.install(app)
    return app


app = create_app()
