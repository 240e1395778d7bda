"""Bulk writes: many rows in one statement — PostgreSQL's COPY, an executemany elsewhere.

COPY's text format is built here rather than with psycopg's `write_row()`, whose per-value
Python costs more than the server's side of the COPY (a sync page of 1,000 orders and their
lines spent more time in `write_row` than PostgreSQL spent storing them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escape(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _json(value: Any) -> str:
    return _document(value).decode()


# By exact type: one dict lookup a value (a page of 1,000 orders is ~40,000 values).
_FORMATS: dict[type, Callable[[Any], str]] = {
    str: _escape,
    int: str,
    Decimal: str,
    date: str,
    datetime: str,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
    dict: _json,
    list: _json,
}


def copy_text(value: Any) -> str:
    """A value in PostgreSQL COPY text format: ints, Decimals, dates, aware datetimes, bools,
    text, and dicts or lists (a JSON document)."""
    format_ = _FORMATS.get(type(value))
    if format_ is not None:
        return format_(value)
    if isinstance(value, str):  # a str subclass (an enum's value)
        return _escape(value)
    return str(value)


class _CopyColumn(dict[Any, str]):
    """One column's values in COPY text, each distinct value formatted once.

    Per column, so that True and 1 (equal as dict keys) never meet: a column holds one type.
    """

    def __missing__(self, value: Any) -> str:
        text = self[value] = copy_text(value)
        return text


# Formatted value by value: Decimals, whose equal values may be written differently (1 and
# 1.000 are one dict key), and instants, which hardly ever repeat.
_UNCACHED = (Decimal, datetime)
_DOCUMENTS = (dict, list)


def _document(value: Any) -> bytes:
    """A JSON document column's value as COPY text, in UTF-8 bytes as orjson writes it (a
    document is ~3 KB: decoding it to str only for psycopg to encode it again cost more than
    the rest of its row)."""
    if isinstance(value, _DOCUMENTS):
        # orjson escapes control characters inside strings, so only backslashes need doubling.
        return orjson.dumps(value).replace(b"\\", b"\\\\")
    return copy_text(value).encode()


def copy_payload(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as COPY text in UTF-8, built column by column: most columns repeat a few values (the
    organization, a location, a currency, a date, zero amounts), each formatted once."""
    # Runs of text columns, each row's run joined and encoded once, and document columns.
    parts: list[list[bytes]] = []
    texts: list[list[str]] = []
    for column in zip(*rows, strict=True):
        first = next((value for value in column if value is not None), None)
        if isinstance(first, _DOCUMENTS):
            if texts:
                parts.append([run.encode() for run in map("\t".join, zip(*texts, strict=True))])
                texts = []
            parts.append(list(map(_document, column)))
        elif isinstance(first, _UNCACHED):
            texts.append(list(map(copy_text, column)))
        else:
            texts.append(list(map(_CopyColumn().__getitem__, column)))
    if not parts:
        return ("\n".join(map("\t".join, zip(*texts, strict=True))) + "\n").encode()
    if texts:
        parts.append([run.encode() for run in map("\t".join, zip(*texts, strict=True))])
    return b"\n".join(map(b"\t".join, zip(*parts, strict=True))) + b"\n"


def unprepared(db: Session, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of a key lookup on PostgreSQL (psycopg's SQL and `%s` parameters), planned afresh on
    every call with the parameters' values.

    psycopg prepares a statement on the server after a few executions, and PostgreSQL may then
    keep a generic plan, made once for any value and with the statistics of the time:
    - for `org_id = $1 AND key IN (...1000 params)`, made while the table was still empty, it
      scanned the whole (org_id, key) index and filtered, so every page of a backfill read every
      row stored before it (quadratic; measured 10 M index tuples read for 34 k payments);
    - for `key = ANY($2)` it cannot hash the array, which is only a constant in a plan made for
      the values: a row filtered against it is compared with each of the thousand keys in turn
      (the refunds-against-tenders lookup: ~200-300 ms a page once a backfill had stored 7,000
      refunds, against ~4 ms planned for the values).
    An unprepared statement with one array parameter (`= ANY(CAST(%s AS text[]))`, the keys
    as `text_array`) is planned with the table and the keys as they are, in well under a
    millisecond."""
    raw = db.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute(sql, params, prepare=False)
        return list(cursor.fetchall())


def by_keys(
    db: Session,
    org_id: int,
    keys: Iterable[str],
    sql: str,
    query: Callable[[list[str]], Any],
) -> list[Any]:
    """Rows of a lookup by a page's Square keys within one organization: on PostgreSQL `sql`
    (psycopg's SQL; its parameters the organization and the keys as one array, to compare as
    `= ANY(CAST(%s AS text[]))`), unprepared (see `unprepared`); elsewhere the statement
    `query(keys)` makes, a thousand keys at a time."""
    ids = sorted(set(keys))
    if not ids:
        return []
    if db.connection().dialect.name == "postgresql":
        return unprepared(db, sql, (org_id, text_array(ids)))
    rows: list[Any] = []
    for start in range(0, len(ids), 1000):
        rows += db.execute(query(ids[start : start + 1000])).all()
    return rows


def text_array(values: Iterable[str]) -> str:
    """Strings as one PostgreSQL array literal, to pass a thousand keys as a single text
    parameter (`= ANY(CAST(%s AS text[]))`): psycopg adapts a list of a thousand strings, and
    SQLAlchemy an ARRAY literal, value by value, at several times the cost of the query."""
    return "{" + ",".join(['"' + _quote_element(value) + '"' for value in values]) + "}"


def _quote_element(value: str) -> str:
    if "\\" in value or '"' in value:
        return value.replace("\\", "\\\\").replace('"', '\\"')
    return value


def insert_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Insert rows of plain values (already as the driver takes them) into `table`."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        chunks = [
            copy_payload(rows[start : start + 50_000]) for start in range(0, len(rows), 50_000)
        ]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        # The payload is UTF-8; with another client encoding psycopg encodes it as text.
        utf8 = cursor.connection.info.encoding == "utf-8"
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk if utf8 else chunk.decode())
        cursor.close()
        return
    placeholders = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
        list(rows),
    )


def insert_mapped(db: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as dicts of a mapped table's columns (every row the same keys): COPY on
    PostgreSQL, SQLAlchemy's executemany (with the columns' own conversions) elsewhere."""
    if not rows:
        return
    conn = db.connection()
    if conn.dialect.name != "postgresql":
        db.execute(insert(model), list(rows))
        return
    columns = list(rows[0])
    values = itemgetter(*columns)
    insert_rows(
        conn,
        model.__table__.name,
        columns,
        [values(row) for row in rows] if len(columns) > 1 else [(row[columns[0]],) for row in rows],
    )
