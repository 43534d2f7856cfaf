"""Fixtures shared by the whole suite.

Databases: ``db_url`` runs a test once per database (SQLite file, PostgreSQL, MariaDB), each
time on a fresh, empty database that is dropped afterwards; ``storage`` is a migrated
``SQLStorage`` on it. A server that is not running makes its cases skip with the reason
(checked once per session with a short timeout), as docs/security.md#testing asks.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from authkit.storage import SQLStorage, build_tables

# Clock, AuthKit factories and the WSGI/ASGI clients for endpoint tests.
pytest_plugins = ["tests.support.fixtures"]

# ---------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------

PG_HOST, PG_PORT, PG_ADMIN_DB = "127.0.0.1", 5432, "test"
PG_USERS = ("postgres", "root")
MARIADB_HOST, MARIADB_PORT, MARIADB_USER = "127.0.0.1", 3306, "root"
PROBE_TIMEOUT = 2  # seconds: a server that is down must not slow the suite

DATABASES = ("sqlite", "postgres", "mariadb")

_probed: dict[str, str | None] = {}  # kind -> admin login that works, or None if unreachable
_probe_errors: dict[str, str] = {}


def _probe_postgres() -> str | None:
    import psycopg

    for user in PG_USERS:
        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_ADMIN_DB, user=user,
                                 connect_timeout=PROBE_TIMEOUT):
                return user
        except psycopg.Error as exc:
            _probe_errors["postgres"] = str(exc).strip().splitlines()[0]
    return None


def _probe_mariadb() -> str | None:
    import pymysql

    try:
        pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user=MARIADB_USER,
                        connect_timeout=PROBE_TIMEOUT).close()
    except pymysql.Error as exc:
        _probe_errors["mariadb"] = str(exc)
        return None
    return MARIADB_USER


def _server_login(kind: str) -> str:
    """The admin login for ``kind``; skip the test if the server is not reachable."""
    if kind not in _probed:
        _probed[kind] = _probe_postgres() if kind == "postgres" else _probe_mariadb()
    login = _probed[kind]
    if login is None:
        where = f"{PG_HOST}:{PG_PORT}" if kind == "postgres" else f"{MARIADB_HOST}:{MARIADB_PORT}"
        pytest.skip(f"{kind} is not reachable on {where}: {_probe_errors.get(kind, '?')}")
    return login


def _postgres_database(name: str) -> Iterator[str]:
    import psycopg

    user = _server_login("postgres")

    def admin(sql: str) -> None:
        with psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_ADMIN_DB, user=user,
                             connect_timeout=PROBE_TIMEOUT, autocommit=True) as conn:
            conn.execute(sql)

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _mariadb_database(name: str) -> Iterator[str]:
    import pymysql

    user = _server_login("mariadb")

    def admin(sql: str) -> None:
        conn = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user=user,
                               connect_timeout=PROBE_TIMEOUT, autocommit=True)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield f"mysql://{user}@{MARIADB_HOST}:{MARIADB_PORT}/{name}"
    finally:
        admin(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a fresh, empty database; once per kind in ``DATABASES``."""
    kind: str = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'authkit.db'}"
        return
    name = f"authkit_test_{secrets.token_hex(6)}"
    if kind == "postgres":
        yield from _postgres_database(name)
    else:
        yield from _mariadb_database(name)


@pytest.fixture
def make_storage(db_url: str) -> Iterator[Callable[..., SQLStorage]]:
    """``make_storage(**build_tables_kwargs)``: a migrated storage on ``db_url``.

    Each call builds its own schema (so a test can add a ``FieldSpec`` later); all of them
    are closed before the database is dropped.
    """
    made: list[SQLStorage] = []

    def make(**table_options: Any) -> SQLStorage:
        storage = SQLStorage(db_url, build_tables(**table_options))
        made.append(storage)
        storage.migrate()
        return storage

    yield make
    for storage in made:
        storage.close()


@pytest.fixture
def storage(make_storage: Callable[..., SQLStorage]) -> SQLStorage:
    """A migrated ``SQLStorage`` with the core schema on ``db_url``."""
    return make_storage()
