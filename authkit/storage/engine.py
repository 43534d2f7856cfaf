"""Engines for SQLite, PostgreSQL and MySQL/MariaDB, and which driver errors mean "down".

A URL names the database, not the driver: ``postgresql://`` gets psycopg 3, ``mysql://`` and
``mariadb://`` get PyMySQL (both pure-Python installs, the ``postgres``/``mysql`` extras).
Every connection is set up so that authkit and a Node Better Auth read the same rows the
same way: SQLite enforces foreign keys (``ON DELETE CASCADE`` depends on it), waits on a busy
database instead of failing at once, and uses WAL so readers do not block the writer;
MySQL/MariaDB sessions run in UTC so ``DATETIME`` and ``TIMESTAMP`` columns mean UTC.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, create_engine, make_url
from sqlalchemy.pool import StaticPool

from ..errors import ConfigError
from .pool import pool_options

# Seconds to wait for a connection (TCP and the server's greeting) before calling the
# database unavailable: long enough for a loaded server on a network, short enough that a
# database that accepts connections and never answers costs a request at most this long
# before its 503. ``connect_timeout=N`` in the URL (AUTHKIT_DATABASE_URL) overrides it.
CONNECT_TIMEOUT = 5
# Milliseconds SQLite waits for another connection's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000

_DRIVERS = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def normalize_url(url: str | URL) -> URL:
    """Pick authkit's driver when the URL names only the database kind."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        # "x.db" or "localhost/auth": say what a URL looks like instead of SQLAlchemy's parse
        # error (the URL may hold a password, so it is not repeated).
        raise ConfigError(
            "the database URL is not a URL: write e.g. sqlite:///app.db, "
            "postgresql://user@host/db or mysql://user@host/db"
        ) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        # utf8mb4, not MySQL's 3-byte "utf8": emoji and other astral characters in names.
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    """``sqlite://`` or ``sqlite:///:memory:`` (one database per connection)."""
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def create_storage_engine(url: str | URL, options: Mapping[str, Any] = {}) -> Engine:
    """An engine for ``url`` with authkit's defaults; ``options`` go to ``create_engine``."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql", "mysql", "mariadb"):
        raise ConfigError(
            f"unsupported database {backend!r}: use sqlite://, postgresql:// or mysql:// URLs"
        )
    # Pre-ping finds connections a server dropped (restart, idle timeout); a SQLite file
    # has no server, so it would only add a statement to every checkout.
    kwargs: dict[str, Any] = {"pool_pre_ping": backend != "sqlite"}
    parsed, from_url = pool_options(parsed, memory=is_memory_sqlite(parsed))
    kwargs.update(from_url)  # pool_size=… in the URL (authkit serve has only the URL)
    connect_args: dict[str, Any] = {}
    if is_memory_sqlite(parsed):
        # An in-memory database lives in one connection: share it across threads (calls are
        # serialised by SQLStorage, see ``needs_serialising``).
        kwargs["poolclass"] = StaticPool
        connect_args["check_same_thread"] = False
    elif backend != "sqlite" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT  # psycopg and PyMySQL alike
    options = dict(options)
    connect_args.update(options.pop("connect_args", {}))
    kwargs.update(options)
    kwargs["connect_args"] = connect_args
    try:
        engine = create_engine(parsed, **kwargs)
    except ModuleNotFoundError as exc:
        extra = "postgres" if backend == "postgresql" else "mysql"
        raise ConfigError(
            f"the {backend} driver is missing: pip install 'authkit-server[{extra}]'"
        ) from exc
    configure_engine(engine)
    return engine


def needs_serialising(engine: Engine) -> bool:
    """True when every checkout shares one DBAPI connection (in-memory SQLite).

    Two threads interleaving statements on one SQLite connection would share a transaction,
    so storage takes a lock around each unit of work on such an engine.
    """
    return isinstance(engine.pool, StaticPool)


_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure_engine(engine: Engine) -> None:
    """Attach the per-connection set-up for the engine's dialect (once per engine)."""
    if engine in _configured:
        return
    _configured.add(engine)
    backend = engine.dialect.name
    if backend == "sqlite":
        wal = not is_memory_sqlite(engine.url)

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                if wal:
                    cursor.execute("PRAGMA journal_mode=WAL")
            finally:
                cursor.close()

    elif backend in ("mysql", "mariadb"):

        @event.listens_for(engine, "do_connect")
        def _mysql_bounded_greeting(dialect: Any, _record: Any, cargs: Any,
                                    cparams: dict[str, Any]) -> Any:
            # PyMySQL reads the server's greeting with read_timeout (none by default), not
            # connect_timeout: a server that accepts TCP and never speaks would hold the
            # request forever. Bound the greeting by connect_timeout, then clear the read
            # timeout again for queries (PyMySQL re-applies _read_timeout before each read).
            timeout = cparams.get("connect_timeout")
            if timeout is None or cparams.get("read_timeout") is not None:
                return None
            conn = dialect.connect(*cargs, **{**cparams, "read_timeout": timeout})
            conn._read_timeout = None
            return conn

        @event.listens_for(engine, "connect")
        def _mysql_on_connect(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            try:
                # TIMESTAMP columns (Better Auth's choice) convert through the session zone.
                cursor.execute("SET time_zone = '+00:00'")
            finally:
                cursor.close()


# --- driver errors -------------------------------------------------------------------------

# PyMySQL error numbers: too many connections, server shutdown, lock wait timeout, deadlock,
# connection killed, cannot connect, server gone away, lost connection.
_MYSQL_UNAVAILABLE = {1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013, 2055}
# SQLSTATE classes: connection exception, insufficient resources, operator intervention,
# system error; and serialization failure / deadlock (transient: retry later).
_PG_UNAVAILABLE_CLASSES = {"08", "53", "57", "58"}
_PG_UNAVAILABLE_STATES = {"40001", "40P01"}
_SQLITE_UNAVAILABLE = ("database is locked", "database is busy", "unable to open",
                       "disk i/o error")


def is_unavailable(exc: BaseException) -> bool:
    """True for "the database cannot serve now" (503); false for bugs and bad SQL (500)."""
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
        return True
    if not isinstance(exc, sa_exc.OperationalError):
        return False
    orig = exc.orig
    if orig is None:
        return False
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        return any(part in message for part in _SQLITE_UNAVAILABLE)
    if type(orig).__module__.startswith("pymysql"):
        code = orig.args[0] if orig.args else None
        return code in _MYSQL_UNAVAILABLE
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None:
        return True  # psycopg: failures before any server answer (refused, timeout, reset)
    return sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE_STATES


def unique_violation(exc: sa_exc.IntegrityError) -> tuple[bool, str | None]:
    """Is this a unique-key clash, and on which column (best effort)?"""
    orig = exc.orig
    if orig is None:
        return False, None
    if isinstance(orig, sqlite3.IntegrityError):
        message = str(orig)
        # "UNIQUE constraint failed: user.email"
        if message.startswith("UNIQUE constraint failed:"):
            target = message.split(":", 1)[1].strip().split(",")[0]
            return True, target.rpartition(".")[2] or None
        return False, None
    if type(orig).__module__.startswith("pymysql"):
        if not orig.args or orig.args[0] != 1062:
            return False, None
        # "Duplicate entry 'a@x' for key 'email'" (MySQL 8: 'user.email')
        text = str(orig.args[1]) if len(orig.args) > 1 else ""
        key = text.rpartition(" for key ")[2].strip("'\"")
        return True, key.rpartition(".")[2] or None
    if getattr(orig, "sqlstate", None) == "23505":
        diag = getattr(orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None) or ""
        # PostgreSQL names inline unique constraints <table>_<column>_key.
        parts = constraint.split("_")
        column = parts[-2] if len(parts) >= 3 and parts[-1] == "key" else None
        return True, column
    return False, None
