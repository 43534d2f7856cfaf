"""Rate-limit counters in the ``rateLimit`` table, atomic on SQLite, PostgreSQL and MariaDB.

A read-then-write counter lets two simultaneous requests both read ``count = max - 1`` and
both pass (CVE-2026-110861, docs/security.md#rate-limiting). Here every decision is a single
conditional
``UPDATE … WHERE count < max``: the database serialises writers on the row (PostgreSQL
re-checks the WHERE clause against the committed row, InnoDB's UPDATE reads the latest
version under its row lock, SQLite has one writer at a time), so exactly one of them
matches. A first request for a key INSERTs; losing that race to a concurrent INSERT (a
unique-key clash) just retries the UPDATE path.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy import exc as sa_exc
from sqlalchemy import update as sa_update

from ..errors import ConfigError
from ..tokens import generate_id
from .engine import unique_violation
from .limits import fit_key

# Each round either decides or saw another writer change the row in between; a handful is
# far more than contention can cause (each lost round means someone else's request counted).
MAX_ROUNDS = 8


def consume(connection: Callable[[], AbstractContextManager[Connection]], table: Table | None,
            key: str, *, window_ms: int, max_count: int, now_ms: int,
            prune_before_ms: int | None = None) -> tuple[bool, int]:
    """Count one request against ``key``: ``(allowed, lastRequest ms)``.

    Better Auth's algorithm: a window that has passed restarts the count at 1; a full window
    refuses without touching the row (the wait runs from the last allowed request); else the
    count goes up and ``lastRequest`` moves to now. ``connection`` yields a connection in a
    transaction of its own (``SQLStorage._connection``).
    """
    if table is None:
        raise ConfigError("rate_limit.storage='database' needs the rateLimit table: "
                          "build_tables(rate_limit_table=True)")
    # The key holds the request path, which may be longer than the column takes.
    key = fit_key(table, "key", key)
    # Subscripts, not attributes: ``table.c.key``/``.count`` could clash with collection API.
    key_col, count, last_col = table.c["key"], table.c["count"], table.c["lastRequest"]
    window_start = now_ms - window_ms
    for _ in range(MAX_ROUNDS):
        with connection() as conn:
            counted = conn.execute(
                sa_update(table)
                .where(key_col == key, last_col > window_start, count < max_count)
                .values({count: count + 1, last_col: now_ms}))
            if counted.rowcount == 1:
                return True, now_ms
            restarted = conn.execute(
                sa_update(table)
                .where(key_col == key, last_col <= window_start)
                .values({count: 1, last_col: now_ms}))
            if restarted.rowcount == 1:
                if prune_before_ms is not None:
                    # Rows idle for longer than the longest window can only restart at 1:
                    # dropping them keeps the table as small as the set of active clients.
                    conn.execute(delete(table).where(last_col < prune_before_ms))
                return True, now_ms
            last = conn.execute(select(last_col).where(key_col == key)).scalar()
        if last is not None:
            if int(last) > window_start:
                return False, int(last)
            continue  # the window ended between our statements: decide again
        if _insert_first(connection, table, key, now_ms):
            return True, now_ms
    # Pathological contention: refuse rather than count nothing (fail closed).
    return False, now_ms


def _insert_first(connection: Callable[[], AbstractContextManager[Connection]], table: Table,
                  key: str, now_ms: int) -> bool:
    try:
        with connection() as conn:
            conn.execute(table.insert().values(id=generate_id(), key=key, count=1,
                                               lastRequest=now_ms))
    except sa_exc.IntegrityError as exc:
        duplicate, _column = unique_violation(exc)
        if duplicate:
            return False  # another request created the row first: count against it
        raise
    return True


def read(connection: Callable[[], AbstractContextManager[Connection]], table: Table,
         key: str) -> dict[str, Any] | None:
    """The row of ``key`` as ``{key, count, lastRequest}`` (tests and tooling)."""
    cols = table.c["key"], table.c["count"], table.c["lastRequest"]
    key = fit_key(table, "key", key)
    with connection() as conn:
        row = conn.execute(select(*cols).where(cols[0] == key)).first()
    if row is None:
        return None
    return {"key": row[0], "count": int(row[1]), "lastRequest": int(row[2])}
