"""Column types that store values exactly as Better Auth's Kysely adapter does, per dialect.

Better Auth on SQLite (better-sqlite3) has no date or boolean type: it writes
``Date.toISOString()`` text (``2026-11-28T02:41:44.123Z``) into columns declared ``date`` and
0/1 into columns declared ``integer``, and reads them back with ``new Date(text)`` and
``value === 1``. A row written any other way (SQLAlchemy's ``2026-11-28 02:41:44.123000``, or
``true`` as text) would be misread by a Node server sharing the file, so these types write that
exact form. PostgreSQL gets ``timestamptz``/``boolean``/``jsonb`` and MySQL/MariaDB
``DATETIME(3)``/``BOOL``/``JSON``, as Better Auth declares them (except ``DATETIME(3)`` for its
``timestamp(3)``: no year-2038 limit; the connection's time zone is pinned to UTC so both read
the same).

Every datetime goes in and comes out timezone-aware, in UTC, truncated to milliseconds (the
precision of a JS ``Date``), so a value round-trips unchanged on every dialect.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from ..models import iso, parse_iso, to_ms


def _is_mysql(dialect: Dialect) -> bool:
    return dialect.name in ("mysql", "mariadb")


class _Declared(UserDefinedType[Any]):
    """A type that only names itself in DDL: SQLite's ``date``, ``integer`` and ``text``.

    No bind or result processing of its own, so the decorators below see raw values.
    """

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **kw: Any) -> str:
        return self.name


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, millisecond precision; ISO ``…Z`` text on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        if _is_mysql(dialect):
            return dialect.type_descriptor(mysql.DATETIME(fsp=3))
        if dialect.name == "sqlite":
            return _Declared("date")
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            # A naive datetime is ambiguous (local? UTC?); refuse it instead of guessing.
            raise ValueError("naive datetime: pass a timezone-aware (UTC) datetime")
        value = to_ms(value.astimezone(UTC))
        if dialect.name == "postgresql":
            return value
        if _is_mysql(dialect):
            # DATETIME has no zone: store UTC wall time (the session time_zone is +00:00 too).
            return value.replace(tzinfo=None)
        return iso(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return to_datetime(value)


def to_datetime(value: Any) -> datetime | None:
    """A stored date in any form seen in the wild → aware UTC datetime (ms), or ``None``.

    Accepts datetimes (naive means UTC: MySQL ``DATETIME``), ISO text in its variants
    (``Z``, ``+00:00``, space separator, micro- or no fraction) and epoch milliseconds
    (what some JS adapters store in integer columns).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        result = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return to_ms(result.astimezone(UTC))
    if isinstance(value, bool):
        raise TypeError("a boolean is not a date")
    if isinstance(value, int | float):
        return to_ms(datetime.fromtimestamp(value / 1000, UTC))
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if isinstance(value, str):
        if len(value) == 24 and value[-1] == "Z" and value[10] == "T":
            # Better Auth's own form, already UTC and ms: the get-session hot path.
            return datetime.fromisoformat(value)
        return to_ms(parse_iso(value))
    raise TypeError(f"cannot read a date from {type(value).__name__}")


class IntBool(TypeDecorator[bool]):
    """A boolean: ``boolean`` on PostgreSQL, ``BOOL`` on MySQL, integer 0/1 on SQLite."""

    impl = Boolean
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Better Auth declares "integer" and tests ``value === 1`` when reading.
            return _Declared("integer")
        return dialect.type_descriptor(Boolean())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, got {type(value).__name__}")
        if dialect.name == "sqlite":
            return 1 if value else 0
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> bool | None:
        if value is None:
            return None
        if isinstance(value, str):
            # Text written by some other tool; Better Auth itself only writes 0/1.
            return value.strip().lower() in ("1", "true", "t")
        return bool(value)


class JSONList(TypeDecorator[list[Any]]):
    """``string[]``/``number[]``: ``jsonb`` / ``JSON`` / JSON text, as Better Auth declares them.

    Better Auth's SQL adapters write ``JSON.stringify(list)`` on every dialect; the server
    parses it into ``jsonb`` on PostgreSQL. Reads accept both a parsed list and JSON text.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSONB())
        if _is_mysql(dialect):
            return dialect.type_descriptor(mysql.JSON())
        if dialect.name == "sqlite":
            return _Declared("text")
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        if dialect.name == "postgresql" or _is_mysql(dialect):
            return list(value)  # the JSON impl serialises it
        return json.dumps(list(value), separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Dialect) -> list[Any] | None:
        if value is None:
            return None
        if isinstance(value, bytes | str):
            value = json.loads(value)
        if not isinstance(value, list):
            raise TypeError(f"expected a JSON list in the column, got {type(value).__name__}")
        return value


def text_type(*, mysql_length: int | None = None, binary: bool = False) -> TypeEngine[str]:
    """A string column: ``text``, or ``varchar(n)`` on MySQL where an index needs a length.

    ``binary`` gives MySQL/MariaDB a ``utf8mb4_bin`` collation (docs/security.md#decisions: the
    default
    ``_ci`` collations make ``A@x.com`` and ``a@x.com``, or accented look-alikes, one key).
    """
    column: TypeEngine[str] = Text().with_variant(_Declared("text"), "sqlite")
    if mysql_length is None:
        return column
    if binary:
        varchar: TypeEngine[str] = mysql.VARCHAR(
            mysql_length, charset="utf8mb4", collation="utf8mb4_bin"
        )
    else:
        varchar = String(mysql_length)
    return column.with_variant(varchar, "mysql", "mariadb")


def number_type(*, bigint: bool = False) -> TypeEngine[int]:
    """``integer`` (or ``bigint``) on every dialect, as Better Auth declares ``number``."""
    if bigint:
        return BigInteger().with_variant(_Declared("bigint"), "sqlite")
    return Integer().with_variant(_Declared("integer"), "sqlite")
