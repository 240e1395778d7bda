"""What the exchange-rate domain shows: the rates a report converted at."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class RatesUsed(BaseModel):
    """The rates a report converted at (app/fx/converter.py `Converter.describe`)."""

    source: str | None  # null when nothing needed converting
    base: str
    pairs: list[str]  # "USD->GBP", ...
    # business date -> publication date of the reference rate used (the oldest, where pairs differ)
    dates: dict[str, str]
    pair_dates: dict[str, dict[str, str]]  # pair -> business date -> rate date
    first_converted_date: date | None
    last_converted_date: date | None
    oldest_rate_date: date | None
    newest_rate_date: date | None
    # Days the newest rate is older than the last date converted; `stale` when more than 3,
    # with `notice` the sentence to show beside the figures.
    stale_days: int
    stale: bool
    notice: str | None
