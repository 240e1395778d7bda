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

The rates come from app/fx/sources.py (the configured source: the exchange-rate API's cache or
the bundled ECB history); the API client and the filling of the cache are in app/fx/api.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.errors import InvalidField
from app.fx.currency import minor_digits
from app.fx.sources import EUR, ONE, EcbBundled, RateProvider, provider


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
        self._shifted: dict[int, Converter] = {}
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

    def at_rates_of(self, days: int) -> Converter:
        """This converter with each date converted at the rate of the date `days` later.

        A constant-currency comparison converts each comparison day at the rate of the day it
        is compared with (`days` = the comparison's offset), so both sides of a change use the
        same rate and the change is sales growth, not currency moves. The rates it uses are
        noted in this converter (under the dates whose rates they are: the period's own), and
        its `cache_key` differs, so converted sums are never shared between the two."""
        if not days:
            return self
        shifted = self._shifted.get(days)
        if shifted is None:
            shifted = self._shifted[days] = _ShiftedConverter(self, days)
        return shifted

    def apart(self) -> Converter:
        """A converter of the same rates (and shift) with a record of rates used of its own."""
        return Converter(self.target, self.source)

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


class _ShiftedConverter(Converter):
    """`Converter.at_rates_of`: the base converter's rates, each `days` later."""

    def __init__(self, base: Converter, days: int) -> None:
        # The base's source and its record of the rates used: one report, one list of rates.
        self.target = base.target
        self.source = base.source
        self.max_age = base.max_age
        self._factors = {}
        self.used = base.used
        self.pairs = base.pairs
        self._shifted = {}
        self._base = base
        self._shift = timedelta(days=days)

    def rate(self, currency: str, day: date) -> Decimal:
        return self._base.rate(currency, day + self._shift)

    def note(self, currency: str, days: Iterable[date]) -> None:
        self._base.note(currency, (day + self._shift for day in days))

    def cache_key(self) -> str:
        return f"{self._base.cache_key()}@{self._shift.days:+d}d"

    def apart(self) -> Converter:
        return self._base.apart().at_rates_of(self._shift.days)
