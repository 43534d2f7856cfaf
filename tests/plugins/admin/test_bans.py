"""Bans: sessions end, sign-in is refused, expiry lifts the ban, the race with sign-in is
closed (docs/wire-compatibility.md#roles "Ban enforcement"; docs/security.md#authorization)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from authkit.errors import APIError
from authkit.plugins.admin import admin

from .conftest import PASSWORD, Cast

A = "/api/auth/admin"
MESSAGE = ("You have been banned from this application. Please contact support if you "
           "believe this is an error.")


def sign_in(cast: Cast, name: str) -> Any:
    return cast.anonymous().post("/api/auth/sign-in/email",
                                 json={"email": f"{name}@example.com", "password": PASSWORD})


def test_ban_ends_sessions_and_refuses_sign_in(cast: Cast) -> None:
    alice = cast.client("alice")
    assert alice.get("/api/auth/get-session").json is not None
    res = cast.client("root").post(A + "/ban-user", json={"userId": cast.ids["alice"],
                                                          "banReason": "spam"})
    user = res.json["user"]
    assert user["banned"] is True and user["banReason"] == "spam" and user["banExpires"] is None
    assert cast.auth.db.list_user_sessions(cast.ids["alice"]) == []
    assert alice.get("/api/auth/get-session").body == b"null"
    res = sign_in(cast, "alice")
    assert res.status == 403
    assert res.json == {"message": MESSAGE, "code": "BANNED_USER"}
    # A wrong password is still a wrong password: the ban shows only to the right one.
    res = cast.anonymous().post("/api/auth/sign-in/email",
                                json={"email": "alice@example.com", "password": "nope-nope"})
    assert res.status == 401


def test_default_reason_and_unban(cast: Cast) -> None:
    root = cast.client("root")
    assert root.post(A + "/ban-user", json={"userId": cast.ids["bob"]}).json["user"][
        "banReason"] == "No reason"
    res = root.post(A + "/unban-user", json={"userId": cast.ids["bob"]})
    assert {k: res.json["user"][k] for k in ("banned", "banReason", "banExpires")} == {
        "banned": False, "banReason": None, "banExpires": None}
    assert sign_in(cast, "bob").status == 200


def test_ban_expiry_is_lifted_on_the_next_sign_in(cast: Cast, clock: Any) -> None:
    res = cast.client("root").post(A + "/ban-user", json={"userId": cast.ids["alice"],
                                                          "banExpiresIn": 60})
    assert res.json["user"]["banExpires"] is not None
    clock.advance(59)
    assert sign_in(cast, "alice").status == 403
    clock.advance(2)
    assert sign_in(cast, "alice").status == 200
    user = cast.auth.db.get_user_by_id(cast.ids["alice"])
    assert user is not None
    assert (user.extra["banned"], user.extra["banReason"], user.extra["banExpires"]) == (
        False, None, None)


def test_banned_user_message_and_default_expiry_options(make_cast: Any, clock: Any) -> None:
    cast = make_cast(banned_user_message=lambda user: f"{user.name} is out",
                     default_ban_expires_in=10, default_ban_reason="House rules")
    res = cast.client("root").post(A + "/ban-user", json={"userId": cast.ids["bob"]})
    assert res.json["user"]["banReason"] == "House rules"
    assert sign_in(cast, "bob").json == {"message": "Bob is out", "code": "BANNED_USER"}
    clock.advance(11)
    assert sign_in(cast, "bob").status == 200


def test_update_user_ban_also_ends_sessions(cast: Cast) -> None:
    bob = cast.client("bob")
    cast.client("root").post(A + "/update-user",
                             json={"userId": cast.ids["bob"], "data": {"banned": True}})
    assert bob.get("/api/auth/get-session").body == b"null"
    assert sign_in(cast, "bob").status == 403


def test_banned_users_cannot_be_impersonated_either(cast: Cast) -> None:
    root = cast.client("root")
    root.post(A + "/ban-user", json={"userId": cast.ids["bob"]})
    res = root.post(A + "/impersonate-user", json={"userId": cast.ids["bob"]})
    assert res.status == 403 and res.json["code"] == "BANNED_USER"


def _cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser would send back after these Set-Cookie lines."""
    pairs = (line.split(";", 1)[0] for line in set_cookies)
    return "; ".join(p for p in pairs if not p.endswith("="))


CACHE_MAX_AGE = 300


@pytest.mark.parametrize("cookie_cache", [False, True], ids=["no-cache", "cookie-cache"])
@pytest.mark.parametrize("run", range(20))
def test_ban_racing_sign_in_leaves_no_valid_session(make_auth: Any, db_url: str, clock: Any,
                                                    run: int, cookie_cache: bool) -> None:
    """docs/security.md#authorization: sign-ins in a tight loop while root bans alice; once ban-user
    has returned,
    alice owns no valid session, and no later sign-in gets one; checked again 1 s later and
    after the cache window. Every cookie the loop was handed (before or after the ban) reads
    as no session from the store; with the cookie cache on, a cached copy may still answer
    until max_age (docs/security.md#authorization, documented), and no longer."""
    options: dict[str, Any] = {}
    if cookie_cache:
        options["session"] = {"cookie_cache": {"enabled": True, "max_age": CACHE_MAX_AGE}}
    auth = make_auth(database=db_url, plugins=[admin()], **options)
    api = auth.api
    api.create_user(body={"email": "root@example.com", "password": PASSWORD, "name": "Root",
                          "role": "admin"})
    alice = api.create_user(body={"email": "alice@example.com", "password": PASSWORD,
                                  "name": "Alice"})["user"]
    root_cookie = api.sign_in_email(body={"email": "root@example.com", "password": PASSWORD},
                                    return_headers=True).headers.get("set-cookie")
    headers = {"cookie": root_cookie.split(";", 1)[0]}
    workers = 3
    start = threading.Barrier(workers + 1)
    banned = threading.Event()
    signed_in = threading.Event()
    issued_after_ban: list[str] = []
    cookies: list[str] = []
    errors: list[BaseException] = []

    def sign_in_loop() -> None:
        start.wait()
        extra = 0
        while extra < 5:  # keep going a little past the ban
            after = banned.is_set()
            try:
                result = api.sign_in_email(body={"email": "alice@example.com",
                                                 "password": PASSWORD}, return_headers=True)
                cookies.append(_cookie_header(result.headers.get_all("set-cookie")))
                signed_in.set()
                if after:
                    issued_after_ban.append(result.response.token)
            except APIError as exc:
                if exc.code != "BANNED_USER":
                    errors.append(exc)
            except Exception as exc:  # noqa: BLE001 - a database error is a failure too
                errors.append(exc)
            if after:
                extra += 1

    threads = [threading.Thread(target=sign_in_loop) for _ in range(workers)]
    for t in threads:
        t.start()
    start.wait()
    # Ban once the loop is running for real (a sign-in has succeeded), so that sessions exist
    # and others are in flight: released together with the loop, the ban always came first.
    assert signed_in.wait(timeout=60)
    api.ban_user(body={"userId": alice.id}, headers=headers)
    banned.set()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert issued_after_ban == []
    assert cookies  # the loop had sessions when the ban landed: the checks below are real

    def no_valid_session(*, cache_may_answer: bool) -> None:
        assert auth.db.list_user_sessions(alice.id) == []
        for cookie in cookies:
            assert api.get_session(headers={"cookie": cookie},
                                   query={"disableCookieCache": "true"}) is None, cookie
            if not cache_may_answer:
                assert api.get_session(headers={"cookie": cookie}) is None, cookie
        with pytest.raises(APIError) as err:
            api.sign_in_email(body={"email": "alice@example.com", "password": PASSWORD})
        assert err.value.code == "BANNED_USER"

    no_valid_session(cache_may_answer=cookie_cache)
    clock.advance(1)
    no_valid_session(cache_may_answer=cookie_cache)
    clock.advance(CACHE_MAX_AGE)  # 1 s past the cookie cache's window
    no_valid_session(cache_may_answer=False)


def test_with_the_cookie_cache_a_banned_cookie_is_refused_where_it_matters(
        make_cast: Any) -> None:
    """docs/security.md#authorization, cache on: the cached cookie may still read as a session for
    up to max_age,
    but admin routes and sensitive routes read the store and answer 401."""
    cast = make_cast(auth_options={"session": {"cookie_cache": {"enabled": True,
                                                                "max_age": 300}}})
    cast.user("boss", "admin")
    boss = cast.client("boss")
    assert boss.get("/api/auth/get-session").json["user"]["role"] == "admin"
    cast.client("root").post(A + "/ban-user", json={"userId": cast.ids["boss"]})
    res = boss.get(A + "/list-users")
    assert res.status == 401 and res.body == b""
    res = boss.post("/api/auth/change-password",
                    json={"currentPassword": PASSWORD, "newPassword": "another-pass-1"})
    assert res.status == 401
    assert boss.get("/api/auth/get-session", query={"disableCookieCache": "true"}).body == b"null"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_safe_methods_never_ban(cast: Cast, method: str) -> None:
    """docs/security.md#origins-and-csrf: GET/HEAD on /admin/ban-user with an admin's cookie and the
    body as a query →
    404 (Better Auth has no 405), nothing changes."""
    alice = cast.client("alice")
    res = cast.client("root").request(method, A + "/ban-user",
                                      query={"userId": cast.ids["alice"], "banReason": "x"})
    assert res.status == 404 and res.body == b"" and not res.set_cookies
    user = cast.auth.db.get_user_by_id(cast.ids["alice"])
    assert user is not None and not user.extra.get("banned")
    assert alice.get("/api/auth/get-session").json is not None
