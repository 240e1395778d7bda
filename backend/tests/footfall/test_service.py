"""The functions the reports read footfall through, and the unusual-value rule."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.footfall import grid as grid_service
from app.footfall import service as footfall_service
from app.footfall.schemas import FootfallBulk, FootfallCell, FootfallCreate
from app.square import flows as square_flows
from app.users.models import Role, User
from tests.factories import make_connection, make_location, make_org, make_user
from tests.footfall.helpers import MONDAY
from tests.sales.test_tax_basis import toastie


def grid(db: Session, user: User, cells: list[FootfallCell]) -> None:
    grid_service.bulk_upsert(db=db, user=user, bulk_in=FootfallBulk(entries=cells))
    db.commit()


def test_day_footfall_tells_counted_closed_and_unknown_days_apart(db: Session) -> None:
    org_id = make_org(db)
    owner = make_user(db, org_id=org_id, role=Role.owner).user
    soho = make_location(db, org_id=org_id, name="Soho")
    leeds = make_location(db, org_id=org_id, name="Leeds")
    tuesday, wednesday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
    grid(
        db,
        owner,
        [
            FootfallCell(location_id=soho.id, date=MONDAY, count=120),
            FootfallCell(location_id=soho.id, date=tuesday, closed=True),
            FootfallCell(location_id=leeds.id, date=MONDAY, hour=9, count=7),
            FootfallCell(location_id=leeds.id, date=MONDAY, hour=10, count=0),
            FootfallCell(location_id=leeds.id, date=MONDAY, hour=11, count=12),
        ],
    )
    days = footfall_service.day_footfall(
        db=db, org_id=org_id, location_ids=[soho.id, leeds.id], date_from=MONDAY, date_to=wednesday
    )
    assert len(days) == 6  # every location x date, unknown ones included
    view = {k: (d.status, d.count, d.hourly) for k, d in days.items()}
    assert view == {
        (soho.id, MONDAY): ("counted", 120, False),
        (soho.id, tuesday): ("closed", None, False),
        (soho.id, wednesday): ("unknown", None, False),
        (leeds.id, MONDAY): ("counted", 19, True),  # the sum of its hours
        (leeds.id, tuesday): ("unknown", None, False),
        (leeds.id, wednesday): ("unknown", None, False),
    }
    with_counts = footfall_service.days_with_footfall(
        db=db, org_id=org_id, location_ids=[soho.id, leeds.id], date_from=MONDAY, date_to=wednesday
    )
    assert with_counts == {soho.id: {MONDAY}, leeds.id: {MONDAY}}


def test_reads_for_the_reports_stay_within_the_organization(db: Session) -> None:
    org_id, other_org = make_org(db), make_org(db)
    other_owner = make_user(db, org_id=other_org, role=Role.owner).user
    foreign = make_location(db, org_id=other_org, name="Foreign")
    grid(db, other_owner, [FootfallCell(location_id=foreign.id, date=MONDAY, count=5)])
    assert footfall_service.days_with_footfall(
        db=db, org_id=org_id, location_ids=[foreign.id], date_from=MONDAY, date_to=MONDAY
    ) == {foreign.id: set()}
    days = footfall_service.day_footfall(
        db=db, org_id=org_id, location_ids=[foreign.id], date_from=MONDAY, date_to=MONDAY
    )
    assert days[(foreign.id, MONDAY)].status == "unknown"


def test_unusual_rule_uses_the_median_of_the_same_weekday(db: Session) -> None:
    org_id = make_org(db)
    owner = make_user(db, org_id=org_id, role=Role.owner).user
    soho = make_location(db, org_id=org_id, name="Soho")

    def weeks_before(day: date, counts: list[int | None]) -> list[FootfallCell]:
        return [
            FootfallCell(
                location_id=soho.id, date=day - timedelta(weeks=k + 1), count=c, closed=c is None
            )
            for k, c in enumerate(counts)
        ]

    # Mondays: median 100. Tuesdays (busier) are a different series and do not count.
    grid(db, owner, weeks_before(MONDAY, [100, 90, 110, 100, None, 95, 105, 100]))
    grid(db, owner, [FootfallCell(location_id=soho.id, date=MONDAY + timedelta(days=1), count=900)])

    def flag(count: int) -> bool:
        entry = grid_service.bulk_upsert(
            db=db,
            user=owner,
            bulk_in=FootfallBulk(
                entries=[FootfallCell(location_id=soho.id, date=MONDAY, count=count)]
            ),
        )
        db.commit()
        [read] = entry.items
        assert (read.unusual_reason is not None) is read.unusual
        return read.unusual

    assert flag(300) is False  # exactly 3x is still usual
    assert flag(301) is True
    assert flag(34) is False  # a third of 100 is 33.3
    assert flag(33) is True
    assert flag(0) is True
    assert footfall_reasons(db, owner, soho.id, MONDAY) == [
        "Less than a third of a usual Monday here (100)"
    ]
    # With fewer than 3 weeks of history (and no other stores or sales to go by) nothing is judged.
    thursday = MONDAY + timedelta(days=3)
    grid(
        db, owner, [FootfallCell(location_id=soho.id, date=thursday - timedelta(weeks=1), count=10)]
    )
    grid(
        db, owner, [FootfallCell(location_id=soho.id, date=thursday - timedelta(weeks=2), count=10)]
    )
    grid(db, owner, [FootfallCell(location_id=soho.id, date=thursday, count=500)])
    assert footfall_reasons(db, owner, soho.id, thursday) == [None]


def footfall_reasons(db: Session, user: User, location_id: int, day: date) -> list[str | None]:
    """What the grid's listing says about a store-day's entries (whole day or hours)."""
    page = footfall_service.list_entries(
        db=db,
        user=user,
        location_ids=[location_id],
        date_from=day,
        date_to=day,
        limit=50,
        offset=0,
    )
    return [e.unusual_reason for e in page.items]


def test_without_history_a_count_is_weighed_against_the_chain_and_the_days_sales(
    db: Session,
) -> None:
    """A new store's 17,000 where the chain's stores count ~1,000 is questioned at once, and so
    is a count below the day's transactions, or far above them, or a closed day with sales."""
    org_id = make_org(db)
    owner = make_user(db, org_id=org_id, role=Role.owner).user
    connection = make_connection(db, org_id=org_id)
    new = make_location(db, org_id=org_id, name="New", timezone="Europe/London")
    new.square_location_id, new.connection_id = "LTOASTIE", connection.id
    others = [make_location(db, org_id=org_id, name=n) for n in ("Leeds", "York", "Bath")]
    db.commit()
    tuesday, wednesday, thursday = (MONDAY + timedelta(days=d) for d in (1, 2, 3))
    square_flows.write_orders(
        db=db,
        org_id=org_id,
        connection_id=connection.id,
        orders=[
            toastie(
                f"O{day.day}-{n}", f"{day.isoformat()}T12:00:00Z", gross=600, discount=0, vat=100
            )
            for day in (MONDAY, tuesday, wednesday)
            for n in range(4)
        ],
        locations={"LTOASTIE": new},
    )
    db.commit()
    grid(
        db,
        owner,
        [
            FootfallCell(location_id=o.id, date=MONDAY, count=c)
            for o, c in zip(others, (900, 1000, 1100), strict=True)
        ],
    )

    def reason(day: date, count: int | None, *, closed: bool = False) -> str | None:
        cell = FootfallCell(location_id=new.id, date=day, count=count, closed=closed)
        [read] = grid_service.bulk_upsert(
            db=db, user=owner, bulk_in=FootfallBulk(entries=[cell])
        ).items
        db.commit()
        assert footfall_reasons(db, owner, new.id, day) == [read.unusual_reason]
        return read.unusual_reason

    assert reason(MONDAY, 17_000) == "More than 5x the other stores' median that day (1,000)"
    assert reason(MONDAY, 1_200) is None
    assert reason(MONDAY, 150) == "Less than a fifth of the other stores' median that day (1,000)"
    # 4 transactions: 3 visitors cannot be; the rule holds whatever the chain counts.
    assert (
        reason(MONDAY, 3)
        == "Fewer visitors (3) than transactions (4) that day: every sale needs a visitor"
    )
    # No other store counted Tuesday: weighed against its 4 transactions (at most 50 visitors each).
    assert reason(tuesday, 200) is None
    assert reason(tuesday, 201) == "201 visitors for 4 transactions would be a conversion under 2 %"
    assert reason(wednesday, None, closed=True) == "Marked closed, but 4 sales were taken that day"
    assert reason(thursday, None, closed=True) is None  # no sales: closed is believable
    assert reason(thursday, 5_000) is None  # nothing to weigh it against


def test_hourly_entries_are_judged_against_the_same_hour(db: Session) -> None:
    org_id = make_org(db)
    owner = make_user(db, org_id=org_id, role=Role.owner).user
    soho = make_location(db, org_id=org_id, name="Soho")
    history = [
        FootfallCell(location_id=soho.id, date=MONDAY - timedelta(weeks=k), hour=h, count=c)
        for k in range(1, 5)
        for h, c in ((8, 4), (9, 25), (12, 80))
    ]
    grid(db, owner, history)
    nine = grid_service.create(
        db=db,
        user=owner,
        entry_in=FootfallCreate(location_id=soho.id, date=MONDAY, hour=9, count=80),
    )
    noon = grid_service.create(
        db=db,
        user=owner,
        entry_in=FootfallCreate(location_id=soho.id, date=MONDAY, hour=12, count=80),
    )
    assert (nine.unusual, noon.unusual) == (True, False)
    assert nine.unusual_reason == "More than 3x a usual Monday 09:00 here (25)"
    # An hour that usually sees 4 people is not judged: 13 is within its own swings.
    eight = grid_service.create(
        db=db,
        user=owner,
        entry_in=FootfallCreate(location_id=soho.id, date=MONDAY, hour=8, count=13),
    )
    assert eight.unusual is False
