"""Impersonation round trip, the admin_session cookie, and the guards around it
(docs/wire-compatibility.md#admin-endpoints)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from authkit.cookies import encode_value
from authkit.plugins.admin import DEFAULT_STATEMENTS, create_access_control
from authkit.tokens import sign, unsign

from ...support.clients import parse_set_cookie
from .conftest import ROLES, Cast

A = "/api/auth/admin"
TOKEN = "better-auth.session_token"
ADMIN = "better-auth.admin_session"
DONT = "better-auth.dont_remember"


def test_round_trip(cast: Cast) -> None:
    root = cast.client("root")
    root_token = root.get("/api/auth/get-session").json["session"]["token"]
    res = root.post(A + "/impersonate-user", json={"userId": cast.ids["alice"]})
    assert res.status == 200
    body = res.json
    assert list(body) == ["session", "user"]
    assert body["user"]["id"] == cast.ids["alice"]
    assert body["session"]["impersonatedBy"] == cast.ids["root"]
    # One hour, not the normal seven days.
    created = cast.auth.db.get_session_with_user(body["session"]["token"])
    assert created is not None
    session = created[0]
    assert (session.expires_at - cast.auth.now()).total_seconds() == 3600

    cookies = {parse_set_cookie(line)["name"]: parse_set_cookie(line) for line in res.set_cookies}
    assert "max-age" not in cookies[TOKEN]  # a browser-session cookie
    assert cookies[DONT]["value"]
    admin_cookie = cookies[ADMIN]
    assert admin_cookie["max-age"] == "604800" and "httponly" in admin_cookie
    assert unsign(unquote(admin_cookie["value"]), cast.auth.secrets) == f"{root_token}:"
    # The browser now acts as alice.
    assert root.get("/api/auth/get-session").json["user"]["id"] == cast.ids["alice"]
    # Admin routes see alice too: she may not list users.
    assert root.get(A + "/list-users").status == 403

    back = root.post(A + "/stop-impersonating")
    assert back.status == 200
    assert back.json["user"]["id"] == cast.ids["root"]
    assert back.json["session"]["token"] == root_token
    assert cast.auth.db.get_session_with_user(session.token) is None
    assert any(parse_set_cookie(c)["name"] == ADMIN and parse_set_cookie(c)["max-age"] == "0"
               for c in back.set_cookies)
    assert root.get("/api/auth/get-session").json["user"]["id"] == cast.ids["root"]
    assert root.get(A + "/list-users").status == 200


def test_impersonated_sessions_are_hidden_from_list_sessions(cast: Cast) -> None:
    alice = cast.client("alice")
    cast.client("root").post(A + "/impersonate-user", json={"userId": cast.ids["alice"]})
    assert len(cast.auth.db.list_user_sessions(cast.ids["alice"])) == 2
    listed = alice.get("/api/auth/list-sessions").json
    assert len(listed) == 1 and not listed[0].get("impersonatedBy")
    # The admin's view of the user still shows both.
    res = cast.client("owner").post(A + "/list-user-sessions",
                                    json={"userId": cast.ids["alice"]})
    assert len(res.json["sessions"]) == 2


def test_admins_cannot_be_impersonated_unless_allowed(make_cast: Any) -> None:
    cast = make_cast()
    root = cast.client("root")
    for target in ("owner", "root"):  # admin_user_ids member; role admin
        res = root.post(A + "/impersonate-user", json={"userId": cast.ids[target]})
        assert res.status == 403
        assert res.json == {"message": "You cannot impersonate admins",
                            "code": "YOU_CANNOT_IMPERSONATE_ADMINS"}
    allowed = make_cast(allow_impersonating_admins=True)
    res = allowed.client("root").post(A + "/impersonate-user",
                                      json={"userId": allowed.ids["owner"]})
    assert res.status == 200


def test_impersonate_admins_permission(make_cast: Any) -> None:
    ac = create_access_control(DEFAULT_STATEMENTS)
    roles = {**ROLES, "super": ac.new_role({"user": ["impersonate", "impersonate-admins"]})}
    cast = make_cast(roles=roles)
    cast.user("boss", "super")
    res = cast.client("boss").post(A + "/impersonate-user", json={"userId": cast.ids["root"]})
    assert res.status == 200 and res.json["user"]["id"] == cast.ids["root"]


def test_stop_impersonating_errors(cast: Cast) -> None:
    res = cast.anonymous().post(A + "/stop-impersonating")
    assert res.status == 401 and res.body == b""
    res = cast.client("alice").post(A + "/stop-impersonating")
    assert res.status == 400 and res.json == {"message": "You are not impersonating anyone"}

    root = cast.client("root")
    root.post(A + "/impersonate-user", json={"userId": cast.ids["bob"]})
    saved = root.jar.pop(ADMIN)
    res = root.post(A + "/stop-impersonating")
    assert res.status == 500 and res.json == {"message": "Failed to find admin session"}
    # A validly signed admin_session naming someone else's session is refused too.
    alice_token = cast.client("alice").get("/api/auth/get-session").json["session"]["token"]
    root.jar[ADMIN] = encode_value(sign(f"{alice_token}:", cast.auth.secrets))
    res = root.post(A + "/stop-impersonating")
    assert res.status == 500 and res.json == {"message": "Failed to find admin session"}
    root.jar[ADMIN] = saved
    assert root.post(A + "/stop-impersonating").json["user"]["id"] == cast.ids["root"]


def test_dont_remember_admin_comes_back_as_dont_remember(cast: Cast) -> None:
    client = cast.anonymous()
    client.post("/api/auth/sign-in/email", json={"email": "root@example.com",
                                                 "password": "correct-horse-1",
                                                 "rememberMe": False})
    client.post(A + "/impersonate-user", json={"userId": cast.ids["bob"]})
    res = client.post(A + "/stop-impersonating")
    cookies = {parse_set_cookie(c)["name"]: parse_set_cookie(c) for c in res.set_cookies}
    assert "max-age" not in cookies[TOKEN] and cookies[DONT]["value"]


def test_vetoed_impersonation_session_is_500_failed_to_create_user(make_cast: Any) -> None:
    """docs/wire-compatibility.md#admin-error-codes: FAILED_TO_CREATE_USER (500) on impersonate-user
    when no session is made."""
    veto = {"session": {"create": {"before": lambda data, ctx: (
        False if data.get("impersonatedBy") else None)}}}
    cast = make_cast(auth_options={"database_hooks": veto})
    root = cast.client("root")
    res = root.post(A + "/impersonate-user", json={"userId": cast.ids["bob"]})
    assert res.status == 500
    assert res.json == {"message": "Failed to create user", "code": "FAILED_TO_CREATE_USER"}
    assert ADMIN not in root.jar
    assert root.get("/api/auth/get-session").json["user"]["id"] == cast.ids["root"]
