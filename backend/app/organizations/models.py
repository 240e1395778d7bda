from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class Organization(Base):
    """A retail business: the tenant every row of business data belongs to."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    reporting_currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # False until a person sets the reporting currency: until then it follows the currency of
    # the first Square account the organization connects (METRICS.md "Currency").
    reporting_currency_chosen: Mapped[bool] = mapped_column(default=False, server_default=false())
    # IANA; the digests go out at a local hour here (app/notifications). Until a person sets it,
    # it follows the most common timezone of the organization's stores (Europe/London without).
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    timezone_chosen: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
