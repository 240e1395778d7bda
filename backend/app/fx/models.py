"""Tables of the exchange-rate domain.

`ExchangeRate` / `ExchangeRateFetch`: the exchange-rate API's reference rates cached in the
database (see app/fx/sources.py), and the outcome of every fetch, so a report can say why a rate
is missing; `RatesEpoch` counts the writes of a rate source's cache.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class ExchangeRate(Base):
    """One published rate: `rate` units of `currency` per 1 `base`, on `rate_date`.

    Only the dates the provider published are stored (a weekend or holiday has no row: the reports
    use the last rate before it). The unique key is also the index every lookup goes through.
    """

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("source", "base", "currency", "rate_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # e.g. "exchangeratesapi.io"
    base: Mapped[str] = mapped_column(String(3))  # EUR on the provider's free plan
    currency: Mapped[str] = mapped_column(String(3))
    rate_date: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(Numeric(28, 12))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeRateFetch(Base):
    """One call to the exchange-rate API and how it ended (`error` null when it worked)."""

    __tablename__ = "exchange_rate_fetch"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    endpoint: Mapped[str] = mapped_column(String(64))  # latest, 2026-11-24, timeseries ...
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    rates_stored: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class RatesEpoch(Base):
    """How many times a rate source's cached rates were written: part of the key of every
    converted sum kept in the month cache, so new or corrected rates retire the sums made with
    the old ones."""

    __tablename__ = "rates_epoch"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger)
