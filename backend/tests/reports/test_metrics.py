"""metrics.py against METRICS.md: the formulas, null ratios on zero, and the change % rules."""

from __future__ import annotations

from decimal import Decimal

from app.fx.currency import minor_digits
from app.reports import metrics as m


def sums(**money: str) -> m.Sums:
    result = m.Sums()
    for name, value in money.items():
        result.money[name] = Decimal(value)
    return result


def test_every_money_figure_follows_its_definition() -> None:
    s = sums(
        gross_sales="100.00",
        returns="10.00",
        discounts="5.00",
        gift_card_sales="25.00",
        tax="17.00",
        additive_tax="8.00",
        tips="3.00",
        service_charges="4.00",
        refunds_by_amount="2.00",
        rounding="-0.02",
        tender_fees="2.75",
    )
    s.refund_fees = Decimal("0.25")
    s.transactions = Decimal(4)
    s.units_sold = Decimal(10)
    result = m.compute(s)
    assert result["net_sales"] == Decimal("85.00")
    # net + tax + tips + service + gift cards - refunds by amount + rounding
    assert result["total_collected"] == Decimal("131.98")
    assert result["fees"] == Decimal("2.50")
    assert result["net_total"] == Decimal("129.48")
    assert result["average_transaction_value"] == Decimal("21.25")
    assert result["units_per_transaction"] == Decimal("2.5")
    assert list(result) == list(m.METRIC_NAMES)


def test_ratios_with_a_zero_denominator_are_null_not_zero() -> None:
    s = sums(gross_sales="10.00")
    result = m.compute(s)
    assert result["transactions"] == 0
    assert result["average_transaction_value"] is None
    assert result["units_per_transaction"] is None
    assert result["footfall"] is None  # no day with a count: unknown, not 0
    assert result["conversion_rate"] is None
    assert result["sales_per_visitor"] is None


def test_conversion_reads_only_the_days_with_footfall_and_sales() -> None:
    s = sums(gross_sales="300.00")
    s.transactions = Decimal(30)
    s.footfall = 500  # includes a day without sales
    s.conversion_footfall = 200
    s.conversion_transactions = Decimal(20)
    s.conversion_net_sales = Decimal("150.00")
    result = m.compute(s)
    assert result["footfall"] == 500
    assert result["conversion_rate"] == Decimal("0.1")
    assert result["sales_per_visitor"] == Decimal("0.75")


def test_change_is_absent_when_the_comparison_is_zero_or_missing() -> None:
    now = m.compute(sums(gross_sales="120.00", returns="0", discounts="0"))
    before = m.compute(sums(gross_sales="100.00"))
    change = m.change(now, before)
    assert change["gross_sales"] == Decimal("0.2")
    assert change["returns"] is None  # 0 before
    assert change["average_transaction_value"] is None  # null before
    assert set(m.change(now, None).values()) == {None}
    shrink = m.change(m.compute(sums(gross_sales="50")), before)
    assert shrink["gross_sales"] == Decimal("-0.5")


def test_sums_add_up_and_footfall_stays_unknown_until_a_count() -> None:
    a = sums(gross_sales="1.10")
    b = sums(gross_sales="2.20", tender_fees="0.10")
    b.footfall = 7
    a += m.Sums()
    assert a.footfall is None
    a += b
    assert a.money["gross_sales"] == Decimal("3.30")
    assert a.money["tender_fees"] == Decimal("0.10")
    assert a.footfall == 7


def test_money_is_rounded_only_when_shown_in_the_currencys_minor_unit() -> None:
    s = sums(gross_sales="1000.005")
    s.transactions = Decimal(3)
    s.units_sold = Decimal(7)
    gbp = m.present(m.compute(s), "GBP")
    assert gbp["gross_sales"] == "1000.01"  # half up, on the unrounded sum
    jpy = m.present(m.compute(s), "JPY")
    assert jpy["gross_sales"] == "1000"
    assert gbp["average_transaction_value"] == "333.34"
    assert gbp["units_per_transaction"] == 2.333333
    assert gbp["transactions"] == 3
    assert gbp["conversion_rate"] is None
    assert minor_digits("KWD") == 3


def test_a_negated_zero_shows_as_zero() -> None:
    # A return with no discount gives discounts of -0 (found by the rollup property test).
    sums = m.Sums()
    sums.money["discounts"] = -(Decimal(0) * Decimal("0.0112"))
    shown = m.present(m.compute(sums), "EUR")
    assert shown["discounts"] == "0.00"
    assert shown["net_sales"] == "0.00"
