"""Table columns made from the catalog's measures: one column per order measure.

`sale_order` (minor units of the order's currency), the hour and day rollups (the same, summed)
and the report caches (converted amounts) each take the order measures' columns from a mixin made
here, as Dispatch's models take `TimeStampMixin`'s. Code reads them by name
(`getattr(model, name) for name in ORDER_MONEY`); a new measure's column comes with its line in
`app.catalog.measures` and the migration that adds it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeEngine

from app.catalog.measures import ORDER_MEASURES


def measure_columns(
    name: str,
    column_type: TypeEngine[Any] | type[TypeEngine[Any]],
    *,
    extra: tuple[str, ...] = (),
    without: tuple[str, ...] = (),
    only: tuple[str, ...] | None = None,
) -> Any:
    """A declarative mixin with a NOT NULL `column_type` column per order measure (but those in
    `without`; or only those in `only`) and per name in `extra`. Typed `Any`: its attributes are
    the catalog's, known at run time, so the classes using it are checked loosely on those
    attributes."""
    names = (
        *(
            m.name
            for m in ORDER_MEASURES
            if m.name not in without and (only is None or m.name in only)
        ),
        *extra,
    )
    namespace: dict[str, Any] = {
        column: mapped_column(column_type, nullable=False) for column in names
    }
    namespace["__doc__"] = "The catalog's order measures as columns."
    return type(name, (), namespace)
