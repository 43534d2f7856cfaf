"""Engine set-up: driver choice per URL, per-connection settings, "database down" detection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from authkit.errors import ConfigError
from authkit.storage import SQLStorage, StorageUnavailable, build_tables
from authkit.storage.engine import create_storage_engine, is_unavailable, normalize_url


@pytest.mark.parametrize(("url", "driver"), [
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ("mysql://u@h/db", "mysql+pymysql"),
    ("mariadb://u@h/db", "mariadb+pymysql"),
    ("sqlite:///x.db", "sqlite"),
])
def test_normalize_url(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


def test_mysql_urls_get_utf8mb4() -> None:
    assert normalize_url("mysql://u@h/db").query["charset"] == "utf8mb4"
    assert normalize_url("mysql://u@h/db?charset=latin1").query["charset"] == "latin1"


def test_unsupported_url() -> None:
    with pytest.raises(ConfigError):
        create_storage_engine("oracle://u@h/db")


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    engine = create_storage_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_engine_options_are_passed(tmp_path: Path) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'x.db'}", build_tables(),
                         engine_options={"pool_pre_ping": True, "echo": False})
    assert storage.engine.pool._pre_ping is True  # type: ignore[attr-defined]
    storage.close()
    with pytest.raises(ConfigError):
        SQLStorage(storage.engine, build_tables(), engine_options={"echo": True})


def test_given_engine_gets_foreign_keys(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    storage = SQLStorage(create_engine(f"sqlite:///{tmp_path / 'x.db'}"), build_tables())
    with storage.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    storage.close()


@pytest.mark.parametrize("url", [
    "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2",
    "mysql://root@127.0.0.1:1/none?connect_timeout=2",
])
def test_refused_connection_is_storage_unavailable(url: str) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once
    # (docs/security.md#middleware).
    storage = SQLStorage(url, build_tables())
    with pytest.raises(StorageUnavailable):
        storage.get_session_with_user("token")
    with pytest.raises(StorageUnavailable):
        storage.migrate()
    with pytest.raises(StorageUnavailable), storage.transaction():
        pass
    storage.close()


def _operational(message: str) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


def test_is_unavailable_separates_outages_from_bugs() -> None:
    assert is_unavailable(_operational("database is locked"))
    assert is_unavailable(_operational("unable to open database file"))
    assert not is_unavailable(_operational("no such table: user"))
    assert not is_unavailable(_operational('near "SELEC": syntax error'))
    assert not is_unavailable(ValueError("x"))
    assert is_unavailable(sa_exc.TimeoutError("pool exhausted"))


def test_missing_table_is_not_unavailable(tmp_path: Path) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'x.db'}", build_tables())  # not migrated
    with pytest.raises(sa_exc.OperationalError) as info:
        storage.get_user_by_id("x")
    assert not isinstance(info.value, StorageUnavailable)
    storage.close()


def test_server_databases_pre_ping() -> None:
    # A dropped server connection is replaced at checkout instead of failing a request.
    for url in ("postgresql://u@127.0.0.1/db", "mysql://u@127.0.0.1/db"):
        engine = create_storage_engine(url)
        assert engine.pool._pre_ping is True  # type: ignore[attr-defined]
        engine.dispose()
