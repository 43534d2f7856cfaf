"""Listing queries: only bound values, literal LIKE patterns, typed conditions
(docs/security.md#authorization, docs/security.md#input-validation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql

from authkit.storage import FieldSpec, SQLStorage, build_tables
from authkit.storage.query import Condition, QueryError, Sort, like_pattern, where_clause

T0 = datetime(2026, 9, 1, tzinfo=UTC)
FIELDS = [FieldSpec("role", "string"), FieldSpec("score", "number"),
          FieldSpec("tags", "string[]"), FieldSpec("secret", "string", returned=False)]


def test_like_patterns_escape_wildcards() -> None:
    assert like_pattern("50%_off!", "contains") == "%50!%!_off!!%"
    assert like_pattern("ab", "starts_with") == "ab%"
    assert like_pattern("ab", "ends_with") == "%ab"


def test_values_are_bound_never_inlined() -> None:
    tables = build_tables(user_fields=FIELDS)
    evil = "x' OR '1'='1"
    clause = where_clause(tables.user, [Condition("email", "eq", evil),
                                        Condition("name", "contains", evil)])
    sql = str(clause.compile(dialect=postgresql.dialect()))
    assert evil not in sql and "%(" in sql


@pytest.mark.parametrize("cond", [
    Condition("password", "eq", "x"),            # not a user column
    Condition("secret", "eq", "x"),              # hidden (returned=False)
    Condition('email" OR 1=1 --', "eq", "x"),
    Condition("email", "regex", "x"),
    Condition("email", "in", "not-a-list"),
    Condition("emailVerified", "eq", 3),
    Condition("createdAt", "gt", "yesterday"),
    Condition("score", "eq", "abc"),
    Condition("score", "eq", 1.5),
    Condition("tags", "eq", "a"),
    Condition("createdAt", "contains", "2026"),
    Condition("email", "lt", None),
])
def test_impossible_conditions_raise(cond: Condition) -> None:
    tables = build_tables(user_fields=FIELDS)
    with pytest.raises(QueryError):
        where_clause(tables.user, [cond], hidden={"secret"})


@pytest.fixture
def people(make_storage: Any) -> SQLStorage:
    storage: SQLStorage = make_storage(user_fields=FIELDS)
    for i, (email, role, score) in enumerate([("a@x.io", "admin", 3), ("b@x.io", "user", 1),
                                              ("c@y.io", "user", 2), ("d_1@x.io", None, 5)]):
        storage.create_user(id=f"u{i}", name=f"N{i}", email=email, email_verified=i % 2 == 0,
                            image=None, created_at=T0 + timedelta(seconds=i),
                            updated_at=T0, extra={"role": role, "score": score})
    return storage


def ids(result: tuple[list[Any], int]) -> tuple[list[str], int]:
    users, total = result
    return [u.id for u in users], total


def test_list_users_on_every_database(people: SQLStorage) -> None:
    assert ids(people.list_users(limit=2, sort=Sort("createdAt", "desc"))) == (["u3", "u2"], 4)
    assert ids(people.list_users(limit=2, offset=2, sort=Sort("createdAt"))) == (
        ["u2", "u3"], 4)
    cond = [Condition("email", "ends_with", "@x.io"), Condition("role", "eq", "user")]
    assert ids(people.list_users(cond)) == (["u1"], 1)
    assert ids(people.list_users([Condition("email", "contains", "_")])) == (["u3"], 1)
    assert ids(people.list_users([Condition("role", "eq", None)])) == (["u3"], 1)
    assert ids(people.list_users([Condition("score", "gte", "3")], sort=Sort("score"))) == (
        ["u0", "u3"], 2)
    assert ids(people.list_users([Condition("emailVerified", "eq", "true")],
                                 sort=Sort("id"))) == (["u0", "u2"], 2)
    second = (T0 + timedelta(seconds=1)).isoformat()
    assert ids(people.list_users([Condition("createdAt", "lt", second)])) == (["u0"], 1)
    assert people.count_users([Condition("role", "in", ["admin", "user"])]) == 3
    assert people.count_users() == 4


def test_list_users_refuses_negative_pages(people: SQLStorage) -> None:
    with pytest.raises(QueryError):
        people.list_users(limit=-1)
    with pytest.raises(QueryError):
        people.list_users(sort=Sort("email; DROP TABLE user"))


def test_ping(people: SQLStorage) -> None:
    people.ping()
