"""Deterministic order history: one bucket per (location, local day), regenerated on demand.

A bucket's *skeleton* (timestamps, kinds, states of every order of that day) comes from a numpy
RNG seeded by (seed, location, day), so any day regenerates identically and searches can filter
without building orders. An order's *body* comes from a ``random.Random`` seeded by (seed,
location, day, index): only the orders a response needs are built.

Every key of a bucket (created_at, closed_at, updated_at, payment and refund times) lies between
the bucket's local midnight and ``SPAN_MS`` after its end: late edits, offline orders and returns
all land within a week, so a time-range search only has to look at the days that can hold it.

The modules: buckets.py (skeletons, ids, GenContext), bodies.py (orders), tenders.py (an order's
tenders and a return's refunds) and payments.py (Payments API bodies, pay tables). This module
re-exports them under the names the simulator uses (``from . import generator as g``).
"""

from __future__ import annotations

from .bodies import _ordered, gen_order, strip_private
from .buckets import (
    DAY_MS,
    K_AMOUNT,
    K_CANCELED,
    K_EXCHANGE,
    K_OFFLINE,
    K_OPEN,
    K_RETURN,
    K_SALE,
    MAX_MS,
    MONTH,
    S_CANCELED,
    S_COMPLETED,
    S_DRAFT,
    S_OPEN,
    SPAN_DAYS,
    SPAN_MS,
    STATE_CODES,
    STATE_NAMES,
    WEEKDAY,
    Bucket,
    GenContext,
    IdCodec,
    build_bucket,
    day_range_for,
    day_rate,
    pack_uid,
    unpack_uid,
)
from .payments import (
    PAY_KINDS,
    PayTable,
    build_pay_table,
    payment_json,
    payment_refund_json,
    payment_updated_ms,
    public_refund,
)
from .tenders import CARD_BRANDS

__all__ = [
    "CARD_BRANDS",
    "DAY_MS",
    "K_AMOUNT",
    "K_CANCELED",
    "K_EXCHANGE",
    "K_OFFLINE",
    "K_OPEN",
    "K_RETURN",
    "K_SALE",
    "MAX_MS",
    "MONTH",
    "PAY_KINDS",
    "SPAN_DAYS",
    "SPAN_MS",
    "STATE_CODES",
    "STATE_NAMES",
    "S_CANCELED",
    "S_COMPLETED",
    "S_DRAFT",
    "S_OPEN",
    "WEEKDAY",
    "Bucket",
    "GenContext",
    "IdCodec",
    "PayTable",
    "_ordered",
    "build_bucket",
    "build_pay_table",
    "day_range_for",
    "day_rate",
    "gen_order",
    "pack_uid",
    "payment_json",
    "payment_refund_json",
    "payment_updated_ms",
    "public_refund",
    "strip_private",
    "unpack_uid",
]
