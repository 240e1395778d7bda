"""An export made in the background: its parameters, progress and the file it produced."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JsonDocument, utcnow


class ExportState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Export(Base):
    """One workbook export run by a worker (POST /reports/exports); its file expires."""

    __tablename__ = "report_export"

    # Random and unguessable: it appears in download links.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # date_from, date_to, location_ids, currency, compare, lfl as the request gave them.
    params: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    state: Mapped[ExportState] = mapped_column(
        Enum(ExportState, native_enum=False, length=16, validate_strings=True),
        default=ExportState.queued,
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(255))
    # Relative to EXPORT_DIR; None once the file is deleted.
    file_path: Mapped[str | None] = mapped_column(String(512))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime] = mapped_column(index=True)
