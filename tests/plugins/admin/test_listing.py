"""GET /admin/list-users: search, filter, sort, pages and totals on SQLite, PostgreSQL and
MariaDB, and the injection cases of docs/security.md (docs/security.md#authorization,
docs/security.md#input-validation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect

from authkit import AuthKit
from authkit.plugins.admin import admin
from authkit.storage import FieldSpec

from ...support.clients import make_client
from ...support.fixtures import Clock

PEOPLE = [
    # (email, name, role)
    ("ann@example.com", "Ann", "user"),
    ("bea@example.com", "Bea", "admin"),
    ("carl@example.org", "Carl", "user"),
    ("dora_x@example.com", "Dora", "user"),
    ("edward@example.com", "Ed 100%", "support"),
    ("o'hara@example.com", "O'Hara", "user"),
    ("robert@example.com", "Robert'); DROP TABLE \"user\";--", "user"),
]


@pytest.fixture
def listing(make_auth: Any, db_url: str, clock: Clock) -> tuple[AuthKit, dict[str, str]]:
    """An AuthKit on each database, with PEOPLE created one second apart (root first)."""
    auth = make_auth(database=db_url, plugins=[admin()])
    api = auth.api
    api.create_user(body={"email": "root@example.com", "password": "root-pass-1",
                          "name": "Root", "role": "admin"})
    for email, name, role in PEOPLE:
        clock.advance(1)
        api.create_user(body={"email": email, "name": name, "role": role})
    headers = api.sign_in_email(body={"email": "root@example.com", "password": "root-pass-1"},
                                return_headers=True).headers
    cookie = headers.get("set-cookie").split(";", 1)[0]
    return auth, {"cookie": cookie}


def run(listing: tuple[AuthKit, dict[str, str]], **query: Any) -> dict[str, Any]:
    auth, headers = listing
    result: dict[str, Any] = auth.api.list_users(query=query, headers=headers).to_json()
    return result


def emails(page: dict[str, Any]) -> list[str]:
    return [u["email"] for u in page["users"]]


def test_first_page_total_and_echo(listing: Any) -> None:
    page = run(listing)
    assert page["total"] == len(PEOPLE) + 1 and "limit" not in page and "offset" not in page
    page = run(listing, limit="3", offset="0", sortBy="createdAt")
    assert len(page["users"]) == 3 and page["total"] == len(PEOPLE) + 1
    # Number(x) || undefined: offset 0 is left out, limit echoed as a number.
    assert page["limit"] == 3 and "offset" not in page
    page = run(listing, limit=2, offset=2, sortBy="createdAt")
    assert emails(page) == ["bea@example.com", "carl@example.org"] and page["offset"] == 2


def test_search_operators_and_fields(listing: Any) -> None:
    assert emails(run(listing, searchValue="example.org")) == ["carl@example.org"]
    page = run(listing, searchValue="ann", searchOperator="starts_with")
    assert emails(page) == ["ann@example.com"] and page["total"] == 1
    assert emails(run(listing, searchValue=".org", searchOperator="ends_with")) == [
        "carl@example.org"]
    assert emails(run(listing, searchField="name", searchValue="Carl")) == ["carl@example.org"]
    # An empty search value is no search at all.
    assert run(listing, searchValue="")["total"] == len(PEOPLE) + 1


def test_filter_operators_and_types(listing: Any) -> None:
    assert set(emails(run(listing, filterField="role", filterValue="admin"))) == {
        "root@example.com", "bea@example.com"}
    assert run(listing, filterField="role", filterValue="user", filterOperator="ne")[
        "total"] == 3
    page = run(listing, filterField="role", filterValue=["admin", "support"],
               filterOperator="in")
    assert page["total"] == 3
    assert run(listing, filterField="role", filterValue=["user"], filterOperator="not_in")[
        "total"] == 3
    # Query strings arrive as text: "false" is the boolean, dates parse.
    assert run(listing, filterField="banned", filterValue="false")["total"] == len(PEOPLE) + 1
    auth, _ = listing
    start = auth.now() - timedelta(seconds=3)
    page = run(listing, filterField="createdAt", filterValue=start.isoformat(),
               filterOperator="gte")
    assert page["total"] == 4
    # Search and filter are ANDed; total counts with both.
    page = run(listing, searchValue="example.com", filterField="role", filterValue="user",
               limit="1")
    assert page["total"] == 4 and len(page["users"]) == 1


def test_sort_directions_and_stable_pages(listing: Any) -> None:
    asc = emails(run(listing, sortBy="email"))
    assert asc == sorted(asc)
    desc = emails(run(listing, sortBy="createdAt", sortDirection="desc"))
    assert desc[0] == "robert@example.com" and desc[-1] == "root@example.com"
    pages = [emails(run(listing, sortBy="role", limit=3, offset=o)) for o in (0, 3, 6)]
    flat = [e for p in pages for e in p]
    assert len(flat) == len(set(flat)) == len(PEOPLE) + 1  # ties broken by id: no overlap


@pytest.mark.parametrize("query", [
    {"filterField": "password", "filterValue": "x"},
    {"sortBy": 'email; DROP TABLE "user"'},
    {"sortBy": '"user"."id"'},
    {"filterField": "email) OR 1=1 --", "filterValue": "x"},
    {"filterField": "createdAt", "filterValue": "not-a-date"},
    {"filterField": "role", "filterValue": "admin", "filterOperator": "in"},
    {"limit": "-1"},
    {"offset": "2.5"},
])
def test_what_cannot_run_is_an_empty_page_and_harms_nothing(listing: Any, query: Any) -> None:
    """docs/security.md#authorization: unknown columns, injected names and bad values never reach
    SQL as text."""
    assert run(listing, **query) == {"users": [], "total": 0}
    auth, _ = listing
    with auth.storage.engine.connect() as conn:
        assert {"user", "session", "account"} <= set(inspect(conn).get_table_names())
    assert run(listing)["total"] == len(PEOPLE) + 1


def test_wildcards_and_quotes_match_literally(listing: Any) -> None:
    """docs/security.md#authorization / docs/security.md#input-validation: % and _ are characters,
    quotes are data."""
    assert emails(run(listing, searchField="name", searchValue="%")) == ["edward@example.com"]
    assert run(listing, searchField="name", searchValue="1_0")["total"] == 0
    assert emails(run(listing, searchValue="_")) == ["dora_x@example.com"]
    assert run(listing, searchValue="%' OR '1'='1")["total"] == 0
    assert emails(run(listing, searchValue="o'hara")) == ["o'hara@example.com"]
    page = run(listing, searchField="name", searchValue="DROP TABLE")
    assert [u["name"] for u in page["users"]] == ["Robert'); DROP TABLE \"user\";--"]
    auth, headers = listing
    with pytest.raises(Exception) as err:
        auth.api.get_user(query={"id": "1 OR 1=1"}, headers=headers)
    assert getattr(err.value, "status", None) == 404


def test_hidden_fields_are_not_filterable(make_auth: Any) -> None:
    """A returned=False column cannot be probed one prefix at a time (PYSEC-2022-247)."""
    auth = make_auth(plugins=[admin()], user={"additional_fields": [
        FieldSpec("secretHash", "string", returned=False)]})
    auth.api.create_user(body={"email": "r@example.com", "password": "root-pass-1",
                               "name": "R", "role": "admin", "data": {"secretHash": "abc"}})
    cookie = auth.api.sign_in_email(body={"email": "r@example.com", "password": "root-pass-1"},
                                    return_headers=True).headers.get("set-cookie")
    headers = {"cookie": cookie.split(";", 1)[0]}
    page = auth.api.list_users(query={"filterField": "secretHash", "filterValue": "abc"},
                               headers=headers).to_json()
    assert page == {"users": [], "total": 0}
    page = auth.api.list_users(query={}, headers=headers).to_json()
    assert "secretHash" not in page["users"][0]


def test_list_users_over_http(kind: str, make_auth: Any) -> None:
    auth = make_auth(plugins=[admin()])
    auth.api.create_user(body={"email": "r@example.com", "password": "root-pass-1",
                               "name": "R", "role": "admin"})
    client = make_client(kind, auth)
    client.post("/api/auth/sign-in/email", json={"email": "r@example.com",
                                                 "password": "root-pass-1"})
    res = client.get("/api/auth/admin/list-users?limit=10&filterField=role&filterValue=admin"
                     "&filterValue=user&filterOperator=in")
    assert res.status == 200 and res.json["total"] == 1 and res.json["limit"] == 10
    res = client.get("/api/auth/admin/list-users?searchField=phone&searchValue=1")
    assert res.status == 400
    assert res.json["message"] == ('[query.searchField] Invalid option: expected one of '
                                   '"email"|"name"')
    user = client.get("/api/auth/admin/list-users").json["users"][0]
    assert "password" not in user and "hash" not in str(user).lower()
