"""GET /admin/list-users over 100,000 users on PostgreSQL: latency and query plans.

    python bench/list_users.py                    # 100,000 users, 30 runs per case
    python bench/list_users.py --users 20000 --runs 10 --keep

A throw-away database (``authkit_bench_<hex>`` on 127.0.0.1:5432, user postgres or root) is
migrated by ``AuthKit(plugins=[admin()])`` (so it has exactly the indexes ``authkit migrate``
creates), filled with COPY, analysed, and each case runs through ``auth.api.list_users`` with an
admin's session: the whole in-process call (session check, query parsing, the page query, the
count, the JSON shape), not just SQL. The median and p95 of each case are printed, then
``EXPLAIN (ANALYZE, BUFFERS)`` of the two statements each case sends (captured from the engine,
run with the same bound values), so index use can be read off directly. The database is
dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg
from sqlalchemy import event

from authkit import AuthKit
from authkit.passwords import ScryptHasher
from authkit.plugins.admin import admin

HOST, PORT, ADMIN_DB = "127.0.0.1", 5432, "test"

CASES: dict[str, dict[str, Any]] = {
    "first page (limit 100, no sort)": {"limit": "100"},
    "email prefix search (starts_with)": {"searchValue": "user04217", "searchField": "email",
                                          "searchOperator": "starts_with", "limit": "100"},
    "filter role=admin + sort createdAt desc": {"filterField": "role", "filterValue": "admin",
                                                "sortBy": "createdAt",
                                                "sortDirection": "desc", "limit": "100"},
    "page 500 (offset 49,900, sort createdAt)": {"limit": "100", "offset": "49900",
                                                 "sortBy": "createdAt"},
}


def login() -> str:
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(host=HOST, port=PORT, dbname=ADMIN_DB, user=user,
                                 connect_timeout=2):
                return user
        except psycopg.Error:
            continue
    sys.exit(f"PostgreSQL is not reachable on {HOST}:{PORT} (db {ADMIN_DB!r})")


@contextmanager
def database(user: str, keep: bool) -> Iterator[str]:
    name = f"authkit_bench_{secrets.token_hex(4)}"
    with psycopg.connect(host=HOST, port=PORT, dbname=ADMIN_DB, user=user,
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@{HOST}:{PORT}/{name}"
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with psycopg.connect(host=HOST, port=PORT, dbname=ADMIN_DB, user=user,
                                 autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(url: str, count: int) -> float:
    """COPY ``count`` users: 1 % admin, 5 % support, the rest user; one a second apart."""
    start = time.perf_counter()
    base = datetime(2024, 1, 1, tzinfo=UTC)
    buf = io.StringIO()
    for i in range(count):
        role = "admin" if i % 100 == 0 else "support" if i % 20 == 0 else "user"
        created = (base + timedelta(seconds=i)).isoformat()
        buf.write(f"u{i:06d}\tUser {i:06d}\tuser{i:05d}@example.com\tf\t\\N\t{created}\t"
                  f"{created}\t{role}\tf\t\\N\t\\N\n")
    columns = ('"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", '
               '"role", "banned", "banReason", "banExpires"')
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(
            f'COPY "user" ({columns}) FROM STDIN') as copy:
        copy.write(buf.getvalue())
    # Outside a transaction: VACUUM sets the visibility map, as autovacuum would on a live
    # table, so counts can read an index alone.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('VACUUM ANALYZE "user"')
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with database(login(), args.keep) as url:
        auth = AuthKit(secret="bench-secret-0123456789-bench-secret-0123456789",
                       database=url, base_url="http://localhost:3000",
                       email_and_password={"enabled": True,
                                           "password_hasher": ScryptHasher(n=1024, r=8, p=1)},
                       plugins=[admin()])
        auth.migrate()
        seconds = fill(url, args.users)
        print(f"{args.users:,} users inserted with COPY in {seconds:.2f} s")
        auth.api.create_user(body={"email": "root@bench.example", "password": "root-pass-1",
                                   "name": "Root", "role": "admin"})
        cookie = auth.api.sign_in_email(
            body={"email": "root@bench.example", "password": "root-pass-1"},
            return_headers=True).headers.get("set-cookie").split(";", 1)[0]
        headers = {"cookie": cookie}

        captured: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                    executemany: bool) -> None:
            captured.append((statement, parameters))

        print(f"\n{'case':<44} {'median':>9} {'p95':>9}  rows  total")
        plans: dict[str, list[tuple[str, Any]]] = {}
        for name, query in CASES.items():
            auth.api.list_users(query=query, headers=headers)  # warm the plan cache
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                page = auth.api.list_users(query=query, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{name:<44} {statistics.median(times):>7.2f}ms {p95:>7.2f}ms "
                  f"{len(page.users):>5} {page.total:>6}")
            event.listen(auth.storage.engine, "before_cursor_execute", capture)
            captured.clear()
            auth.api.list_users(query=query, headers=headers)
            event.remove(auth.storage.engine, "before_cursor_execute", capture)
            plans[name] = [(s, p) for s, p in captured if 'FROM "user"' in s]

        for name, statements in plans.items():
            print(f"\n=== {name}")
            for statement, params in statements:
                with auth.storage.engine.connect() as conn:
                    raw = conn.connection.dbapi_connection
                    assert raw is not None
                    with raw.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement,
                                    params)
                        print("\n".join("    " + row[0] for row in cur.fetchall()))
                print()
        auth.storage.close()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
