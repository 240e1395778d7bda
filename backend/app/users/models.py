from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow
from app.organizations.models import Organization


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    manager = "manager"  # sees only the locations granted to them
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.viewer: 0, Role.manager: 1, Role.admin: 2, Role.owner: 3}


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(
        String(255)
    )  # None until an invite is accepted
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, validate_strings=True), default=Role.viewer
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    invite_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None]
    # Carried by each access token; raised when the password changes, so every access token
    # issued before the change is refused at once rather than when it expires.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def invite_pending(self) -> bool:
        return self.password_hash is None

    @property
    def invite_open(self) -> bool:
        """Whether an invitation link works now (not accepted, revoked or expired)."""
        return self.invite_expires_at is not None and self.invite_expires_at > utcnow()
