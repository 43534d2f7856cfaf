"""Column types: the exact stored forms, and reading the variants other writers leave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateTable

from authkit.storage.types import IntBool, JSONList, UTCDateTime, text_type, to_datetime

T = datetime(2026, 11, 28, 2, 41, 44, 123000, tzinfo=UTC)


@pytest.mark.parametrize("stored", [
    "2026-11-28T02:41:44.123Z",          # Better Auth (toISOString)
    "2026-11-28T02:41:44.123456Z",
    "2026-11-28 02:41:44.123000",        # SQLAlchemy's SQLite DateTime (naive: UTC)
    "2026-11-28T02:41:44.123+00:00",
    "2026-11-28T03:41:44.123+01:00",
    " 2026-11-28T02:41:44.123Z ",
    1795833704123,                       # epoch milliseconds (JS adapters' integer dates)
    datetime(2026, 11, 28, 2, 41, 44, 123999),  # MySQL DATETIME: naive UTC
    datetime(2026, 11, 27, 21, 41, 44, 123000, tzinfo=timezone(timedelta(hours=-5))),
    b"2026-11-28T02:41:44.123Z",
])
def test_to_datetime_reads_every_variant(stored: object) -> None:
    value = to_datetime(stored)
    assert value == T and value.tzinfo is UTC  # type: ignore[union-attr]


def test_to_datetime_rejects_non_dates() -> None:
    assert to_datetime(None) is None
    with pytest.raises(TypeError):
        to_datetime(True)
    with pytest.raises(ValueError):
        to_datetime("yesterday")


@pytest.fixture
def sqlite_table() -> tuple[object, Table]:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("d", UTCDateTime()), Column("b", IntBool()),
                  Column("l", JSONList()), Column("s", text_type()))
    table.create(engine)
    return engine, table


def test_sqlite_raw_forms(sqlite_table: tuple[object, Table]) -> None:
    engine, table = sqlite_table
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(insert(table).values(d=T.astimezone(timezone(timedelta(hours=9))),
                                          b=True, l=["a", 1], s="x"))
        raw = conn.execute(text("SELECT d, typeof(d), b, typeof(b), l FROM t")).one()
        assert tuple(raw) == ("2026-11-28T02:41:44.123Z", "text", 1, "integer", '["a",1]')
        assert conn.execute(select(table)).one() == (T, True, ["a", 1], "x")


def test_sqlite_reads_foreign_writers(sqlite_table: tuple[object, Table]) -> None:
    engine, table = sqlite_table
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("INSERT INTO t (d, b, l) VALUES "
                          "('2026-11-28 02:41:44.123456', 0, NULL), "
                          "('2026-11-28T02:41:44.123+00:00', 'true', '[]')"))
        rows = conn.execute(select(table.c.d, table.c.b, table.c.l)).all()
    assert rows == [(T, False, None), (T, True, [])]


def test_bind_checks() -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("d", UTCDateTime()), Column("b", IntBool()),
                  Column("l", JSONList()))
    table.create(engine)
    for values in ({"d": datetime(2026, 1, 1)}, {"d": "2026-01-01"}, {"b": 1}, {"l": "x"}):
        with pytest.raises(Exception, match="naive|expected"), engine.begin() as conn:
            conn.execute(insert(table).values(**values))


@pytest.mark.parametrize(("dialect", "expected"), [
    (sqlite.dialect(), ["d date", "b integer", "l text", "s text", "e text"]),
    (postgresql.dialect(), ["d TIMESTAMP WITH TIME ZONE", "b BOOLEAN", "l JSONB", "s TEXT",
                            "e TEXT"]),
    (mysql.dialect(), ["d DATETIME(3)", "b BOOL", "l JSON", "s TEXT",
                       "e VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"]),
])
def test_ddl_per_dialect(dialect: object, expected: list[str]) -> None:
    table = Table("t", MetaData(), Column("d", UTCDateTime()), Column("b", IntBool()),
                  Column("l", JSONList()), Column("s", text_type()),
                  Column("e", text_type(mysql_length=255, binary=True)))
    ddl = str(CreateTable(table).compile(dialect=dialect))  # type: ignore[arg-type]
    columns = [line.strip().rstrip(", ") for line in ddl.splitlines() if line.startswith("\t")]
    assert columns == expected
