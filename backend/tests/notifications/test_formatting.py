"""Figures and dates as a digest writes them."""

from __future__ import annotations

from datetime import date

from app.notifications import formatting as fmt


def test_money_in_the_reporting_currency() -> None:
    assert fmt.money("12345.6", "GBP") == "£12,345.60"
    assert fmt.money("12345.6", "GBP", whole=True) == "£12,346"
    assert fmt.money("-12.34", "EUR") == "-€12.34"
    assert fmt.money("-0.001", "USD") == "$0.00"
    assert fmt.money("1234", "JPY") == "¥1,234"
    assert fmt.money("1234.5", "CHF") == "CHF 1,234.50"
    assert fmt.money("1.2345", "KWD") == "KWD 1.235"


def test_each_kind_of_figure() -> None:
    assert fmt.figure("net_sales", "1234.50", "GBP") == "£1,234.50"
    assert fmt.figure("transactions", 1234, "GBP") == "1,234"
    assert fmt.figure("transactions", 2.5, "GBP") == "2.50"
    assert fmt.figure("units_per_transaction", 1.23456, "GBP") == "1.23"
    assert fmt.figure("conversion_rate", 0.12345, "GBP") == "12.3%"
    assert fmt.figure("footfall", None, "GBP") == "—"
    assert fmt.label("average_transaction_value") == "Average transaction value"
    assert fmt.label("average_transaction_value", short=True) == "ATV"


def test_changes_and_their_tone() -> None:
    assert fmt.change(0.04249) == "+4.2 %"
    assert fmt.change(-0.01) == "-1.0 %"
    assert fmt.change(0.0) == "0.0 %"
    assert fmt.change(None) == "—"
    assert fmt.points(0.125, 0.104) == "+2.1 pts"
    assert fmt.points(0.1, 0.1) == "±0.0 pts"
    assert fmt.move("conversion_rate", 0.2, 0.12, 0.1) == "+2.0 pts"
    assert fmt.move("net_sales", 0.2, "12", "10") == "+20.0 %"
    assert fmt.tone("net_sales", 0.1) == "good"
    assert fmt.tone("returns", 0.1) == "bad"
    assert fmt.tone("tax", 0.1) == "neutral"
    assert fmt.tone("net_sales", None) == "neutral"


def test_days_and_weeks_for_people() -> None:
    assert fmt.day(date(2026, 12, 6)) == "Sunday 6 December 2026"
    assert fmt.span(date(2026, 11, 30), date(2026, 12, 6)) == "30 November \u2013 6 December 2026"
    assert fmt.span(date(2026, 11, 9), date(2026, 11, 15)) == "9 \u2013 15 November 2026"
    assert fmt.span(date(2026, 12, 28), date(2027, 1, 3)) == (
        "28 December 2026 \u2013 3 January 2027"
    )
