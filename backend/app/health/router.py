from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.core.deps import DbSession
from app.core.routing import BoundedJsonRoute
from app.health import service as health_service
from app.health.schemas import HealthRead

router = APIRouter(tags=["health"], route_class=BoundedJsonRoute)


@router.get(
    "/health",
    response_model=HealthRead,
    responses={503: {"model": HealthRead, "description": "The database is unreachable"}},
)
def health(db: DbSession, response: Response) -> HealthRead:
    report = health_service.check(db=db)
    if report.database != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    response.headers["Cache-Control"] = "no-store"
    return report
