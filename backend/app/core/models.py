"""Imports every domain's models so metadata (Alembic, tests) sees all tables."""

from app.auth.models import LoginAttempt, RefreshToken
from app.health.models import WorkerHeartbeat
from app.locations.models import Location, UserLocation
from app.organizations.models import Organization
from app.users.models import User

__all__ = [
    "Location",
    "LoginAttempt",
    "Organization",
    "RefreshToken",
    "User",
    "UserLocation",
    "WorkerHeartbeat",
]
