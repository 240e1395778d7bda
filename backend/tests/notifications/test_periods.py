"""Which period a digest covers at a moment, in the organization's timezone (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.notifications.digest import Period, current_period
from app.notifications.models import DigestFrequency, DigestSubscription


def sub(frequency: str = "daily", hour: int = 7, weekday: int = 0) -> DigestSubscription:
    return DigestSubscription(
        frequency=DigestFrequency(frequency), local_hour=hour, weekday=weekday
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-18T06:59:59+00:00", None),
        ("2026-11-18T07:00:00+00:00", date(2026, 11, 17)),
        ("2026-11-18T23:59:00+00:00", date(2026, 11, 17)),  # late the same day: still sent
        ("2026-11-19T00:30:00+00:00", None),  # the next day before 07:00: yesterday's is gone
        # British Summer Time: 07:00 in London is 06:00 UTC.
        ("2026-07-01T05:59:00+00:00", None),
        ("2026-07-01T06:00:00+00:00", date(2026, 6, 30)),
        # The mornings the clocks change, 07:00 local each time.
        ("2026-03-29T06:00:00+00:00", date(2026, 3, 28)),
        ("2026-03-29T05:59:00+00:00", None),
        ("2026-10-25T07:00:00+00:00", date(2026, 10, 24)),
        ("2026-10-25T06:59:00+00:00", None),
    ],
)
def test_a_daily_digest_covers_yesterday_from_its_local_hour(
    moment: str, expected: date | None
) -> None:
    period = current_period(subscription=sub(), timezone="Europe/London", now=at(moment))
    assert period == (
        None if expected is None else Period(DigestFrequency.daily, expected, expected)
    )


def test_the_same_instant_is_a_different_day_in_new_york() -> None:
    london_seven = at("2026-11-18T07:00:00+00:00")  # 02:00 in New York
    assert current_period(subscription=sub(), timezone="America/New_York", now=london_seven) is (
        None
    )
    new_york_seven = at("2026-11-18T07:00:00-05:00")
    period = current_period(subscription=sub(), timezone="America/New_York", now=new_york_seven)
    assert period == Period(DigestFrequency.daily, date(2026, 11, 17), date(2026, 11, 17))
    # Just after midnight UTC it is still the evening before in New York: its yesterday.
    late = at("2026-11-19T00:30:00+00:00")
    period = current_period(subscription=sub(), timezone="America/New_York", now=late)
    assert period == Period(DigestFrequency.daily, date(2026, 11, 17), date(2026, 11, 17))


def test_midnight_and_the_last_hour() -> None:
    midnight = sub(hour=0)
    period = current_period(
        subscription=midnight, timezone="Europe/London", now=at("2026-11-18T00:00:00+00:00")
    )
    assert period == Period(DigestFrequency.daily, date(2026, 11, 17), date(2026, 11, 17))
    eleven = sub(hour=23)
    assert (
        current_period(
            subscription=eleven, timezone="Europe/London", now=at("2026-11-18T22:59:00+00:00")
        )
        is None
    )


def test_a_weekly_digest_covers_the_previous_monday_to_sunday_on_its_day() -> None:
    monday = sub("weekly", hour=7, weekday=0)
    week = Period(DigestFrequency.weekly, date(2026, 11, 9), date(2026, 11, 15))
    assert (
        current_period(
            subscription=monday, timezone="Europe/London", now=at("2026-11-16T07:00:00+00:00")
        )
        == week
    )
    for moment in ("2026-11-16T06:59:00+00:00", "2026-11-17T07:00:00+00:00"):
        assert current_period(subscription=monday, timezone="Europe/London", now=at(moment)) is None
    sunday = sub("weekly", hour=18, weekday=6)
    # Sunday evening: the week before this one (this week is not over at 18:00).
    assert current_period(
        subscription=sunday, timezone="Europe/London", now=at("2026-11-22T18:00:00+00:00")
    ) == Period(DigestFrequency.weekly, date(2026, 11, 9), date(2026, 11, 15))
    # Across a year's end.
    assert current_period(
        subscription=monday, timezone="Europe/London", now=at("2027-01-04T08:00:00+00:00")
    ) == Period(DigestFrequency.weekly, date(2026, 12, 28), date(2027, 1, 3))
