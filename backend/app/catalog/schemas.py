"""The catalog as the API serves it (`GET /api/v1/reports/catalog`)."""

from __future__ import annotations

import hashlib
from functools import cache

from pydantic import BaseModel, Field

from app.catalog.breakdowns import BREAKDOWNS
from app.catalog.measures import MEASURES
from app.catalog.metrics import METRICS


class MeasureRead(BaseModel):
    name: str
    unit: str = Field(description="money (minor units of the order's currency), quantity, count")
    source: str


class MetricRead(BaseModel):
    name: str
    label: str
    short_label: str = Field(description="Where space is tight; the label when it has none")
    kind: str = Field(description="money, count, ratio (a plain number) or percent (a fraction)")
    up_is_good: bool | None = Field(description="Whether a rise is good news; null: neither")
    additive: bool = Field(description="A sum of measures (a total row is the sum of its rows)")
    terms: list[tuple[int, str]] = Field(description="Σ sign x measure, for additive metrics")
    in_summary: bool
    definition: str = Field(description="Its definition in METRICS.md")
    description: str


class BreakdownSpecRead(BaseModel):
    name: str = Field(description="The reports' `by` value")
    label: str
    header: str
    sheet: str
    sheet_header: str
    grain: str
    metrics: list[str] = Field(description="The figures each row carries")
    columns: list[str] = Field(description="The figures a table shows, in order")
    ordinal: bool = Field(description="Rows in their own order (hours, weekdays)")
    export_sort: str
    fractional_counts: bool


class CatalogRead(BaseModel):
    measures: list[MeasureRead]
    metrics: list[MetricRead]
    breakdowns: list[BreakdownSpecRead]


def catalog() -> CatalogRead:
    return CatalogRead(
        measures=[MeasureRead(name=m.name, unit=m.unit, source=m.source) for m in MEASURES],
        metrics=[
            MetricRead(
                name=m.name,
                label=m.label,
                short_label=m.short_label or m.label,
                kind=m.kind,
                up_is_good=m.up_is_good,
                additive=m.additive,
                terms=list(m.terms),
                in_summary=m.in_summary,
                definition=m.definition,
                description=m.description,
            )
            for m in METRICS
        ],
        breakdowns=[
            BreakdownSpecRead(
                name=b.name,
                label=b.label,
                header=b.header,
                sheet=b.sheet,
                sheet_header=b.sheet_header,
                grain=b.grain,
                metrics=list(b.metrics),
                columns=list(b.columns),
                ordinal=b.ordinal,
                export_sort=b.export_sort,
                fractional_counts=b.fractional_counts,
            )
            for b in BREAKDOWNS
        ],
    )


@cache
def catalog_json() -> tuple[bytes, str]:
    """The catalog's JSON body and its ETag, built once per process: it is fixed for a release."""
    body = catalog().model_dump_json().encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'
