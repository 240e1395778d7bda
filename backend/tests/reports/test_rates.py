"""Exchange rates: that day's ECB reference rate, the last one before it on a closed day, cross
rates through EUR, an exact 1 for the same currency, and an error naming what is missing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.core.config import get_settings
from app.reports import rates
from app.reports.rates import Converter, MissingRate

# ECB reference rates per EUR as published (the bundled file's 30 and 29 October 2026 rows).
FRIDAY = date(2026, 10, 30)
USD_FRIDAY, GBP_FRIDAY = Decimal("1.1172"), Decimal("0.8338")
GBP_THURSDAY = Decimal("0.83578")


def test_a_weekday_uses_its_own_rate_and_a_weekend_the_last_one_published() -> None:
    source = rates.provider()
    assert source.rate_on_or_before("GBP", FRIDAY) == (FRIDAY, GBP_FRIDAY)
    assert source.rate_on_or_before("GBP", FRIDAY - timedelta(days=1)) == (
        FRIDAY - timedelta(days=1),
        GBP_THURSDAY,
    )
    for weekend_day in (FRIDAY + timedelta(days=1), FRIDAY + timedelta(days=2)):
        assert source.rate_on_or_before("GBP", weekend_day) == (FRIDAY, GBP_FRIDAY)


def test_cross_rates_go_through_eur_and_record_the_rate_date() -> None:
    converter = Converter("GBP")
    saturday = FRIDAY + timedelta(days=1)
    assert converter.rate("USD", saturday) == GBP_FRIDAY / USD_FRIDAY
    assert converter.rate("EUR", FRIDAY) == GBP_FRIDAY
    # 12.34 USD in minor units into GBP major units
    assert Decimal(1234) * converter.factor("USD", saturday) == Decimal("12.34") * (
        GBP_FRIDAY / USD_FRIDAY
    )
    described = converter.describe()
    assert described["source"] == "ECB (bundled)"
    assert described["dates"][saturday.isoformat()] == FRIDAY.isoformat()
    assert described["pairs"] == ["EUR->GBP", "USD->GBP"]


def test_the_same_currency_converts_at_exactly_one_and_needs_no_rate() -> None:
    converter = Converter("GBP")
    assert converter.rate("GBP", date(1990, 1, 1)) == 1
    assert converter.factor("GBP", date(2026, 1, 1)) == Decimal("0.01")
    assert Converter("JPY").factor("JPY", date(2026, 1, 1)) == 1
    assert converter.describe()["source"] is None


@pytest.mark.parametrize(
    ("currency", "day", "reason"),
    [
        ("XYZ", date(2026, 10, 1), "not in the rate source"),
        ("USD", date(1998, 12, 31), "before the rate history starts"),
        ("USD", FRIDAY + timedelta(days=46), "more than 45 days"),
    ],
)
def test_a_missing_rate_is_an_error_naming_the_currency_and_the_date(
    currency: str, day: date, reason: str
) -> None:
    assert get_settings().EXCHANGE_RATE_MAX_AGE_DAYS == 45
    with pytest.raises(MissingRate) as raised:
        Converter("GBP").rate(currency, day)
    error = raised.value
    assert error.status_code == 422
    assert currency in error.detail and day.isoformat() in error.detail and reason in error.detail
    assert error.body()["currency"] == currency and error.body()["date"] == day.isoformat()
    # The last day still inside the allowed age converts.
    assert Converter("GBP").rate("USD", FRIDAY + timedelta(days=45)) == GBP_FRIDAY / USD_FRIDAY


def test_rates_are_loaded_once_per_process() -> None:
    assert rates.provider() is rates.provider()
