"""The epoch of a rate source's cached rates (`RatesEpoch`), raised by every rate write: part of
the key (`CachedRates.cache_key`) under which the layers above keep sums converted with them.

Those layers keep such sums in their own tables (app/reports/cache.py: the month, day, line and
hour caches), which fx does not import: each registers with `on_rates_written` what to do in the
transaction that writes new rates (delete what was converted with the old ones).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.fx.models import RatesEpoch

RatesWritten = Callable[[Session, str], None]  # (session, source)
_on_rates_written: list[RatesWritten] = []


def on_rates_written(hook: RatesWritten) -> RatesWritten:
    """Run `hook(db, source)` after every bump of a source's epoch, in the same transaction."""
    if hook not in _on_rates_written:
        _on_rates_written.append(hook)
    return hook


def bump_rates_epoch(db: Session, source: str) -> None:
    """Retire every cached month converted with this rate source's earlier rates (and delete
    them, by the `on_rates_written` hooks: the daily fetch would otherwise leave a copy of the
    cache behind every day). Kept on SQLite too (a rare write), so a database moved to PostgreSQL
    starts from the right epoch."""
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RatesEpoch).values(source=source, epoch=1)
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["source"], set_={"epoch": RatesEpoch.epoch + 1}
        )
    )
    for hook in _on_rates_written:
        hook(db, source)


def rates_epoch(db: Session, source: str) -> int:
    return int(db.scalar(select(RatesEpoch.epoch).where(RatesEpoch.source == source)) or 0)
