"""Over-long input never reaches the database: every endpoint, on SQLite, PostgreSQL and
MariaDB, with over-long strings in every body field, path parameter and query value,
answers without a 5xx, and with the same status and code on all three.

MariaDB refuses a string longer than its column (``varchar(255)``: 255 characters; ``text``:
65,535 bytes) with error 1406, which answered 500; the limits now come from the schema
(``authkit.storage.limits``) and are checked before every write on every database.
"""

from __future__ import annotations

import itertools
import typing
from typing import Any

import pytest

from authkit import AuthKit, FieldSpec
from authkit.endpoints.registry import Endpoint
from authkit.plugins import admin, bearer
from authkit.storage import StringLimit, ValueTooLong, column_limit
from tests.support.all_plugins import shipped_plugins
from tests.support.clients import HTTPClient, make_client
from tests.support.fixtures import Clock, MakeAuth

PASSWORD = "correct-horse-1"
TOKEN = "better-auth.session_token"
NICKNAME = FieldSpec("nickname", "string", required=False)
# Longer than every column takes (text: 65,535 bytes), so longer than each varchar too;
# that a value a column does take is accepted is checked by the targeted tests below.
LONG = {"70k": "Z" * 70_000}
# Path and query values stay under what HTTP servers and clients take in a URL (8 KB is
# common): longer ones never reach authkit.
URL_VALUE = 8000
# Each database's answers, compared once all three ran (test order: the walk comes first).
ANSWERS: dict[str, dict[tuple[str, str, str], tuple[int, str | None]]] = {}


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _auth(make_auth: MakeAuth, db_url: str, *, every_plugin: bool = False) -> AuthKit:
    # Every shipped plugin (as authkit serve builds them) for the walk; admin and bearer
    # for the targeted cases.
    plugins = shipped_plugins() if every_plugin else [admin(), bearer()]
    return make_auth(
        database=db_url,
        plugins=plugins,
        user={"additional_fields": [NICKNAME], "change_email_enabled": True,
              "send_change_email_confirmation": _noop, "delete_user_enabled": True,
              "send_delete_account_verification": _noop},
        email_and_password={"send_reset_password": _noop},
        email_verification={"send_verification_email": _noop},
        rate_limit={"enabled": True, "storage": "database"},
    )


def _signed_in_admin(auth: AuthKit, client: HTTPClient) -> None:
    client.jar.clear()
    email = "root@example.com"
    if auth.storage.get_user_by_email(email) is None:
        res = client.post("/api/auth/sign-up/email",
                          json={"email": email, "password": PASSWORD, "name": "Root"})
        assert res.status == 200, res.body
    user = auth.storage.get_user_by_email(email)
    assert user is not None
    auth.storage.update_user(user.id, {"role": "admin"})
    res = client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
    assert res.status == 200, res.body


_COUNTER = itertools.count()
_VALID = {"email": "new@example.com", "newEmail": "new@example.com",
          "password": PASSWORD, "newPassword": PASSWORD,  # a change keeps root signing in
          "currentPassword": PASSWORD, "role": "user", "callbackURL": "/",
          "redirectTo": "/", "newUserCallbackURL": "/", "errorCallbackURL": "/",
          "searchField": "name", "sortDirection": "asc", "filterOperator": "eq",
          "filterField": "role", "sortBy": "createdAt"}
def _valid(annotation: Any, name: str, ids: dict[str, str]) -> Any:
    """A well-formed value for a field, so that one over-long field at a time gets deep."""
    if name in ids:
        return ids[name]
    if "email" in name.lower():  # a new address each time: no clash hides the write
        return f"new{next(_COUNTER)}@example.com"
    if name in _VALID:
        return _VALID[name]
    text = str(annotation)
    if "bool" in text:
        return True
    if "int" in text or "float" in text:
        return 1
    if "list" in text:
        return ["x"]
    if "dict" in text:
        return {"name": "x"}
    return "x"


def _long(name: str, long: str) -> str:
    # A well-formed address longer than user.email's 255 characters.
    return long[:300].lower() + "@example.com" if "email" in name.lower() else long


def _fields(model: Any) -> dict[str, Any]:
    if model is None:
        return {}
    hints = typing.get_type_hints(model, include_extras=False)
    return {(info.alias or name): hints.get(name, Any)
            for name, info in model.model_fields.items()}


Call = tuple[str, str, "dict[str, Any] | None", "dict[str, str]"]


def _requests(ep: Endpoint, long: str, ids: dict[str, str]) -> list[Call]:
    """One request per string input of ``ep`` (path parameter, query value, body field,
    and the user columns record bodies read), that one over-long and the others valid."""
    assert ep.path is not None
    url_long = long[:URL_VALUE]
    segments = ep.path.split("/")
    params = [seg[1:] for seg in segments if seg.startswith(":")]
    body_fields = _fields(ep.body)
    query_fields = _fields(ep.query)

    def build(over: str) -> Call:
        path = "/".join((url_long if seg[1:] == over else "x") if seg.startswith(":") else seg
                        for seg in segments)
        body: dict[str, Any] | None = None
        if ep.method != "GET":
            body = {k: _long(k, long) if k == over else _valid(t, k, ids)
                    for k, t in body_fields.items()}
            if over in ("name", "image", "nickname"):
                data = body.get("data")
                (data if isinstance(data, dict) else body)[over] = long
        query = {k: str(_long(k, url_long) if k == over else _valid(t, k, ids))
                 for k, t in query_fields.items()}
        if ep.method == "GET" and over == "callbackURL":
            query["callbackURL"] = "/" + url_long
        return over, path, body, query

    inputs = [*params, *query_fields, *body_fields]
    if ep.body is not None:
        inputs += ["name", "image", "nickname"]  # record bodies (update-user …) read these
    if ep.method == "GET":
        inputs.append("callbackURL")
    return [build(name) for name in dict.fromkeys(inputs)] or [build("")]


@pytest.mark.parametrize("size", sorted(LONG))
def test_every_endpoint_refuses_over_long_input_without_5xx(
        make_auth: MakeAuth, db_url: str, clock: Clock, size: str) -> None:
    """WSGI only: the storage is what is under test, and both interfaces share the pipeline."""
    auth = _auth(make_auth, db_url, every_plugin=True)
    kind = "wsgi"
    client = make_client(kind, auth)
    database = db_url.split(":", 1)[0]
    answers = ANSWERS.setdefault(f"{database}-{kind}-{size}", {})
    failures = []
    for ep in sorted(auth.registry, key=lambda e: e.name):
        if ep.path is None:
            continue
        for signed_in in (False, True):
            ids = {"userId": _bob(auth, client).id}
            client.jar.clear()
            token = None
            for over, path, body, query in _requests(ep, LONG[size], ids):
                clock.advance(120)  # every rate-limit window over: not under test here
                if signed_in and (token is None or client.jar.get(TOKEN) != token):
                    _signed_in_admin(auth, client)  # again after a sign-out, revocation …
                    token = client.jar.get(TOKEN)
                res = client.request(ep.method, "/api/auth" + path, json=body, query=query)
                code = res.json.get("code") if res.body.startswith(b"{") else None
                answers[(ep.name, str(signed_in), over)] = (res.status, code)
                if res.status >= 500:
                    failures.append((ep.name, signed_in, over, res.status, res.body[:200]))
    assert not failures


def _bob(auth: AuthKit, client: HTTPClient) -> Any:
    """A second user for the admin routes to act on (made again if a route removed it)."""
    found = auth.storage.get_user_by_email("bob@example.com")
    if found is not None:
        return found
    return auth.storage.create_user(id="bob-id", name="Bob", email="bob@example.com",
                                    email_verified=True, image=None, created_at=auth.now(),
                                    updated_at=auth.now())


def test_same_answers_on_every_database() -> None:
    """The walk above gave each endpoint the same status and code on the three databases."""
    for kind in ("wsgi",):
        for size in LONG:
            runs = {db: ANSWERS.get(f"{db}-{kind}-{size}") for db in
                    ("sqlite", "postgresql", "mysql")}
            if any(run is None for run in runs.values()):
                pytest.skip("the walk did not run on all three databases")
            base = runs["sqlite"]
            assert base
            for db, run in runs.items():
                diff = {k: (base[k], v) for k, v in (run or {}).items() if base.get(k) != v}
                assert not diff, (db, kind, size, diff)


# -- the reported requests, each with its expected answer -------------------------------------


@pytest.fixture
def auth(make_auth: MakeAuth, db_url: str) -> AuthKit:
    return _auth(make_auth, db_url)


def test_update_user_long_name_is_400(auth: AuthKit, kind: str) -> None:
    client = make_client(kind, auth)
    _signed_in_admin(auth, client)
    res = client.post("/api/auth/update-user", json={"name": "Z" * 300})
    assert res.status == 400
    assert res.json == {"code": "VALIDATION_ERROR",
                        "message": "[name] Too big: expected string to have <=255 characters"}
    assert client.post("/api/auth/update-user", json={"name": "Z" * 255}).status == 200
    res = client.post("/api/auth/update-user", json={"image": "i" * 70_000})
    assert res.status == 400 and "65535 bytes" in res.json["message"]
    user = auth.storage.get_user_by_email("root@example.com")
    assert user is not None and user.name == "Z" * 255 and user.image is None


def test_admin_user_writes_with_long_values_are_400(auth: AuthKit, kind: str) -> None:
    client = make_client(kind, auth)
    _signed_in_admin(auth, client)
    res = client.post("/api/auth/admin/create-user",
                      json={"email": "bob@example.com", "password": PASSWORD, "name": "Z" * 300})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    assert auth.storage.get_user_by_email("bob@example.com") is None  # nothing half-written
    res = client.post("/api/auth/admin/create-user",
                      json={"email": "bob@example.com", "password": PASSWORD, "name": "Bob"})
    assert res.status == 200
    bob = res.json["user"]["id"]
    res = client.post("/api/auth/admin/update-user",
                      json={"userId": bob, "data": {"name": "Z" * 300}})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    res = client.post("/api/auth/admin/update-user",
                      json={"userId": bob, "data": {"nickname": "n" * 70_000}})
    assert res.status == 400 and "[nickname]" in res.json["message"]


def test_long_reset_token_in_the_path_with_database_rate_limits(auth: AuthKit,
                                                                 kind: str) -> None:
    """The rate-limit key holds the path: a 300-character token made it too long for its
    column. A long key is stored as its digest, so it still counts, separately."""
    client = make_client(kind, auth)
    res = client.get("/api/auth/reset-password/" + "t" * 300, query={"callbackURL": "/r"})
    assert res.status == 302 and "INVALID_TOKEN" in (res.header("Location") or "")


# -- the limits themselves -----------------------------------------------------------------


def test_limits_come_from_the_schema(make_auth: MakeAuth) -> None:
    auth = make_auth(user={"additional_fields": [NICKNAME]})
    user = auth.storage.tables.user
    assert column_limit(user.c["name"]) == StringLimit(chars=255)
    assert column_limit(user.c["email"]) == StringLimit(chars=255)
    assert column_limit(user.c["image"]) == StringLimit(utf8_bytes=65_535)
    assert column_limit(user.c["nickname"]) == StringLimit(utf8_bytes=65_535)
    assert column_limit(user.c["emailVerified"]) is None
    assert auth.storage.limit("user", "name") == StringLimit(chars=255)
    # Bytes, not characters, for text: 16,384 four-byte characters are 65,536 bytes.
    assert not StringLimit(utf8_bytes=65_535).allows("😀" * 16_384)
    assert StringLimit(utf8_bytes=65_535).allows("😀" * 16_383)


def test_plugin_table_columns_get_their_limits(make_auth: MakeAuth) -> None:
    """A plugin's own table (``Plugin.tables``) is limited with no code of its own."""
    from authkit.plugins.base import Plugin

    class Notes(Plugin):
        id = "notes"

        def __init__(self) -> None:
            self.tables = {"note": [FieldSpec("title", "string", sortable=True),
                                    FieldSpec("body", "string"),
                                    FieldSpec("userId", "string", references=("user", "id"))]}

    auth = make_auth(plugins=[Notes()])
    assert auth.storage.limit("note", "title") == StringLimit(chars=255)
    assert auth.storage.limit("note", "userId") == StringLimit(chars=36)
    user = auth.storage.create_user(id="u1", name="U", email="u@example.com",
                                    email_verified=False, image=None,
                                    created_at=auth.now(), updated_at=auth.now())
    with pytest.raises(ValueTooLong) as raised:
        auth.storage.create_row("note", {"title": "t" * 256, "body": "b", "userId": user.id})
    assert raised.value.column == "title"
    assert auth.storage.count_rows("note") == 0
    row = auth.storage.create_row("note", {"title": "t" * 255, "body": "b", "userId": user.id})
    with pytest.raises(ValueTooLong):
        auth.storage.update_rows("note", {"id": row["id"]}, {"body": "b" * 70_000})
