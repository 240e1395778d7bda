from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class WorkerHeartbeat(Base):
    """Last sign of life from each Celery worker, written by the worker itself."""

    __tablename__ = "worker_heartbeat"

    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime]
