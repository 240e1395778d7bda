"""The catalog is the one list of measures: every table that holds them has their columns, and
every additive metric is computed from its declared terms."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Table

from app.catalog.measures import ORDER_MEASURES, ORDER_MONEY
from app.catalog.metrics import METRICS
from app.reports import metrics as m
from app.reports.models import HourDaySums, MonthDaySums, OrgDaySums
from app.rollups.models import RollupDay, RollupHour
from app.sales.models import SaleOrder


def test_every_measure_table_has_a_not_null_column_per_order_measure() -> None:
    for model in (SaleOrder, RollupHour, RollupDay, MonthDaySums, OrgDaySums):
        table = model.__table__
        assert isinstance(table, Table)
        for measure in ORDER_MEASURES:
            column = table.c[measure.name]
            assert not column.nullable, (table.name, measure.name)
    # The hour cache holds them posted: tender fees less refund fees as `fees`.
    hours = HourDaySums.__table__
    assert isinstance(hours, Table)
    assert {*ORDER_MONEY, "fees"} - {"tender_fees"} <= set(hours.c.keys())


def test_additive_metrics_follow_metrics_md() -> None:
    sums = m.Sums()
    for index, name in enumerate(ORDER_MONEY):
        sums.money[name] = Decimal(index * 7 + 3)
    sums.refund_fees = Decimal(2)
    got = m.compute(sums)
    money = sums.money
    net_sales = money["gross_sales"] - money["returns"] - money["discounts"]
    total_collected = (
        net_sales
        + money["tax"]
        + money["tips"]
        + money["service_charges"]
        + money["gift_card_sales"]
        - money["refunds_by_amount"]
        + money["rounding"]
    )
    fees = money["tender_fees"] - sums.refund_fees
    assert got["net_sales"] == net_sales
    assert got["total_collected"] == total_collected
    assert got["fees"] == fees
    assert got["net_total"] == total_collected - fees
    # Every other additive metric is its one measure.
    for metric in METRICS:
        if metric.additive and len(metric.terms) == 1:
            assert got[metric.name] == money[metric.terms[0][1]]
