"""The exchange-rate API client and the filling of its cache (`exchange_rate`), which reports
read through `CachedRates` (app/fx/sources.py).

The beat task `reports.refresh_exchange_rates` (app/fx/tasks.py, daily) calls `refresh_rates`:
every day from the last cached one up to yesterday (UTC) and, on first run, a backfill of
EXCHANGE_RATE_BACKFILL_DAYS, with the `timeseries` endpoint in windows of at most 365 days; on a
plan without `timeseries` (error 105) the historical endpoint, one day per request, newest first,
at most EXCHANGE_RATE_MAX_REQUESTS_PER_RUN a run. Every call is logged in `exchange_rate_fetch`;
when the provider is down, refuses the key or the quota is used up, the task retries later.
Older dates: `python -m app.fx.tasks backfill --from YYYY-MM-DD`.

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

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.fx.epoch import bump_rates_epoch
from app.fx.models import ExchangeRate, ExchangeRateFetch
from app.fx.sources import API_SOURCE, EUR

TIMESERIES_MAX_DAYS = 365  # the provider's limit for one timeseries request
# How far a cached series may have a gap at its start and still count as backfilled (the provider
# publishes nothing on weekends and holidays, so the first cached date is rarely the asked one).
BACKFILL_SLACK = timedelta(days=7)

# Provider error codes that retrying soon cannot fix (a key or request problem): the task records
# them and the next daily run tries again. Others (down, 5xx, quota) are retried.
PERMANENT_ERRORS = {101, 102, 103, 105, 201, 202, 301, 302}
FUNCTION_ACCESS_RESTRICTED = 105
NO_RATES_AVAILABLE = 106

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
