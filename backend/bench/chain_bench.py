"""Reports at chain scale: rollups through the API against a plain GROUP BY over the order tables.

    python -m bench.chain_bench [--stores 50] [--years 3] [--orders-per-day 91] [--runs 20]
    python -m bench.chain_bench --keep ...            # keep the generated database
    python -m bench.chain_bench --reuse NAME ...      # measure a kept one again

Generates a chain straight into a fresh PostgreSQL database with COPY (not through the simulator):
`--stores` stores trading in GBP, EUR and USD (a third each) for `--years` years, about
`--orders-per-day` orders per store and day (50 x 3 years: ~5M orders, ~15M line items, with
inclusive VAT / additive sales tax, discounts, tips, card and cash tenders with fees, and 2 %
return orders with refunds against earlier tenders), and a daily footfall count for ~95 % of
store-days, so summaries compute conversion as a chain's would. Then it builds the rollups
(`rollups.rebuild`) and starts the app under uvicorn in its own process, and measures over real
HTTP on loopback the p50/p95 latency of summary, timeseries (day), breakdown by location and
breakdown by item over the last month, year and `--years` years (reporting currency GBP, no
comparison, every store), beside the time PostgreSQL takes for the same answer as a plain SQL
GROUP BY over the order tables (sale_order / sale_line / sale_refund: the sums per currency and
date the conversion needs — the database work alone, so the speed-up shown is a lower bound).

The first request of each report and period is shown apart ("first ms"): on PostgreSQL it makes
the month cache's months of the period (app/reports/cache.py), which later requests read until
a sync or a footfall entry changes them.

Prints one table, with the p95 of the run bench/results.json last recorded ("prev p95": run it on
the code before a change, then after) and the reports issue's targets; figures are merged into
bench/results.json under "chain".
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

END = date(2026, 10, 28)  # within the bundled ECB rates' coverage
CURRENCIES = (
    ("GBP", "Europe/London", 0),
    ("EUR", "Europe/Dublin", 0),
    ("USD", "America/New_York", -5),
)
VARIATIONS = 150
ITEMS = 60
CATEGORIES = 8
BRANDS = ("VISA", "MASTERCARD", "AMERICAN_EXPRESS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--orders-per-day", type=float, default=91.0)
    parser.add_argument("--runs", type=int, default=20, help="timed requests per report")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", help="a kept bench database's name: skip the generation (the database stays)"
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="with --reuse: rebuild the rollups too (otherwise only the report caches are emptied)",
    )
    args = parser.parse_args(argv)

    from cryptography.fernet import Fernet

    from bench.common import ADMIN_URL, drop_postgres, previous, record, scratch_postgres

    if args.reuse:
        url, pg_name = ADMIN_URL.rsplit("/", 1)[0] + f"/{args.reuse}", args.reuse
    else:
        url, pg_name = scratch_postgres()
    env = {
        "TELIPORTER_ENV_FILE": "",
        "DEBUG": "false",
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": secrets.token_hex(32),
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    os.environ.update(env)
    server: subprocess.Popen[bytes] | None = None
    try:
        days = round(args.years * 365.25)
        first = END - timedelta(days=days - 1)
        t0 = time.perf_counter()
        if args.reuse:
            _migrate()  # a database kept by an older checkout
            org_id, email, password, counts = _existing()
        else:
            _migrate()
            org_id, email, password, counts = _generate(
                args.stores, first, END, args.orders_per_day
            )
        generate_s = time.perf_counter() - t0
        print(
            f"generated {counts['orders']:,} orders, {counts['lines']:,} line items, "
            f"{counts['refunds']:,} refunds for {args.stores} stores x {days} days "
            f"in {generate_s:.0f} s"
        )
        t0 = time.perf_counter()
        if args.reuse and not args.rebuild:
            # The kept rollups are the ones a rebuild would make: only empty the caches, so each
            # report's first request still makes its cached months.
            _empty_caches(org_id)
        else:
            _rebuild(org_id)
        rebuild_s = time.perf_counter() - t0
        rollup_rows = _rollup_counts()
        done = "kept (caches emptied)" if args.reuse and not args.rebuild else "rebuilt"
        print(f"rollups {done} in {rebuild_s:.0f} s: {rollup_rows}")

        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env={**os.environ, **env},
        )
        base = f"http://127.0.0.1:{port}"
        token = _login(base, email, password)
        periods = {
            "1 month": (END - timedelta(days=30), END),
            "1 year": (END - timedelta(days=364), END),
            f"{args.years:g} years": (first, END),
        }
        reports = {
            "summary": ("/api/v1/reports/summary", {}),
            "timeseries (day)": ("/api/v1/reports/timeseries", {"granularity": "day"}),
            # What the dashboard's trend asks for the period (frontend granularityFor).
            "timeseries (dashboard)": ("/api/v1/reports/timeseries", {}),
            "breakdown by location": ("/api/v1/reports/breakdown", {"by": "location"}),
            "breakdown by item": ("/api/v1/reports/breakdown", {"by": "item"}),
        }
        figures: dict[str, Any] = {
            "stores": args.stores,
            "days": days,
            "orders": counts["orders"],
            "line_items": counts["lines"],
            "refunds": counts["refunds"],
            "generate_s": round(generate_s, 1),
            "rollup_rebuild_s": None if args.reuse and not args.rebuild else round(rebuild_s, 1),
            "rollup_rows": rollup_rows,
            "api": "real HTTP to uvicorn (1 process) on loopback, GBP, compare=none, all stores",
            "group_by": "plain SQL GROUP BY over sale_order/sale_line/sale_refund per currency "
            "and date (database time only)",
            "reports": {},
        }
        # The last run's p95 beside this one's (e.g. main before a change), and the targets of
        # the reports issue (p95 at 50 stores x 3 years on PostgreSQL).
        before = previous("chain").get("reports", {})
        header = (
            f"{'report':24} {'period':17} {'first ms':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'prev p95':>8} {'target':>6} {'GROUP BY ms':>12} {'speed-up':>9}"
        )
        print(header)
        print("-" * len(header))
        for name, (path, extra) in reports.items():
            for label, (start, end) in periods.items():
                params = {
                    "date_from": start.isoformat(),
                    "date_to": end.isoformat(),
                    "compare": "none",
                    "currency": "GBP",
                    **extra,
                }
                if name == "timeseries (dashboard)":
                    params["granularity"] = _dashboard_granularity((end - start).days + 1)
                    label_shown = f"{label} ({params['granularity']})"
                else:
                    label_shown = label
                p50, p95, first_ms = _latency(base, path, params, token, args.runs)
                plain = _group_by(name, org_id, start, end)
                speedup = plain / p95 if p95 else None
                earlier = before.get(f"{name} / {label_shown}", {}).get("p95_ms")
                target = TARGETS.get(name) if label.endswith("years") else None
                print(
                    f"{name:24} {label_shown:17} {first_ms:8.1f} {p50:8.1f} {p95:8.1f} "
                    f"{'' if earlier is None else f'{earlier:.1f}':>8} "
                    f"{'' if target is None else f'≤{target}':>6} "
                    f"{plain:12.1f} {speedup:8.0f}x"
                )
                figures["reports"][f"{name} / {label_shown}"] = {
                    "first_ms": round(first_ms, 1),
                    "p50_ms": round(p50, 1),
                    "p95_ms": round(p95, 1),
                    "group_by_ms": round(plain, 1),
                    "speedup_vs_p95": round(speedup, 1) if speedup else None,
                }
        record("chain", figures)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if not (args.keep or args.reuse):  # a database named with --reuse stays
            from app.core.db import get_engine

            get_engine().dispose()
            drop_postgres(pg_name)
        else:
            print(f"database kept: {url}")
    return 0


# The reports issue's p95 targets (ms) for `--years` years of every store.
TARGETS = {
    "summary": 50,
    "timeseries (day)": 50,
    "timeseries (dashboard)": 50,
    "breakdown by location": 50,
    "breakdown by item": 150,
}


def _migrate() -> None:
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    cfg = Config(str(Path(__file__).resolve().parents[1] / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the chain ----------------------------------------------------------------------------------
def _generate(
    stores: int, first: date, last: date, per_day: float
) -> tuple[int, str, str, dict[str, int]]:
    """An organization, its stores, catalog and history, COPYed in; returns the org id, an owner's
    credentials and row counts."""
    import numpy as np
    from sqlalchemy import text

    from app.core.db import session_scope
    from app.locations.models import Location
    from app.organizations import service as org_service
    from app.sales.models import CatalogCategory, CatalogItem, CatalogVariation
    from app.square.models import SquareConnection
    from app.users import service as user_service
    from app.users.models import Role
    from app.users.schemas import UserCreate

    email, password = "bench@example.com", secrets.token_urlsafe(16)
    with session_scope() as db:
        org = org_service.create(db=db, name="Chain bench")
        user_service.create(
            db=db,
            org_id=org.id,
            user_in=UserCreate(email=email, full_name="Bench", role=Role.owner, password=password),
        )
        connection = SquareConnection(
            org_id=org.id, merchant_id="BENCHMERCHANT", merchant_name="Bench", scopes=""
        )
        db.add(connection)
        db.flush()
        locations = []
        for i in range(stores):
            currency, timezone, _ = CURRENCIES[i % len(CURRENCIES)]
            location = Location(
                org_id=org.id,
                square_location_id=f"LOC{i:04d}",
                connection_id=connection.id,
                name=f"Store {i + 1:02d}",
                timezone=timezone,
                currency=currency,
            )
            db.add(location)
            locations.append(location)
        base = {"org_id": org.id, "connection_id": connection.id}
        for c in range(CATEGORIES):
            db.add(CatalogCategory(**base, square_id=f"CAT{c}", name=f"Category {c + 1}"))
        for it in range(ITEMS):
            db.add(
                CatalogItem(
                    **base,
                    square_id=f"ITEM{it}",
                    name=f"Item {it + 1}",
                    category_square_id=f"CAT{it % CATEGORIES}",
                )
            )
        for v in range(VARIATIONS):
            db.add(
                CatalogVariation(
                    **base, square_id=f"VAR{v}", item_square_id=f"ITEM{v % ITEMS}", name="Regular"
                )
            )
        db.flush()
        org_id, connection_id = org.id, connection.id
        location_rows = [
            (loc.id, loc.currency, CURRENCIES[i % 3][2]) for i, loc in enumerate(locations)
        ]

    rng = np.random.default_rng(2026)
    prices = rng.integers(150, 4500, VARIATIONS)
    n_days = (last - first).days + 1
    day_numbers = np.arange(n_days)
    weekday = (np.datetime64(first.isoformat()) + day_numbers).astype("datetime64[D]")
    weekday_factor = np.array([0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 0.8])[
        ((weekday.astype("int64") + 3) % 7)
    ]
    counts = {"orders": 0, "lines": 0, "refunds": 0}
    order_id = line_id = tender_id = refund_id = 0

    from app.core.db import get_engine

    engine = get_engine()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for location_id, currency, utc_offset in location_rows:
            per_day_orders = rng.poisson(per_day * weekday_factor * rng.uniform(0.7, 1.3))
            n = int(per_day_orders.sum())
            day_of = np.repeat(day_numbers, per_day_orders)
            dates = (np.datetime64(first.isoformat()) + day_of).astype("datetime64[D]")
            hour = rng.integers(8, 21, n)
            closed = (
                dates.astype("datetime64[s]")
                + (hour - utc_offset).astype("timedelta64[h]")
                + rng.integers(0, 3600, n).astype("timedelta64[s]")
            )
            is_return = rng.random(n) < 0.02
            k = rng.choice([1, 2, 3, 4, 5], n, p=[0.2, 0.2, 0.25, 0.2, 0.15])
            k[is_return] = 1
            m = int(k.sum())
            owner = np.repeat(np.arange(n), k)
            variation = rng.integers(0, VARIATIONS, m)
            qty = rng.choice([1, 1, 1, 2, 3], m)
            gross = prices[variation] * qty
            discount = np.where(rng.random(m) < 0.1, gross // 10, 0)
            inclusive = currency != "USD"
            if inclusive:
                # VAT 20 % inside the price, worked out on the discounted amount (as Square does).
                line_tax = (gross - discount) - np.round((gross - discount) / 1.2).astype(np.int64)
                inclusive_tax = line_tax
                gross_ex, discount_ex = _ex_tax(gross, discount, line_tax, 6, 5)
            else:
                line_tax = np.round((gross - discount) * 0.08875).astype(np.int64)
                inclusive_tax = np.zeros(m, np.int64)
                gross_ex, discount_ex = gross, discount
            line_return = is_return[owner]
            o_gross = np.bincount(owner, gross_ex * ~line_return, n).astype(np.int64)
            o_returns = np.bincount(owner, gross_ex * line_return, n).astype(np.int64)
            o_disc = np.bincount(owner, discount_ex * np.where(line_return, -1, 1), n).astype(
                np.int64
            )
            o_tax = np.bincount(owner, line_tax * np.where(line_return, -1, 1), n).astype(np.int64)
            o_units = np.bincount(owner, qty * np.where(line_return, -1, 1), n).astype(np.int64)
            tips = np.where(
                (currency == "USD") & ~is_return & (rng.random(n) < 0.4),
                np.round(o_gross * 0.15),
                0,
            ).astype(np.int64)
            net = o_gross - o_returns - o_disc
            additive = np.zeros(n, np.int64) if inclusive else o_tax
            collected = net + o_tax + tips
            card = rng.random(n) < 0.7
            fee = np.where(card & ~is_return, np.round(collected * 0.0175), 0).astype(np.int64)
            ids = np.arange(order_id + 1, order_id + n + 1)
            order_id += n

            def s(values: Any) -> Any:
                return np.asarray(values).astype(str)

            closed_s = np.char.add(s(closed), "+00")
            zero = np.zeros(n, np.int64)
            columns = [
                s(ids),
                s(np.full(n, org_id)),
                s(np.full(n, connection_id)),
                s(np.full(n, location_id)),
                np.char.add("ORD", s(ids)),
                np.full(n, "COMPLETED"),
                np.full(n, "4"),
                np.full(n, currency),
                closed_s,
                closed_s,
                closed_s,
                s(dates),
                s(hour),
                np.full(n, "\\N"),
                np.full(n, "\\N"),
                np.full(n, "t"),
                np.where(is_return, "f", "t"),
                s(o_gross),
                s(o_returns),
                s(o_disc),
                s(zero),  # comps: the generated discounts never give a line away whole
                s(net),
                s(zero),
                s(o_tax),
                s(additive),
                s(tips),
                s(zero),
                s(zero),
                s(zero),
                s(collected),
                s(o_units),
                s(np.where(is_return, 0, collected)),
                s(fee),
                np.full(n, "{}"),
            ]
            _copy(
                cursor,
                "sale_order (id, org_id, connection_id, location_id, square_order_id, state, "
                "version, currency, created_at, updated_at, closed_at, business_date, local_hour, "
                "source_order_id, team_member_id, counted, is_transaction, gross_sales, returns, "
                "discounts, comps, net_sales, gift_card_sales, tax, additive_tax, tips, "
                "service_charges, refunds_by_amount, rounding, total_collected, units_sold, "
                "tender_total, "
                "tender_fees, raw)",
                columns,
            )
            line_ids = np.arange(line_id + 1, line_id + m + 1)
            line_id += m
            line_dates = s(dates[owner])
            _copy(
                cursor,
                "sale_line (id, order_id, org_id, location_id, business_date, kind, uid, "
                "source_line_item_uid, item_type, catalog_object_id, name, variation_name, "
                "quantity, units, gross_sales_money, inclusive_tax, gross_ex_tax, discount, tax, "
                "total)",
                [
                    s(line_ids),
                    s(ids[owner]),
                    s(np.full(m, org_id)),
                    s(np.full(m, location_id)),
                    line_dates,
                    np.where(line_return, "return", "sale"),
                    np.char.add("L", s(line_ids)),
                    np.where(line_return, "SRC", "\\N"),
                    np.full(m, "ITEM"),
                    np.char.add("VAR", s(variation)),
                    np.char.add("Item ", s(variation % ITEMS + 1)),
                    np.full(m, "Regular"),
                    s(qty),
                    s(qty),
                    s(gross),
                    s(inclusive_tax),
                    s(gross_ex),
                    s(discount_ex),
                    s(line_tax),
                    s(gross - discount + (0 if inclusive else line_tax)),
                ],
            )
            sales = ~is_return
            n_sales = int(sales.sum())
            t_ids = np.arange(tender_id + 1, tender_id + n_sales + 1)
            tender_id += n_sales
            brand = np.array(BRANDS)[rng.integers(0, len(BRANDS), n_sales)]
            sale_card = card[sales]
            _copy(
                cursor,
                "sale_tender (id, order_id, org_id, location_id, business_date, square_tender_id, "
                "tender_type, card_brand, amount, tip, processing_fee, payment_id)",
                [
                    s(t_ids),
                    s(ids[sales]),
                    s(np.full(n_sales, org_id)),
                    s(np.full(n_sales, location_id)),
                    s(dates[sales]),
                    np.char.add("TND", s(t_ids)),
                    np.where(sale_card, "CARD", "CASH"),
                    np.where(sale_card, brand, "\\N"),
                    s(collected[sales]),
                    s(tips[sales]),
                    s(fee[sales]),
                    np.char.add("TND", s(t_ids)),
                ],
            )
            returns = np.flatnonzero(is_return)
            r = len(returns)
            r_ids = np.arange(refund_id + 1, refund_id + r + 1)
            refund_id += r
            # Each return refunds a tender of this store from before it (or the first one).
            against = np.maximum(
                1, np.searchsorted(np.flatnonzero(sales), returns) - rng.integers(1, 50, r)
            )
            against_ids = t_ids[0] + against - 1
            refunded = -collected[returns]
            _copy(
                cursor,
                "sale_refund (id, order_id, org_id, location_id, square_refund_id, tender_id, "
                "status, counted, amount, processing_fee, created_at, business_date, local_hour)",
                [
                    s(r_ids),
                    s(ids[returns]),
                    s(np.full(r, org_id)),
                    s(np.full(r, location_id)),
                    np.char.add("REF", s(r_ids)),
                    np.char.add("TND", s(against_ids)),
                    np.full(r, "APPROVED"),
                    np.full(r, "t"),
                    s(refunded),
                    s(np.round(refunded * 0.0175 * card[returns]).astype(np.int64)),
                    closed_s[returns],
                    s(dates[returns]),
                    s(hour[returns]),
                ],
            )
            # Footfall: a daily count for ~95 % of the store's days (about four visitors per
            # order), the rest unknown, as staff forget a day now and then.
            entered = np.flatnonzero(rng.random(n_days) < 0.95)
            visitors = np.round(per_day_orders[entered] * rng.uniform(3.0, 5.0, len(entered)))
            f = len(entered)
            now = np.full(f, "2026-10-29 00:00:00+00")
            _copy(
                cursor,
                "footfall_entry (org_id, location_id, entry_date, count, closed, source, "
                "created_at, updated_at)",
                [
                    s(np.full(f, org_id)),
                    s(np.full(f, location_id)),
                    s((np.datetime64(first.isoformat()) + entered).astype("datetime64[D]")),
                    s(visitors.astype(np.int64)),
                    np.full(f, "f"),
                    np.full(f, "import"),
                    now,
                    now,
                ],
            )
            raw.commit()
            counts["orders"] += n
            counts["lines"] += m
            counts["refunds"] += r
        for table in ("sale_order", "sale_line", "sale_tender", "sale_refund", "footfall_entry"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        raw.commit()
    finally:
        raw.close()
    with session_scope() as db:
        db.execute(text("SELECT 1"))
    return org_id, email, password, counts


def _ex_tax(gross: Any, discount: Any, inclusive_tax: Any, num: int, den: int) -> tuple[Any, Any]:
    """`app.sales.facts.ex_tax` over arrays of lines (integer minor units): gross and discount
    ex-tax on the same basis, for lines whose inclusive tax rates add up to `num / den - 1`
    (VAT 20 %: 6 / 5). Gross ex-tax is gross x net ex-tax / net inc-tax, or for a line
    discounted to nothing gross x den / num, rounded half-up (all amounts are >= 0)."""
    import numpy as np

    net_ex = gross - discount - inclusive_tax
    net_inc = gross - discount
    paid = net_inc > 0
    top = np.where(paid, gross * net_ex, gross * den)
    bottom = np.where(paid, net_inc, num)
    gross_ex = (2 * top + bottom) // (2 * bottom)
    return gross_ex, gross_ex - net_ex


def _existing() -> tuple[int, str, str, dict[str, int]]:
    """A kept bench database: its organization, a fresh password for its owner, row counts."""
    from sqlalchemy import select, text, update

    from app.core.db import session_scope
    from app.core.security import hash_password
    from app.organizations.models import Organization
    from app.users.models import User

    password = secrets.token_urlsafe(16)
    with session_scope() as db:
        org_id = db.scalars(select(Organization.id).where(Organization.name == "Chain bench")).one()
        user = db.scalars(select(User).where(User.org_id == org_id)).first()
        assert user is not None
        db.execute(
            update(User).where(User.id == user.id).values(password_hash=hash_password(password))
        )
        counts = {
            key: int(db.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for key, table in (
                ("orders", "sale_order"),
                ("lines", "sale_line"),
                ("refunds", "sale_refund"),
            )
        }
        return org_id, user.email, password, counts


def _copy(cursor: Any, target: str, columns: list[Any]) -> None:
    buffer = io.StringIO()
    for row in zip(*columns, strict=True):
        buffer.write("\t".join(row))
        buffer.write("\n")
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _rebuild(org_id: int) -> None:
    from sqlalchemy import text

    from app.core.db import get_engine, session_scope
    from app.rollups import service as rollups

    with session_scope() as db:
        rollups.rebuild(db, org_id)
    # The rebuild retires the cached months (their versions move); emptied too, so each
    # report's first request makes its months on empty tables, as after a fresh load.
    _empty_caches(org_id)
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _empty_caches(org_id: int) -> None:
    from sqlalchemy import delete

    from app.core.db import session_scope
    from app.reports.models import CACHED_SUMS

    with session_scope() as db:
        for cached in CACHED_SUMS:
            db.execute(delete(cached).where(cached.org_id == org_id))


def _rollup_counts() -> dict[str, int]:
    from sqlalchemy import text

    from app.core.db import session_scope

    with session_scope() as db:
        return {
            table: int(db.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("rollup_day", "rollup_hour", "rollup_line", "rollup_tender")
        }


# --- measuring ----------------------------------------------------------------------------------
def _login(base: str, email: str, password: str) -> str:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.post(
                f"{base}/api/v1/auth/login", json={"email": email, "password": password}
            )
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    response.raise_for_status()
    return str(response.json()["access_token"])


def _latency(
    base: str, path: str, params: dict[str, str], token: str, runs: int
) -> tuple[float, float, float]:
    """p50 and p95 of `runs` requests after two warm-up ones, and the first request's time (on
    a new database: the one that makes the month cache's months for the period)."""
    import httpx

    timings: list[float] = []
    first = 0.0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for i in range(runs + 2):
            t0 = time.perf_counter()
            response = client.get(path, params=params, timeout=120)
            elapsed = (time.perf_counter() - t0) * 1000
            response.raise_for_status()
            if i == 0:
                first = elapsed
            if i >= 2:  # two warm-up requests
                timings.append(elapsed)
    timings.sort()
    p95 = timings[min(len(timings) - 1, max(0, round(0.95 * len(timings)) - 1))]
    return statistics.median(timings), p95, first


GROUP_BY = {
    "summary": """
        SELECT o.currency, o.business_date, sum(o.gross_sales), sum(o.returns),
               sum(o.discounts), sum(o.comps), sum(o.gift_card_sales), sum(o.tax),
               sum(o.additive_tax),
               sum(o.tips), sum(o.service_charges), sum(o.refunds_by_amount), sum(o.rounding),
               sum(o.tender_fees), sum(CASE WHEN o.is_transaction THEN 1 ELSE 0 END),
               sum(o.units_sold)
        FROM sale_order o
        WHERE o.org_id = :org AND o.counted AND o.business_date BETWEEN :start AND :end
        GROUP BY o.currency, o.business_date
    """,
    "breakdown by location": """
        SELECT o.location_id, o.currency, o.business_date, sum(o.gross_sales), sum(o.returns),
               sum(o.discounts), sum(o.comps), sum(o.gift_card_sales), sum(o.tax),
               sum(o.additive_tax),
               sum(o.tips), sum(o.service_charges), sum(o.refunds_by_amount), sum(o.rounding),
               sum(o.tender_fees), sum(CASE WHEN o.is_transaction THEN 1 ELSE 0 END),
               sum(o.units_sold)
        FROM sale_order o
        WHERE o.org_id = :org AND o.counted AND o.business_date BETWEEN :start AND :end
        GROUP BY o.location_id, o.currency, o.business_date
    """,
    "breakdown by item": """
        SELECT o.currency, l.business_date, l.kind, l.item_type, l.catalog_object_id,
               sum(l.gross_ex_tax), sum(l.discount), sum(l.units)
        FROM sale_line l JOIN sale_order o ON o.id = l.order_id
        WHERE l.org_id = :org AND o.counted AND l.business_date BETWEEN :start AND :end
          AND l.item_type <> 'GIFT_CARD'
          AND (l.kind = 'sale' OR l.source_line_item_uid IS NOT NULL)
        GROUP BY o.currency, l.business_date, l.kind, l.item_type, l.catalog_object_id
    """,
    "refund fees": """
        SELECT o.currency, r.business_date, sum(r.processing_fee)
        FROM sale_refund r JOIN sale_order o ON o.id = r.order_id
        WHERE r.org_id = :org AND r.counted AND r.business_date BETWEEN :start AND :end
        GROUP BY o.currency, r.business_date
    """,
}


def _dashboard_granularity(days: int) -> str:
    """The dashboard trend's bucket for a period (frontend/src/features/reports/api.ts)."""
    if days <= 1:
        return "hour"
    if days <= 92:
        return "day"
    if days <= 731:
        return "week"
    return "month"


def _group_by(report: str, org_id: int, start: date, end: date) -> float:
    """Milliseconds PostgreSQL takes for the report's sums straight from the order tables (the
    best of three; summary, timeseries and location also need the refunds' fees)."""
    from sqlalchemy import text

    from app.core.db import session_scope

    statements = {
        "summary": ["summary", "refund fees"],
        "timeseries (day)": ["summary", "refund fees"],
        "timeseries (dashboard)": ["summary", "refund fees"],
        "breakdown by location": ["breakdown by location", "refund fees"],
        "breakdown by item": ["breakdown by item"],
    }[report]
    best = float("inf")
    with session_scope() as db:
        for _ in range(3):
            t0 = time.perf_counter()
            for name in statements:
                db.execute(text(GROUP_BY[name]), {"org": org_id, "start": start, "end": end}).all()
            best = min(best, (time.perf_counter() - t0) * 1000)
    return best


if __name__ == "__main__":
    raise SystemExit(main())
