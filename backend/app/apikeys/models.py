"""Organization API keys: machine credentials for the people-counter intake (and nothing else)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class ApiKey(Base):
    """A key `tpk_<prefix>_<secret>`: only the prefix (to find it) and a digest of the secret are
    kept; the key itself is shown once, when it is created."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # Random, unique: the lookup by which a presented key finds its row (index of the constraint).
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    # sha256 of the whole key, hex. A 32-byte random secret needs no slow hash: it cannot be
    # guessed, and a fast one keeps a counter's every request cheap.
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The store (location) ids the key may write; null: every store of the organization.
    location_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # A user id without a foreign key, as elsewhere: users are deactivated, never deleted.
    created_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most once a minute (app/apikeys/service.py), not on every request.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
