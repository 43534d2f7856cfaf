"""Generic row access by model name (storage/rows.py) on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from authkit import AuthKit
from authkit.plugins import Plugin
from authkit.storage import DuplicateError, FieldSpec, SQLStorage
from authkit.storage.query import Condition, QueryError, Sort

T0 = datetime(2026, 9, 1, tzinfo=UTC)
THING = (
    FieldSpec("name", "string", required=True, unique=True),
    FieldSpec("userId", "string", references=("user", "id")),
    FieldSpec("score", "number"),
    FieldSpec("enabled", "boolean", default=False),
    FieldSpec("at", "date"),
    FieldSpec("tags", "string[]"),
)


@pytest.fixture
def rows(make_storage: Callable[..., SQLStorage]) -> SQLStorage:
    return make_storage(extra_tables={"thing": THING})


def test_create_reads_back_typed_values_and_defaults(rows: SQLStorage) -> None:
    made = rows.create_row("thing", {"name": "a", "score": 3, "at": T0, "tags": ["x", "y"]})
    assert len(made["id"]) == 32
    assert made == {"id": made["id"], "name": "a", "userId": None, "score": 3,
                    "enabled": False, "at": T0, "tags": ["x", "y"]}
    assert rows.find_row("thing", {"id": made["id"]}) == made


def test_where_sort_page_count(rows: SQLStorage) -> None:
    for i in range(5):
        rows.create_row("thing", {"name": f"n{i}", "score": i, "at": T0 + timedelta(days=i)})
    found = rows.find_rows("thing", [Condition("score", "gte", 1)], sort=Sort("score", "desc"),
                           limit=2, offset=1)
    assert [r["name"] for r in found] == ["n3", "n2"]
    assert rows.count_rows("thing", [Condition("name", "in", ["n0", "n4", "zz"])]) == 2
    assert rows.count_rows("thing", [Condition("at", "lt", T0 + timedelta(days=2))]) == 2
    assert rows.count_rows("thing", {"userId": None}) == 5
    assert rows.count_rows("thing", [Condition("name", "starts_with", "n")]) == 5
    # LIKE wildcards in a value are literal.
    assert rows.count_rows("thing", [Condition("name", "contains", "%")]) == 0


def test_update_and_delete_count_matches(rows: SQLStorage) -> None:
    a = rows.create_row("thing", {"name": "a"})
    rows.create_row("thing", {"name": "b"})
    assert rows.update_rows("thing", {"id": a["id"]}, {"enabled": True, "score": 7}) == 1
    assert rows.find_row("thing", {"enabled": True}) == {**a, "enabled": True, "score": 7}
    assert rows.update_rows("thing", {"name": "nobody"}, {"score": 1}) == 0
    assert rows.delete_rows("thing", [Condition("name", "ne", "a")]) == 1
    assert [r["name"] for r in rows.find_rows("thing")] == ["a"]


def test_unique_clash_and_bad_names(rows: SQLStorage) -> None:
    rows.create_row("thing", {"name": "a"})
    with pytest.raises(DuplicateError):
        rows.create_row("thing", {"name": "a"})
    with pytest.raises(QueryError):
        rows.create_row("thing", {"name": "b", "nope": 1})
    with pytest.raises(QueryError):
        rows.find_rows("missing")
    with pytest.raises(QueryError):
        rows.update_rows("thing", {"name": "a"}, {"id": "other"})


def test_transaction_rolls_back_every_row(rows: SQLStorage) -> None:
    with pytest.raises(RuntimeError), rows.transaction() as tx:
        tx.create_row("thing", {"name": "a"})
        assert tx.count_rows("thing") == 1
        raise RuntimeError("abort")
    assert rows.count_rows("thing") == 0


class _TablePlugin(Plugin):
    id = "table-plugin"
    tables: Mapping[str, Sequence[FieldSpec]] = {"thing": THING}
    account_fields = (FieldSpec("note", "string"),)


def test_plugin_tables_and_account_fields_are_migrated(tmp_path: object) -> None:
    auth = AuthKit(secret="s" * 40, database=f"sqlite:///{tmp_path}/p.db",
                   plugins=[_TablePlugin()])
    auth.migrate()
    assert "note" in auth.tables.account.c
    user = auth.storage.create_row("user", {"name": "U", "email": "u@example.com",
                                            "emailVerified": False, "createdAt": T0,
                                            "updatedAt": T0})
    auth.storage.create_row("thing", {"name": "t", "userId": user["id"]})
    assert auth.storage.count_rows("thing", {"userId": user["id"]}) == 1
    auth.storage.engine.dispose()
