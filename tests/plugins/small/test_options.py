"""The small plugins' options beyond the reference deployment, in-process over WSGI."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from authkit.errors import APIError, ConfigError
from authkit.plugins.admin import admin
from authkit.plugins.anonymous import anonymous
from authkit.plugins.last_login_method import last_login_method
from authkit.plugins.multi_session import multi_session
from authkit.plugins.one_time_token import one_time_token
from authkit.plugins.username import username
from authkit.verifications import hash_identifier

from ...support.clients import HTTPClient, make_client
from ...support.fixtures import Clock, MakeAuth

PASSWORD = "small-pass-123"


def sign_up(client: HTTPClient, email: str, **extra: Any) -> Any:
    res = client.post("/api/auth/sign-up/email",
                      json={"email": email, "password": PASSWORD, "name": "N", **extra})
    assert res.status == 200, res.json
    return res.json


def rows(auth: Any, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    path = str(auth.storage.engine.url.database)
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql, args))


def test_hashed_one_time_tokens_and_the_set_ott_header(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[one_time_token(store_token="hashed",
                                             set_ott_header_on_new_session=True)])
    client = make_client("wsgi", auth)
    res = client.post("/api/auth/sign-up/email",
                      json={"email": "o@example.com", "password": PASSWORD, "name": "O"})
    ott = res.header("set-ott")
    assert ott and res.header("access-control-expose-headers") == "set-ott"
    # Stored hashed: the table never holds a usable token.
    stored = [r[0] for r in rows(auth, "select identifier from verification")]
    assert stored == [f"one-time-token:{hash_identifier(ott)}"]
    assert client.get("/api/auth/get-session").header("set-ott") is None
    used = make_client("wsgi", auth).post("/api/auth/one-time-token/verify",
                                          json={"token": ott})
    assert used.status == 200 and used.json["user"]["email"] == "o@example.com"


def test_expired_session_and_disabled_client_requests(make_auth: MakeAuth,
                                                      clock: Clock) -> None:
    auth = make_auth(plugins=[one_time_token(expires_in=10, disable_client_request=True)])
    client = make_client("wsgi", auth)
    sign_up(client, "e@example.com")
    refused = client.get("/api/auth/one-time-token/generate")
    assert (refused.status, refused.json) == (400, {"message": "Client requests are disabled"})
    # Server code may still issue one.
    token = auth.api.generate_one_time_token(headers={"cookie": client.cookie_header()})["token"]
    clock.advance(11 * 60)
    late = make_client("wsgi", auth).post("/api/auth/one-time-token/verify",
                                          json={"token": token})
    assert (late.status, late.json) == (400, {"message": "Invalid token"})


def test_username_rules_apply_to_admin_created_users(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[username(min_length=4), admin()])
    made = auth.api.create_user(body={"email": "a@example.com", "password": PASSWORD,
                                      "name": "A", "data": {"username": "Mixed.Case"}})
    user = made["user"].to_json()
    assert (user["username"], user["displayUsername"]) == ("mixed.case", "Mixed.Case")
    with pytest.raises(APIError) as short:
        auth.api.create_user(body={"email": "b@example.com", "password": PASSWORD,
                                   "name": "B", "data": {"username": "abc"}})
    assert short.value.code == "USERNAME_TOO_SHORT"
    with pytest.raises(APIError) as taken:
        auth.api.create_user(body={"email": "c@example.com", "password": PASSWORD,
                                   "name": "C", "data": {"username": "MIXED.case"}})
    assert taken.value.code == "USERNAME_IS_ALREADY_TAKEN"


def test_username_sign_in_is_as_strict_as_email_sign_in(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[username()], email_and_password={
        "require_email_verification": True})
    client = make_client("wsgi", auth)
    client.post("/api/auth/sign-up/email", json={"email": "v@example.com",
                                                 "password": PASSWORD, "name": "V",
                                                 "username": "verify_me"})
    res = client.post("/api/auth/sign-in/username",
                      json={"username": "verify_me", "password": PASSWORD})
    assert (res.status, res.json["code"]) == (403, "EMAIL_NOT_VERIFIED")
    long_pw = client.post("/api/auth/sign-in/username",
                          json={"username": "verify_me", "password": "x" * 129})
    assert (long_pw.status, long_pw.json["code"]) == (400, "PASSWORD_TOO_LONG")


def test_anonymous_email_domain_name_and_disabled_delete(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[anonymous(email_domain_name="guest.example.com",
                                        generate_name=lambda ctx: "Guest",
                                        disable_delete_anonymous_user=True)])
    client = make_client("wsgi", auth)
    guest = client.post("/api/auth/sign-in/anonymous").json["user"]
    assert guest["email"].startswith("temp-") and guest["email"].endswith("@guest.example.com")
    assert guest["name"] == "Guest"
    res = client.post("/api/auth/delete-anonymous-user")
    assert (res.status, res.json["code"]) == (400, "DELETE_ANONYMOUS_USER_DISABLED")
    sign_up(client, "real@example.com")
    # Linked, but kept: the app asked for guests to stay.
    assert rows(auth, "select isAnonymous from user where id = ?", guest["id"]) == [(1,)]


def test_last_login_method_without_the_column(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[last_login_method(max_age=60, cookie_name="last_method")])
    client = make_client("wsgi", auth)
    res = client.post("/api/auth/sign-up/email",
                      json={"email": "l@example.com", "password": PASSWORD, "name": "L"})
    assert "lastLoginMethod" not in res.json["user"]
    line = next(c for c in res.set_cookies if c.startswith("last_method="))
    assert line == "last_method=email; Max-Age=60; Path=/; SameSite=Lax"
    assert "lastLoginMethod" not in auth.tables.user.c


def test_a_second_sign_in_of_one_account_replaces_its_multi_session(make_auth: MakeAuth
                                                                   ) -> None:
    auth = make_auth(plugins=[multi_session(maximum_sessions=2)])
    client = make_client("wsgi", auth)
    sign_up(make_client("wsgi", auth), "m@example.com")
    tokens = []
    for _ in range(2):
        res = client.post("/api/auth/sign-in/email",
                          json={"email": "m@example.com", "password": PASSWORD})
        tokens.append(res.json["token"])
    listed = client.get("/api/auth/multi-session/list-device-sessions").json
    assert [x["session"]["token"] for x in listed] == [tokens[1]]
    assert rows(auth, "select count(*) from session where token = ?", tokens[0]) == [(0,)]


@pytest.mark.parametrize("build", [
    lambda: one_time_token(expires_in=0),
    lambda: one_time_token(store_token="rot13"),  # type: ignore[arg-type]
    lambda: username(min_length=5, max_length=4),
    lambda: last_login_method(cookie_name="bad name"),
    lambda: multi_session(maximum_sessions=0),
])
def test_bad_options_are_refused_at_construction(build: Any) -> None:
    with pytest.raises(ConfigError):
        build()
