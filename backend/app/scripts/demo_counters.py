"""`make run`'s people counters: the demo stores' door counts, pushed every few minutes through
the real counter intake (`POST /api/v1/footfall/counts`, an organization API key), so that a new
user sees conversion and sales per visitor on the dashboard without typing a count.

The counts follow each store's sales, as a real door counter's would: every trading hour's
visitors are its transactions divided by a conversion rate between 10 % and 35 % (each store has
its own level; days and hours wander around it), with a few walk-ins in the quiet hours of its
usual opening hours (the hours its days most often start and end selling in). Like a real
estate of counters, not all is well: now and then a store-day is missing (a counter offline),
an hour is lost (estimated on the traffic page with "Include estimated footfall"), and one
store's counter is faulty on some days (a blocked sensor counting a fraction of the visitors;
the footfall grid questions those days). The figures are a pure function of the store, the
hour and its sales, so sending them again changes nothing; a round (every minute) reads the
window's sales, works the counts out again when an hour has ended or those sales changed, and
sends what is new or changed: the hours that have just ended, and the hours whose sales arrived
since (the first sync loads history for a few minutes).

    python -m app.scripts.demo_counters --base-url http://127.0.0.1:8000 [--days 56] [--once]

The key is created for the demo organization on the first run (Settings → API keys lists it as
"Demo door counters") and kept in backend/var/demo-counter-key (mode 600).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from app.core.config import VAR_DIR
from app.core.db import session_scope
from app.locations.models import Location
from app.organizations.models import Organization
from app.rollups.models import RollupHour
from app.scripts.setup_local import DEMO_ORG_NAME

KEY_FILE = VAR_DIR / "demo-counter-key"
KEY_NAME = "Demo door counters"
BATCH = 5000
GAP_ONE_IN = 30  # store-days without counts (a counter offline)
HOUR_GAP_ONE_IN = 50  # store-hours lost (a counter off the network for an hour)
FAULTY_ONE_IN = 6  # the faulty counter's bad days
FAULTY_SHARE = 0.15  # what it counts on those days


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    # Made-up demo figures, repeatable from their inputs: no secret here.
    return random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311


def visitors(location_id: int, day: date, hour: int, transactions: int, *, faulty: bool) -> int:
    """The hour's door count: its transactions at the store's conversion, or a few walk-ins."""
    level = 0.10 + 0.25 * _rng("level", location_id).random()  # the store's usual conversion
    daily = level * (0.85 + 0.3 * _rng("day", location_id, day).random())
    hourly = min(0.35, max(0.10, daily * (0.8 + 0.4 * _rng(location_id, day, hour).random())))
    count = (
        round(transactions / hourly)
        if transactions
        else _rng("walk", location_id, day, hour).randint(2, 9)
    )
    if faulty and _rng("fault", location_id, day).randrange(FAULTY_ONE_IN) == 0:
        count = round(count * FAULTY_SHARE)
    return count


def _org_id() -> int | None:
    with session_scope() as db:
        return db.scalar(select(Organization.id).where(Organization.name == DEMO_ORG_NAME))


def _key(base_url: str, org_id: int) -> str:
    """The saved key while it still works; otherwise a new one for every store of the demo."""
    if KEY_FILE.exists():
        saved = KEY_FILE.read_text().strip()
        probe = httpx.post(
            f"{base_url}/api/v1/footfall/counts",
            json={"counts": []},
            headers={"Authorization": f"Bearer {saved}"},
            timeout=30,
        )
        if probe.status_code != 401:
            return saved
    from app.apikeys import service as apikeys
    from app.apikeys.schemas import ApiKeyCreate
    from app.users.models import Role, User

    with session_scope() as db:
        owner = db.scalars(
            select(User).where(User.org_id == org_id, User.role == Role.owner).order_by(User.id)
        ).first()
        if owner is None:
            raise SystemExit("the demo organization has no owner")
        created = apikeys.create(db=db, user=owner, key_in=ApiKeyCreate(name=KEY_NAME))
        secret = created.key
    KEY_FILE.write_text(secret + "\n")
    KEY_FILE.chmod(0o600)
    return secret


Sold = dict[tuple[int, date], dict[int, int]]  # (store, business date) -> hour -> transactions


def sales(org_id: int, days: int, now: datetime | None = None) -> Sold:
    """The window's transactions per store-day and hour: what the counts are made from."""
    now = now or datetime.now(ZoneInfo("UTC"))
    start = (now - timedelta(days=days)).date()
    sold: Sold = defaultdict(dict)
    with session_scope() as db:
        for loc, day, hour, tx in db.execute(
            select(
                RollupHour.location_id,
                RollupHour.business_date,
                RollupHour.hour,
                func.sum(RollupHour.transactions),
            )
            .where(RollupHour.org_id == org_id, RollupHour.business_date >= start)
            .group_by(RollupHour.location_id, RollupHour.business_date, RollupHour.hour)
        ):
            sold[(loc, day)][hour] = int(tx or 0)
    return dict(sold)


def counts(
    org_id: int, days: int, now: datetime | None = None, sold: Sold | None = None
) -> list[dict[str, Any]]:
    """Every complete trading hour of the window, for every store of the organization (from
    `sold`, the window's `sales`, when the caller has read them)."""
    now = now or datetime.now(ZoneInfo("UTC"))
    if sold is None:
        sold = sales(org_id, days, now)
    items: list[dict[str, Any]] = []
    with session_scope() as db:
        stores = list(
            db.scalars(select(Location).where(Location.org_id == org_id).order_by(Location.id))
        )
        if not stores:
            return []
        faulty_id = stores[-1].id if len(stores) > 1 else None
        for store in stores:
            zone = ZoneInfo(store.timezone)
            local_now = now.astimezone(zone)
            opens, closes = _usual_hours([h for (loc, _), h in sold.items() if loc == store.id])
            for (loc, day), by_hour in sorted(sold.items()):
                if loc != store.id or not by_hour or (store.closed_on and day > store.closed_on):
                    continue
                if _rng("gap", loc, day).randrange(GAP_ONE_IN) == 0:
                    continue  # the counter was offline that day
                # Every hour the store is open counts, a quiet one too (a few walk-ins), as a
                # door counter does; and any hour it sold in.
                first, last = min(min(by_hour), opens), max(max(by_hour), closes)
                for hour in range(first, last + 1):
                    clock_day = (
                        day + timedelta(days=1) if hour < store.business_day_start_hour else day
                    )
                    begins = datetime(
                        clock_day.year, clock_day.month, clock_day.day, hour, tzinfo=zone
                    )
                    if begins + timedelta(hours=1) > local_now:
                        continue  # not over yet
                    if _rng("hour gap", loc, day, hour).randrange(HOUR_GAP_ONE_IN) == 0:
                        continue  # lost on its way
                    items.append(
                        {
                            "store": {"id": store.id},
                            "start": begins.isoformat(),
                            "interval": "hour",
                            "count": visitors(
                                loc, day, hour, by_hour.get(hour, 0), faulty=loc == faulty_id
                            ),
                        }
                    )
    return items


def _usual_hours(days: list[dict[int, int]]) -> tuple[int, int]:
    """A store's usual opening hours: the hours its days most often start and end selling in
    (the first seen of equals); (24, -1), no hours, for a store without sales."""
    firsts = Counter(min(hours) for hours in days if hours)
    lasts = Counter(max(hours) for hours in days if hours)
    if not firsts:
        return 24, -1
    return firsts.most_common(1)[0][0], lasts.most_common(1)[0][0]


def push(client: httpx.Client, key: str, items: list[dict[str, Any]]) -> tuple[int, int]:
    """Send the counts in batches; (accepted, refused). A 429 leaves the rest to the next round."""
    accepted = rejected = 0
    for i in range(0, len(items), BATCH):
        response = client.post(
            "/api/v1/footfall/counts",
            json={"counts": items[i : i + BATCH]},
            headers={"Authorization": f"Bearer {key}"},
        )
        if response.status_code == 429:
            break
        response.raise_for_status()
        body = response.json()
        accepted += body["accepted"]
        rejected += len(body["rejected"])
    return accepted, rejected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--days", type=int, default=56)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between rounds")
    parser.add_argument("--once", action="store_true")
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")
    # What the intake has accepted, so a round sends only new and changed hours (an hour that
    # has just ended, one whose sales arrived since); a restart sends everything once again.
    sent: dict[tuple[int, str], int] = {}
    # The counts are worked out again only when they may have changed: an hour has ended, or the
    # window's sales changed (the first sync loads history for a few minutes).
    seen: tuple[datetime, Sold] | None = None
    while True:
        try:
            org_id = _org_id()
            clock = datetime.now(ZoneInfo("UTC"))
            sold = sales(org_id, args.days, clock) if org_id is not None else {}
            now = (clock.replace(minute=0, second=0, microsecond=0), sold)
            if org_id is not None and now != seen:
                items = [
                    i
                    for i in counts(org_id, args.days, clock, sold)
                    if sent.get((i["store"]["id"], i["start"])) != i["count"]
                ]
                if not items:
                    seen = now
                else:
                    with httpx.Client(base_url=base, timeout=120) as client:
                        accepted, rejected = push(client, _key(base, org_id), items)
                    if accepted + rejected == len(items):  # else rate limited: again next round
                        sent.update({(i["store"]["id"], i["start"]): i["count"] for i in items})
                        seen = now
                    done = f"{accepted} hourly counts sent, {rejected} refused"
                    print(f"demo counters: {done}", flush=True)
        except (httpx.HTTPError, OSError) as exc:
            print(f"demo counters: {exc}; trying again next round", file=sys.stderr, flush=True)
        if args.once:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
