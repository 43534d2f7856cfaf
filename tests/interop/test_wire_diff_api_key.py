"""api-key: the same raw requests to the Node reference and to authkit, answers compared.

Edge cases the official-client scenario does not reach: bad and server-only body fields,
length limits, other users' keys, unknown ids, list paging errors and the x-api-key header's
failures. Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ..support.wire_diff import Pair, Side, server_pair

Case = Callable[[Side], httpx.Response]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-api-key"), plugins="api-key") as pair:
        for side in pair.sides:
            side.sign_up("owner@example.com")
            side.vars["b"] = {}
            side.sign_up("other@example.com", jar=side.vars["b"])
            side.vars["mine"] = create(side, name="mine").json()
            side.vars["theirs"] = side.call("POST", "/api-key/create", {"name": "theirs"},
                                            jar=side.vars["b"]).json()
        yield pair


def create(side: Side, **body: Any) -> httpx.Response:
    return side.call("POST", "/api-key/create", body)


def fresh_key(side: Side, **body: Any) -> dict[str, Any]:
    res = create(side, **body)
    assert res.status_code == 200, res.text
    out: dict[str, Any] = res.json()
    return out


LONG = "x" * 5000

CREATE: dict[str, dict[str, Any]] = {
    "empty body": {},
    "expiresIn zero": {"expiresIn": 0},
    "expiresIn negative": {"expiresIn": -5},
    "expiresIn string": {"expiresIn": "86400"},
    "expiresIn too small": {"expiresIn": 3600},
    "expiresIn too large": {"expiresIn": 400 * 86400},
    "expiresIn float": {"expiresIn": 90000.5},
    "expiresIn null": {"expiresIn": None},
    "prefix bad chars": {"prefix": "a b"},
    "prefix empty": {"prefix": ""},
    "prefix too long": {"prefix": "p" * 33},
    "prefix number": {"prefix": 12},
    "name too long": {"name": "n" * 33},
    "name very long": {"name": LONG},
    "name empty": {"name": ""},
    "name number": {"name": 5},
    "name null": {"name": None},
    "remaining set": {"remaining": 5},
    "remaining null": {"remaining": None},
    "remaining negative": {"remaining": -1},
    "refillAmount": {"refillAmount": 5},
    "refillAmount zero": {"refillAmount": 0},
    "refillInterval": {"refillInterval": 1000},
    "rateLimitMax": {"rateLimitMax": 5},
    "rateLimitEnabled": {"rateLimitEnabled": False},
    "rateLimitTimeWindow": {"rateLimitTimeWindow": 1000},
    "permissions": {"permissions": {"files": ["read"]}},
    "userId": {"userId": "someone"},
    "userId and remaining": {"userId": "someone", "remaining": 3},
    "metadata string": {"metadata": "meta"},
    "metadata number": {"metadata": 7},
    "metadata true": {"metadata": True},
    "metadata false": {"metadata": False},
    "metadata array": {"metadata": [1, 2]},
    "metadata empty object": {"metadata": {}},
    "metadata nested": {"metadata": {"a": {"b": [1, None]}}},
    "unknown field": {"name": "x", "colour": "blue"},
    "configId unknown": {"configId": "nope"},
    "organizationId": {"organizationId": "org"},
}


@pytest.mark.parametrize("body", list(CREATE.values()), ids=list(CREATE))
def test_create(pair: Pair, body: dict[str, Any]) -> None:
    pair.compare(lambda side: create(side, **body))


def test_create_without_session(pair: Pair) -> None:
    pair.compare(lambda side: side.call("POST", "/api-key/create", {"name": "k"}, cookies=False))


def test_create_body_not_json(pair: Pair) -> None:
    pair.compare(lambda side: side.call("POST", "/api-key/create", raw=b"{nope"))


def test_create_body_is_array(pair: Pair) -> None:
    pair.compare(lambda side: side.call("POST", "/api-key/create", [1, 2]))


def test_create_cookie_without_origin(pair: Pair) -> None:
    pair.compare(lambda side: side.call("POST", "/api-key/create", {"name": "k"}, origin=False))


def test_create_cookie_foreign_origin(pair: Pair) -> None:
    pair.compare(lambda side: side.call("POST", "/api-key/create", {"name": "k"}, origin=False,
                                        headers={"origin": "https://evil.example"}))


def get(side: Side, **params: Any) -> httpx.Response:
    return side.call("GET", "/api-key/get", params=params)


GETS: dict[str, Callable[[Side], httpx.Response]] = {
    "mine": lambda s: get(s, id=s.vars["mine"]["id"]),
    "no id": lambda s: get(s),
    "empty id": lambda s: get(s, id=""),
    "unknown id": lambda s: get(s, id="nope"),
    "long id": lambda s: get(s, id=LONG),
    "another user's": lambda s: get(s, id=s.vars["theirs"]["id"]),
    "no session": lambda s: s.call("GET", "/api-key/get", params={"id": "x"}, cookies=False),
    "POST": lambda s: s.call("POST", "/api-key/get", {"id": s.vars["mine"]["id"]}),
    "metadata {} as stored": lambda s: get(s, id=fresh_key(s, metadata={})["id"]),
    "metadata false as stored": lambda s: get(s, id=fresh_key(s, metadata=False)["id"]),
    "metadata [] as stored": lambda s: get(s, id=fresh_key(s, metadata=[])["id"]),
}


@pytest.mark.parametrize("case", list(GETS.values()), ids=list(GETS))
def test_get(pair: Pair, case: Case) -> None:
    pair.compare(case)


def update(side: Side, **body: Any) -> httpx.Response:
    return side.call("POST", "/api-key/update", body)


def mine(side: Side) -> str:
    key: str = side.vars["mine"]["id"]
    return key


UPDATES: dict[str, Callable[[Side], httpx.Response]] = {
    "nothing": lambda s: update(s, keyId=mine(s)),
    "no keyId": lambda s: update(s, name="x"),
    "keyId number": lambda s: update(s, keyId=5, name="x"),
    "unknown keyId": lambda s: update(s, keyId="nope", name="x"),
    "another user's": lambda s: update(s, keyId=s.vars["theirs"]["id"], name="x"),
    "name empty": lambda s: update(s, keyId=mine(s), name=""),
    "name too long": lambda s: update(s, keyId=mine(s), name="n" * 33),
    "name very long": lambda s: update(s, keyId=mine(s), name=LONG),
    "name": lambda s: update(s, keyId=mine(s), name="renamed"),
    "enabled string": lambda s: update(s, keyId=mine(s), enabled="yes"),
    "enabled": lambda s: update(s, keyId=mine(s), enabled=True),
    "remaining": lambda s: update(s, keyId=mine(s), remaining=3),
    "remaining on unknown key": lambda s: update(s, keyId="nope", remaining=3),
    "permissions": lambda s: update(s, keyId=mine(s), permissions={"a": ["b"]}),
    "rateLimitMax": lambda s: update(s, keyId=mine(s), rateLimitMax=3),
    "expiresIn null": lambda s: update(s, keyId=mine(s), expiresIn=None),
    "expiresIn too small": lambda s: update(s, keyId=mine(s), expiresIn=60),
    "expiresIn too large": lambda s: update(s, keyId=mine(s), expiresIn=999 * 86400),
    "expiresIn zero": lambda s: update(s, keyId=mine(s), expiresIn=0),
    "expiresIn string": lambda s: update(s, keyId=mine(s), expiresIn="x"),
    "metadata string": lambda s: update(s, keyId=mine(s), metadata="m"),
    "metadata object": lambda s: update(s, keyId=mine(s), metadata={"k": 1}),
    "metadata null": lambda s: update(s, keyId=mine(s), metadata=None),
    "userId other": lambda s: update(s, keyId=mine(s), userId="other", name="x"),
    "unknown field only": lambda s: update(s, keyId=mine(s), colour="blue"),
    "no session": lambda s: s.call("POST", "/api-key/update", {"keyId": "x", "name": "y"},
                                   cookies=False),
}


@pytest.mark.parametrize("case", list(UPDATES.values()), ids=list(UPDATES))
def test_update(pair: Pair, case: Case) -> None:
    pair.compare(case)


DELETES: dict[str, Callable[[Side], httpx.Response]] = {
    "no keyId": lambda s: s.call("POST", "/api-key/delete", {}),
    "keyId null": lambda s: s.call("POST", "/api-key/delete", {"keyId": None}),
    "unknown keyId": lambda s: s.call("POST", "/api-key/delete", {"keyId": "nope"}),
    "another user's": lambda s: s.call("POST", "/api-key/delete",
                                       {"keyId": s.vars["theirs"]["id"]}),
    "no session": lambda s: s.call("POST", "/api-key/delete", {"keyId": "x"}, cookies=False),
    "GET": lambda s: s.call("GET", "/api-key/delete", params={"keyId": "x"}),
}


@pytest.mark.parametrize("case", list(DELETES.values()), ids=list(DELETES))
def test_delete(pair: Pair, case: Case) -> None:
    pair.compare(case)


def test_delete_twice(pair: Pair) -> None:
    def case(side: Side) -> httpx.Response:
        key = fresh_key(side, name="twice")["id"]
        first = side.call("POST", "/api-key/delete", {"keyId": key})
        assert first.status_code == 200, first.text
        return side.call("POST", "/api-key/delete", {"keyId": key})
    pair.compare(case)


LISTS: dict[str, dict[str, Any]] = {
    "limit negative": {"limit": "-1"},
    "limit text": {"limit": "abc"},
    "offset negative": {"offset": "-2"},
    "offset big": {"offset": "1000"},
    "limit zero": {"limit": "0"},
    "limit and offset": {"limit": "1", "offset": "1", "sortBy": "name"},
    "sortDirection bad": {"sortDirection": "up"},
    "sortBy name desc": {"sortBy": "name", "sortDirection": "desc"},
}


@pytest.mark.parametrize("params", list(LISTS.values()), ids=list(LISTS))
def test_list(pair: Pair, params: dict[str, str]) -> None:
    # Bodies hold every key of the user (cases above add some): compare the shape only.
    node, ours = pair.compare(lambda s: s.call("GET", "/api-key/list", params=params),
                              body=False)
    if node.status != 200:
        assert node.body == ours.body
    else:
        assert [k for k, _ in node.body] == [k for k, _ in ours.body]


def test_list_without_session(pair: Pair) -> None:
    pair.compare(lambda s: s.call("GET", "/api-key/list", cookies=False))


SERVER_ONLY = ["/api-key/verify", "/api-key/delete-all-expired-api-keys"]


@pytest.mark.parametrize("path", SERVER_ONLY)
def test_server_only_paths(pair: Pair, path: str) -> None:
    pair.compare(lambda s: s.call("POST", path, {"key": "x"}))


def with_key(side: Side, key: str, path: str = "/get-session") -> httpx.Response:
    return side.call("GET", path, headers={"x-api-key": key}, cookies=False, origin=False)


HEADER: dict[str, Callable[[Side], httpx.Response]] = {
    "short": lambda s: with_key(s, "abc"),
    "unknown 64": lambda s: with_key(s, "a" * 64),
    "unknown very long": lambda s: with_key(s, "a" * 5000),
    "empty": lambda s: with_key(s, ""),
    "valid on sign-in": lambda s: s.call(
        "POST", "/sign-in/email", {"email": "owner@example.com", "password": "wrong-pass-1"},
        headers={"x-api-key": "b" * 64}, cookies=False),
    "disabled": lambda s: disabled(s),
    "cookie and bad key": lambda s: s.call("GET", "/get-session", headers={"x-api-key": "c" * 64}),
    "list sessions": lambda s: with_key(s, fresh_key(s)["key"], "/list-sessions"),
    "create through key": lambda s: s.call("POST", "/api-key/create", {"name": "via"},
                                           headers={"x-api-key": fresh_key(s)["key"]},
                                           cookies=False, origin=False),
}


def disabled(side: Side) -> httpx.Response:
    key = fresh_key(side)
    res = update(side, keyId=key["id"], enabled=False)
    assert res.status_code == 200, res.text
    return with_key(side, key["key"])


@pytest.mark.parametrize("case", list(HEADER.values()), ids=list(HEADER))
def test_x_api_key(pair: Pair, case: Case) -> None:
    pair.compare(case)


def test_x_api_key_get_session(pair: Pair) -> None:
    # Expected difference: the client IP is the socket peer in authkit (README "Client IP"),
    # so the key's session carries 127.0.0.1 where Better Auth, without X-Forwarded-For, has null.
    pair.compare(lambda s: with_key(s, fresh_key(s)["key"]), ignore=frozenset({"ipAddress"}))


VARIANT = {"API_KEY_METADATA": "off", "API_KEY_REQUIRE_NAME": "on",
           "API_KEY_DISABLE_CUSTOM_EXPIRES": "on", "API_KEY_DEFAULT_PREFIX": "ak_",
           "API_KEY_RATE_LIMIT_MAX": "2"}


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    work = tmp_path_factory.mktemp("diff-api-key-variant")
    with server_pair(work, plugins="api-key", knobs=VARIANT) as pair:
        pair.node.vars["db"] = work / "node.db"
        pair.authkit.vars["db"] = work / "authkit.db"
        for side in pair.sides:
            side.sign_up("variant@example.com")
        yield pair


def rate_limited(side: Side) -> httpx.Response:
    key = fresh_key(side, name="limited")["key"]
    for _ in range(2):
        assert with_key(side, key).status_code == 200
    return with_key(side, key)


def expired(side: Side) -> httpx.Response:
    key = fresh_key(side, name="expired")
    with sqlite3.connect(side.vars["db"]) as db:
        db.execute('UPDATE apikey SET "expiresAt" = ? WHERE id = ?',
                   ("2001-01-01T00:00:00.000Z", key["id"]))
    first = with_key(side, key["key"])
    assert first.status_code == 401, first.text
    return with_key(side, key["key"])


def expired_first(side: Side) -> httpx.Response:
    key = fresh_key(side, name="expired")
    with sqlite3.connect(side.vars["db"]) as db:
        db.execute('UPDATE apikey SET "expiresAt" = ? WHERE id = ?',
                   ("2001-01-01T00:00:00.000Z", key["id"]))
    return with_key(side, key["key"])


def used_up(side: Side) -> httpx.Response:
    key = fresh_key(side, name="used up")
    with sqlite3.connect(side.vars["db"]) as db:
        db.execute('UPDATE apikey SET remaining = 0 WHERE id = ?', (key["id"],))
    return with_key(side, key["key"])


VARIANT_CASES: dict[str, Callable[[Side], httpx.Response]] = {
    "create without name": lambda s: create(s),
    "create empty name": lambda s: create(s, name=""),
    "create with name": lambda s: create(s, name="named"),
    "create own prefix": lambda s: create(s, name="named", prefix="my_"),
    "create metadata": lambda s: create(s, name="m", metadata={"a": 1}),
    "create metadata falsy": lambda s: create(s, name="m", metadata={}),
    "create expiresIn": lambda s: create(s, name="e", expiresIn=86400 * 2),
    "create expiresIn null": lambda s: create(s, name="e", expiresIn=None),
    "update metadata ignored": lambda s: update(s, keyId=fresh_key(s, name="u")["id"],
                                                metadata={"a": 1}),
    "update expiresIn": lambda s: update(s, keyId=fresh_key(s, name="u")["id"],
                                         expiresIn=86400 * 2),
    "expired key": expired_first,
    "expired key, second use": expired,
    "used-up key": used_up,
}


@pytest.mark.parametrize("case", list(VARIANT_CASES.values()), ids=list(VARIANT_CASES))
def test_variant(variant: Pair, case: Case) -> None:
    variant.compare(case)


def test_variant_rate_limited(variant: Pair) -> None:
    # tryAgainIn counts milliseconds left on each server's clock: compared by presence only.
    node, ours = variant.compare(rate_limited, body=False)
    assert [k for k, _ in node.body] == [k for k, _ in ours.body]
    assert dict(node.body)["code"] == dict(ours.body)["code"] == "RATE_LIMITED"
    assert dict(node.body)["message"] == dict(ours.body)["message"]


MORE: dict[str, Callable[[Side], httpx.Response]] = {
    "get with configId": lambda s: get(s, id=mine(s), configId="default"),
    "get with unknown configId": lambda s: get(s, id=mine(s), configId="other"),
    "delete with unknown configId": lambda s: s.call("POST", "/api-key/delete",
                                                     {"keyId": "nope", "configId": "other"}),
    "sign-out through a key": lambda s: s.call("POST", "/sign-out", {},
                                               headers={"x-api-key": fresh_key(s)["key"]},
                                               cookies=False, origin=False),
    "two headers, first empty": lambda s: s.call(
        "GET", "/api-key/list", headers={"x-api-key": ""}, cookies=False),
}


@pytest.mark.parametrize("case", list(MORE.values()), ids=list(MORE))
def test_more(pair: Pair, case: Case) -> None:
    pair.compare(case)


def test_list_by_organization_without_the_plugin(pair: Pair) -> None:
    # Expected difference in the status only: Better Auth answers 500, authkit 400 (a request
    # this server cannot serve is no server fault); code and message agree.
    node, ours = pair.both(lambda s: s.call("GET", "/api-key/list",
                                            params={"organizationId": "org-1"}))
    assert (node.status, ours.status) == (500, 400)
    assert node.body == ours.body


def test_list_unknown_sort_column(pair: Pair) -> None:
    # Expected difference: Better Auth fails in the database with a 500 (empty body); authkit
    # refuses the unknown column with a JSON 400 (bad input never gets a 500).
    node, ours = pair.both(lambda s: s.call("GET", "/api-key/list", params={"sortBy": "nope"}))
    assert (node.status, ours.status) == (500, 400), (node.text, ours.text)


def test_update_user_through_a_key(pair: Pair) -> None:
    # Expected difference (authkit/plugins/api_key/session.py, docs/api-keys.md): Better Auth
    # re-issues a session cookie whose value is the API key itself; authkit sets no cookie on a
    # key-authenticated request. Status and body agree.
    node, ours = pair.compare(lambda s: s.call("POST", "/update-user", {"name": "Via Key"},
                                               headers={"x-api-key": fresh_key(s)["key"]},
                                               cookies=False, origin=False), cookies=False)
    assert [c[0] for c in node.cookies] == ["better-auth.session_token"]
    assert ours.cookies == []
