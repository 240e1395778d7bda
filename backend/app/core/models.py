"""Imports every domain's models so metadata (Alembic, tests) sees all tables."""

from app.auth.models import LoginAttempt, RefreshToken
from app.health.models import WorkerHeartbeat
from app.organizations.models import Organization
from app.users.models import User

__all__ = ["LoginAttempt", "Organization", "RefreshToken", "User", "WorkerHeartbeat"]
