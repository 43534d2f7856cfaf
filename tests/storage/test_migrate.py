"""migrate(): idempotent, additive, and the same schema Better Auth 1.7.25 creates.

``tests/vectors/better_auth_1_7_25_ddl_<dialect>.sql`` is the DDL Better Auth's own
``getMigrations`` produced (admin plugin, database rate limit) on each database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, inspect, text

from authkit.models import Session
from authkit.storage import FieldSpec, SQLStorage, build_tables

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
T0 = datetime(2026, 11, 28, 2, 41, 44, 123000, tzinfo=UTC)

# The admin plugin's columns, as Better Auth's admin() declares them.
ADMIN_USER_FIELDS = [
    FieldSpec("role", "string", input=False),
    FieldSpec("banned", "boolean", default=False, input=False),
    FieldSpec("banReason", "string"),
    FieldSpec("banExpires", "date"),
]
ADMIN_SESSION_FIELDS = [FieldSpec("impersonatedBy", "string")]
BETTER_AUTH_SCHEMA: dict[str, Any] = {
    "user_fields": ADMIN_USER_FIELDS, "session_fields": ADMIN_SESSION_FIELDS,
    "rate_limit_table": True,
}
TABLES = ("user", "session", "account", "verification", "rateLimit")


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres" if url.startswith("postgres") \
        else "mysql"


def run_better_auth_ddl(storage: SQLStorage, kind: str) -> None:
    script = (VECTORS / f"better_auth_1_7_25_ddl_{kind}.sql").read_text(encoding="utf-8")
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    with storage.engine.begin() as conn:
        for statement in body.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)


def drop_all(storage: SQLStorage) -> None:
    with storage.engine.begin() as conn:
        for table in ("session", "account", "verification", "rateLimit", "user"):
            conn.exec_driver_sql(
                f"DROP TABLE {conn.dialect.identifier_preparer.quote(table)}")


def shapes(conn: Connection, kind: str) -> dict[str, list[tuple[Any, ...]]]:
    """Per table: (column, declared type, nullable) in column order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        if kind == "sqlite":
            rows = conn.exec_driver_sql(f'PRAGMA table_info("{table}")').all()
            out[table] = [(r[1], r[2].lower(), not r[3]) for r in rows]
        elif kind == "postgres":
            rows = conn.execute(text(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t "
                "ORDER BY ordinal_position"), {"t": table}).all()
            out[table] = [(r[0], r[1], r[2] == "YES") for r in rows]
        else:
            rows = conn.execute(text(
                "SELECT column_name, column_type, is_nullable FROM information_schema.columns "
                "WHERE table_schema = database() AND table_name = :t "
                "ORDER BY ordinal_position"), {"t": table}).all()
            out[table] = [(r[0], r[1].lower(), r[2] == "YES") for r in rows]
    return out


def unique_and_indexes(conn: Connection) -> set[tuple[str, str, tuple[str, ...], bool]]:
    inspector = inspect(conn)
    found = set()
    for table in TABLES:
        for ix in inspector.get_indexes(table):
            name = "" if ix.get("unique") else str(ix["name"])
            found.add((table, name, tuple(ix["column_names"]), bool(ix.get("unique"))))
        for uc in inspector.get_unique_constraints(table):
            found.add((table, "", tuple(uc["column_names"]), True))
        if conn.dialect.name == "sqlite":
            # SQLAlchemy's parser misses ON DELETE in Better Auth's inline lowercase form.
            for row in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")').all():
                found.add((table, f"fk:{row[2]}.{row[4]}:{row[6]}", (row[3],), False))
            continue
        for fk in inspector.get_foreign_keys(table):
            found.add((table, "fk:" + fk["referred_table"] + "." + fk["referred_columns"][0]
                       + ":" + str(fk.get("options", {}).get("ondelete", "")).upper(),
                       tuple(fk["constrained_columns"]), False))
    if conn.dialect.name == "sqlite":  # inline "unique" makes autoindexes reflection skips
        for table in TABLES:
            for row in conn.exec_driver_sql(f'PRAGMA index_list("{table}")').all():
                if row[2] and row[3] == "u":
                    cols = conn.exec_driver_sql(f'PRAGMA index_info("{row[1]}")').all()
                    found.add((table, "", tuple(c[2] for c in cols), True))
    return found


def test_migrate_creates_everything_once(db_url: str) -> None:
    storage = SQLStorage(db_url, build_tables())
    try:
        assert sorted(storage.migrate()) == [
            "create table account", "create table session", "create table user",
            "create table verification"]
        assert storage.migrate() == []
        with storage.engine.connect() as conn:
            inspector = inspect(conn)
            names = {ix["name"] for t in ("session", "account", "verification")
                     for ix in inspector.get_indexes(t)}
        assert {"session_userId_idx", "account_userId_idx",
                "verification_identifier_idx"} <= names
    finally:
        storage.close()


def test_adding_fields_later(make_storage: Callable[..., SQLStorage]) -> None:
    before = make_storage()
    old = before.create_user(id="u1", name="Old", email="old@example.com",
                             email_verified=False, image=None, created_at=T0, updated_at=T0)
    schema: dict[str, Any] = {
        "user_fields": [FieldSpec("role", "string", required=True, index=True),
                        FieldSpec("handle", "string", unique=True),
                        FieldSpec("tags", "string[]")],
        "session_fields": [FieldSpec("actorId", "string", references=("user", "id"))],
    }
    after = SQLStorage(str(before.engine.url.render_as_string(hide_password=False)),
                       build_tables(**schema))
    try:
        done = after.migrate()
        assert sorted(done) == sorted([
            "add column user.role", "add column user.handle", "add column user.tags",
            "add column session.actorId", "create index user_role_idx",
            "create unique index user_handle_uidx"])
        assert after.migrate() == []
        # A fresh schema object of the same shape finds nothing to do either.
        assert SQLStorage(after.engine, build_tables(**schema)).migrate() == []
        fetched = after.get_user_by_id(old.id)
        assert fetched is not None
        assert fetched.extra == {"role": None, "handle": None, "tags": None}
        admin = after.create_user(id="u2", name="Admin", email="a@example.com",
                                  email_verified=True, image=None, created_at=T0,
                                  updated_at=T0, extra={"role": "admin", "handle": "adm"})
        from authkit.storage import DuplicateError
        with pytest.raises(DuplicateError):
            after.update_user(old.id, {"handle": "adm"})
        # The added foreign key cascades like the ones created with the table.
        after.create_session(Session(
            id="s1", token="t1", user_id=old.id, expires_at=T0 + timedelta(days=1),
            created_at=T0, updated_at=T0, extra={"actorId": admin.id}))
        assert after.delete_user(admin.id)
        assert after.get_session("t1") is None
    finally:
        after.close()


def test_plugin_table_and_rate_limit(make_storage: Callable[..., SQLStorage]) -> None:
    storage = make_storage(
        rate_limit_table=True,
        extra_tables={"apikey": [FieldSpec("userId", "string", required=True,
                                           references=("user", "id"), index=True),
                                 FieldSpec("key", "string", unique=True)]})
    user = storage.create_user(id="u1", name="A", email="a@example.com", email_verified=False,
                               image=None, created_at=T0, updated_at=T0)
    apikey, rate_limit = storage.tables.extra["apikey"], storage.tables.rate_limit
    assert rate_limit is not None
    with storage.engine.begin() as conn:
        conn.execute(apikey.insert().values(id="k1", userId=user.id, key="secret"))
        conn.execute(rate_limit.insert().values(id="r1", key="127.0.0.1/sign-in", count=1,
                                                lastRequest=1_795_833_704_123))
    storage.delete_user(user.id)
    with storage.engine.connect() as conn:
        assert conn.execute(apikey.select()).all() == []
        assert conn.execute(rate_limit.select()).one().lastRequest == 1_795_833_704_123


def test_schema_matches_better_auth(db_url: str) -> None:
    """Better Auth's DDL and authkit's migrate() give the same columns, keys and indexes."""
    kind = kind_of(db_url)
    storage = SQLStorage(db_url, build_tables(**BETTER_AUTH_SCHEMA))
    try:
        run_better_auth_ddl(storage, kind)
        with storage.engine.connect() as conn:
            theirs, their_keys = shapes(conn, kind), unique_and_indexes(conn)
        # On a database Better Auth created there is nothing to do.
        assert storage.migrate() == []
        drop_all(storage)
        assert len(storage.migrate()) == len(TABLES)
        with storage.engine.connect() as conn:
            ours, our_keys = shapes(conn, kind), unique_and_indexes(conn)
    finally:
        storage.close()
    if kind == "mysql":
        # Documented deviation: DATETIME(3) (no 2038 limit) for Better Auth's timestamp(3).
        theirs = {t: [(n, "datetime(3)" if ty == "timestamp(3)" else ty, nl)
                      for n, ty, nl in cols] for t, cols in theirs.items()}
    assert ours == theirs
    assert our_keys == their_keys


def test_mysql_email_is_binary(storage: SQLStorage, db_url: str) -> None:
    if kind_of(db_url) != "mysql":
        pytest.skip("MySQL/MariaDB collation")
    with storage.engine.connect() as conn:
        collation = conn.execute(text(
            "SELECT collation_name FROM information_schema.columns WHERE table_schema = "
            "database() AND table_name = 'user' AND column_name = 'email'")).scalar()
        charsets = set(conn.execute(text(
            "SELECT DISTINCT character_set_name FROM information_schema.columns WHERE "
            "table_schema = database() AND character_set_name IS NOT NULL")).scalars())
    assert collation == "utf8mb4_bin"
    assert charsets == {"utf8mb4"}
