"""one-time-token, anonymous, multi-session, last-login-method: the same raw requests to the
Node reference and to authkit, answers compared (one pair of servers per plugin, started when
its first test runs).

Beyond the official-client scenarios: missing and mistyped fields, unknown, reused and foreign
tokens, wrong methods, sessions of the wrong kind, forged and missing cookies, the cookies each
sign-in path sets. Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ..support.wire_diff import DEFAULT_PASSWORD, Pair, Side, server_pair

Case = Callable[[Side], httpx.Response]
LONG = "x" * 5000


def _pair(factory: pytest.TempPathFactory, plugins: str,
          knobs: dict[str, str] | None = None) -> Iterator[Pair]:
    with server_pair(factory.mktemp("diff-" + plugins.replace(",", "-")), plugins=plugins,
                     knobs=knobs) as pair:
        for side in pair.sides:
            side.sign_up("small-owner@example.com")
        yield pair


# -- one-time-token ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ott(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "one-time-token")


def generate(side: Side, **kw: Any) -> str:
    res = side.call("GET", "/one-time-token/generate", **kw)
    assert res.status_code == 200, res.text
    token: str = res.json()["token"]
    return token


def verify(side: Side, body: Any) -> httpx.Response:
    return side.call("POST", "/one-time-token/verify", body, cookies=False)


def ott_used_twice(side: Side) -> httpx.Response:
    token = generate(side)
    assert verify(side, {"token": token}).status_code == 200
    return verify(side, {"token": token})


def ott_signed_out(side: Side) -> httpx.Response:
    jar: dict[str, str] = {}
    res = side.call("POST", "/sign-in/email", {"email": "small-owner@example.com",
                                               "password": DEFAULT_PASSWORD}, jar=jar)
    assert res.status_code == 200
    token = generate(side, jar=jar)
    assert side.call("POST", "/sign-out", {}, jar=jar).status_code == 200
    return verify(side, {"token": token})


OTT: dict[str, Case] = {
    "generate": lambda s: s.call("GET", "/one-time-token/generate"),
    "generate without session": lambda s: s.call("GET", "/one-time-token/generate",
                                                 cookies=False),
    "generate POST": lambda s: s.call("POST", "/one-time-token/generate", {}),
    "verify": lambda s: verify(s, {"token": generate(s)}),
    "verify with a cookie of another session": lambda s: s.call(
        "POST", "/one-time-token/verify", {"token": generate(s)}),
    "verify no token": lambda s: verify(s, {}),
    "verify token number": lambda s: verify(s, {"token": 5}),
    "verify empty token": lambda s: verify(s, {"token": ""}),
    "verify unknown": lambda s: verify(s, {"token": "a" * 32}),
    "verify very long": lambda s: verify(s, {"token": LONG}),
    "verify used twice": ott_used_twice,
    "verify after sign-out": ott_signed_out,
    "verify GET": lambda s: s.call("GET", "/one-time-token/verify", params={"token": "x"}),
}


@pytest.mark.parametrize("case", list(OTT.values()), ids=list(OTT))
def test_one_time_token(ott: Pair, case: Case) -> None:
    ott.compare(case)


# -- anonymous -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "anonymous")


def guest(side: Side, jar: dict[str, str]) -> httpx.Response:
    res = side.call("POST", "/sign-in/anonymous", {}, jar=jar)
    assert res.status_code == 200, res.text
    return res


def guest_again(side: Side) -> httpx.Response:
    jar: dict[str, str] = {}
    guest(side, jar)
    return side.call("POST", "/sign-in/anonymous", {}, jar=jar)


def guest_links(side: Side, email: str) -> httpx.Response:
    jar: dict[str, str] = {}
    guest(side, jar)
    old = dict(jar)
    res = side.call("POST", "/sign-up/email", {"email": email, "password": DEFAULT_PASSWORD,
                                               "name": "Real"}, jar=jar)
    assert res.status_code == 200, res.text
    return side.call("GET", "/get-session", jar=old)


def guest_failed_sign_in(side: Side) -> httpx.Response:
    jar: dict[str, str] = {}
    guest(side, jar)
    bad = side.call("POST", "/sign-in/email", {"email": "small-owner@example.com",
                                               "password": "wrong-password"}, jar=jar)
    assert bad.status_code == 401
    return side.call("GET", "/get-session", jar=jar)


def guest_deletes(side: Side) -> httpx.Response:
    jar: dict[str, str] = {}
    guest(side, jar)
    return side.call("POST", "/delete-anonymous-user", {}, jar=jar)


def guest_update(side: Side, body: Any) -> httpx.Response:
    jar: dict[str, str] = {}
    guest(side, jar)
    return side.call("POST", "/update-user", body, jar=jar)


ANON: dict[str, Case] = {
    "sign-in": lambda s: s.call("POST", "/sign-in/anonymous", {}, cookies=False),
    "sign-in no body": lambda s: s.call("POST", "/sign-in/anonymous", cookies=False),
    "sign-in with a body": lambda s: s.call("POST", "/sign-in/anonymous",
                                            {"name": "x", "email": "a@example.com"},
                                            cookies=False),
    "sign-in as a real user": lambda s: s.call("POST", "/sign-in/anonymous", {}, jar=dict(s.cookies)),
    "sign-in again as a guest": guest_again,
    "sign-in GET": lambda s: s.call("GET", "/sign-in/anonymous"),
    "sign-in without origin": lambda s: s.call("POST", "/sign-in/anonymous", {}, cookies=False,
                                               origin=False),
    "delete as a guest": guest_deletes,
    "delete as a real user": lambda s: s.call("POST", "/delete-anonymous-user", {}),
    "delete without session": lambda s: s.call("POST", "/delete-anonymous-user", {},
                                               cookies=False),
    "link by sign-up": lambda s: guest_links(s, "small-linked@example.com"),
    "failed sign-in keeps the guest": guest_failed_sign_in,
    "update isAnonymous": lambda s: guest_update(s, {"isAnonymous": False}),
    "update name": lambda s: guest_update(s, {"name": "Named"}),
    "sign-up isAnonymous": lambda s: s.call(
        "POST", "/sign-up/email", {"email": "small-anon-flag@example.com", "name": "F",
                                   "password": DEFAULT_PASSWORD, "isAnonymous": True},
        cookies=False),
}


@pytest.mark.parametrize("case", list(ANON.values()), ids=list(ANON))
def test_anonymous(anon: Pair, case: Case) -> None:
    anon.compare(case)


# -- multi-session -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-multi"), plugins="multi-session",
                     knobs={"MULTI_SESSION_MAX": "2"}) as pair:
        for side in pair.sides:
            for who in ("m1", "m2", "m3"):
                side.sign_up(f"{who}@example.com", jar={})
        yield pair


def browser(side: Side, *who: str) -> tuple[dict[str, str], list[str]]:
    """A fresh jar signed in as each of ``who`` in turn; the session tokens in order."""
    jar: dict[str, str] = {}
    tokens = []
    for name in who:
        res = side.call("POST", "/sign-in/email", {"email": f"{name}@example.com",
                                                   "password": DEFAULT_PASSWORD}, jar=jar)
        assert res.status_code == 200, res.text
        tokens.append(res.json()["token"])
    return jar, tokens


def multi_case(fn: Callable[[Side, dict[str, str], list[str]], httpx.Response],
               *who: str) -> Case:
    def case(side: Side) -> httpx.Response:
        jar, tokens = browser(side, *who)
        return fn(side, jar, tokens)
    return case


def forged(side: Side) -> httpx.Response:
    jar, tokens = browser(side, "m1")
    cookies = {k: v for k, v in jar.items() if "_multi-" not in k}
    cookies[f"better-auth.session_token_multi-{tokens[0].lower()}"] = tokens[0] + ".AAAA"
    return side.call("GET", "/multi-session/list-device-sessions", jar=cookies)


def list_sessions(side: Side, jar: dict[str, str]) -> httpx.Response:
    return side.call("GET", "/multi-session/list-device-sessions", jar=jar)


MULTI: dict[str, Case] = {
    "list without cookies": lambda s: s.call("GET", "/multi-session/list-device-sessions",
                                             cookies=False),
    "list two accounts": multi_case(lambda s, j, t: list_sessions(s, j), "m1", "m2"),
    "list over the maximum": multi_case(lambda s, j, t: list_sessions(s, j), "m1", "m2", "m3"),
    "list same account twice": multi_case(lambda s, j, t: list_sessions(s, j), "m1", "m1"),
    "list forged cookie": forged,
    "sign in again as the same account": lambda s: s.call(
        "POST", "/sign-in/email", {"email": "m1@example.com", "password": DEFAULT_PASSWORD},
        jar=browser(s, "m1", "m2")[0]),
    "set-active": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {"sessionToken": t[0]}, jar=j), "m1", "m2"),
    "set-active upper-case": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {"sessionToken": t[0].upper()}, jar=j), "m1", "m2"),
    "set-active unknown": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {"sessionToken": "nope"}, jar=j), "m1"),
    "set-active very long": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {"sessionToken": LONG}, jar=j), "m1"),
    "set-active missing": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {}, jar=j), "m1"),
    "set-active number": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {"sessionToken": 5}, jar=j), "m1"),
    "set-active over the maximum": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/set-active", {"sessionToken": t[2]}, jar=j), "m1", "m2", "m3"),
    "revoke the other": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/revoke", {"sessionToken": t[0]}, jar=j), "m1", "m2"),
    "revoke the active": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/revoke", {"sessionToken": t[1]}, jar=j), "m1", "m2"),
    "revoke the only one": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/revoke", {"sessionToken": t[0]}, jar=j), "m1"),
    "revoke unknown": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/revoke", {"sessionToken": "nope"}, jar=j), "m1"),
    "revoke missing": multi_case(lambda s, j, t: s.call(
        "POST", "/multi-session/revoke", {}, jar=j), "m1"),
    "revoke without session": lambda s: s.call("POST", "/multi-session/revoke",
                                               {"sessionToken": "x"}, cookies=False),
    "sign-out": multi_case(lambda s, j, t: s.call("POST", "/sign-out", {}, jar=j), "m1", "m2"),
    "list GET on set-active": lambda s: s.call("GET", "/multi-session/set-active"),
}


@pytest.mark.parametrize("case", list(MULTI.values()), ids=list(MULTI))
def test_multi_session(multi: Pair, case: Case) -> None:
    multi.compare(case)


# -- last-login-method ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def last(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "last-login-method,username")


LAST: dict[str, Case] = {
    "sign-in email": lambda s: s.call("POST", "/sign-in/email", {
        "email": "small-owner@example.com", "password": DEFAULT_PASSWORD}, cookies=False),
    "sign-in email wrong": lambda s: s.call("POST", "/sign-in/email", {
        "email": "small-owner@example.com", "password": "wrong-password"}, cookies=False),
    "sign-up": lambda s: s.call("POST", "/sign-up/email", {
        "email": "small-last@example.com", "password": DEFAULT_PASSWORD, "name": "L"},
        cookies=False),
    "sign-up lastLoginMethod": lambda s: s.call("POST", "/sign-up/email", {
        "email": "small-last2@example.com", "password": DEFAULT_PASSWORD, "name": "L",
        "lastLoginMethod": "x"}, cookies=False),
    "update lastLoginMethod": lambda s: s.call("POST", "/update-user", {"lastLoginMethod": "x"}),
    "update name": lambda s: s.call("POST", "/update-user", {"name": "Renamed"}),
    "get-session": lambda s: s.call("GET", "/get-session"),
    "sign-out": lambda s: s.call("POST", "/sign-out", {}, jar=signed_in(s)),
}


def signed_in(side: Side) -> dict[str, str]:
    jar: dict[str, str] = {}
    res = side.call("POST", "/sign-in/email", {"email": "small-owner@example.com",
                                               "password": DEFAULT_PASSWORD}, jar=jar)
    assert res.status_code == 200, res.text
    return jar


@pytest.mark.parametrize("case", list(LAST.values()), ids=list(LAST))
def test_last_login_method(last: Pair, case: Case) -> None:
    last.compare(case)


def test_last_login_method_username_sign_in(last: Pair) -> None:
    def case(side: Side) -> httpx.Response:
        assert side.call("POST", "/update-user", {"username": "small_owner"}).status_code == 200
        return side.call("POST", "/sign-in/username", {"username": "small_owner",
                                                       "password": DEFAULT_PASSWORD},
                         cookies=False)
    last.compare(case)


# -- knob variants -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ott_variant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "one-time-token",
                     {"OTT_SET_HEADER": "on", "OTT_DISABLE_SET_COOKIE": "on", "OTT_STORE": "hashed"})


def headers_of(res: httpx.Response) -> tuple[bool, list[str]]:
    expose = [h.strip() for h in res.headers.get("access-control-expose-headers", "").split(",")]
    return "set-ott" in res.headers, [h for h in expose if h == "set-ott"]


OTT_VARIANT: dict[str, Case] = {
    "sign-in sends set-ott": lambda s: s.call("POST", "/sign-in/email", {
        "email": "small-owner@example.com", "password": DEFAULT_PASSWORD}, cookies=False),
    "sign-up sends set-ott": lambda s: s.call("POST", "/sign-up/email", {
        "email": "small-ott@example.com", "password": DEFAULT_PASSWORD, "name": "O"},
        cookies=False),
    "get-session does not": lambda s: s.call("GET", "/get-session"),
    "verify sets no cookie": lambda s: verify(s, {"token": generate(s)}),
    "set-ott token verifies": lambda s: verify(s, {"token": s.call(
        "POST", "/sign-in/email", {"email": "small-owner@example.com",
                                   "password": DEFAULT_PASSWORD}, cookies=False
    ).headers["set-ott"]}),
}


@pytest.mark.parametrize("case", list(OTT_VARIANT.values()), ids=list(OTT_VARIANT))
def test_one_time_token_variant(ott_variant: Pair, case: Case) -> None:
    ott_variant.compare(case)
    seen = [headers_of(case(side)) for side in ott_variant.sides]
    assert seen[0] == seen[1]


@pytest.fixture(scope="module")
def ott_no_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "one-time-token", {"OTT_DISABLE_CLIENT": "on"})


def test_one_time_token_client_disabled(ott_no_client: Pair) -> None:
    ott_no_client.compare(lambda s: s.call("GET", "/one-time-token/generate"))


@pytest.fixture(scope="module")
def anon_variant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "anonymous",
                     {"ANON_DISABLE_DELETE": "on", "ANON_EMAIL_DOMAIN": "guest.example.com",
                      "ANON_NAME": "Guest"})


ANON_VARIANT: dict[str, Case] = {
    "sign-in": lambda s: s.call("POST", "/sign-in/anonymous", {}, cookies=False),
    "delete disabled": guest_deletes,
    "link keeps the guest": lambda s: guest_links(s, "small-kept@example.com"),
}


@pytest.mark.parametrize("case", list(ANON_VARIANT.values()), ids=list(ANON_VARIANT))
def test_anonymous_variant(anon_variant: Pair, case: Case) -> None:
    anon_variant.compare(case)


@pytest.fixture(scope="module")
def last_variant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(tmp_path_factory, "last-login-method",
                     {"LAST_LOGIN_METHOD_DB": "off", "LAST_LOGIN_METHOD_MAX_AGE": "60",
                      "LAST_LOGIN_METHOD_COOKIE": "llm"})


LAST_VARIANT: dict[str, Case] = {
    "sign-in email": LAST["sign-in email"],
    "sign-up lastLoginMethod": LAST["sign-up lastLoginMethod"],
    "update lastLoginMethod": LAST["update lastLoginMethod"],
}


@pytest.mark.parametrize("case", list(LAST_VARIANT.values()), ids=list(LAST_VARIANT))
def test_last_login_method_variant(last_variant: Pair, case: Case) -> None:
    last_variant.compare(case)


def _expire(side: Side, table: str, column: str, match: str, value: str) -> None:
    import sqlite3

    path = side.server.env.get("DB_PATH") or side.server.env["AUTHKIT_DATABASE_URL"][10:]
    with sqlite3.connect(path) as db:
        db.execute(f'UPDATE "{table}" SET "expiresAt" = ? WHERE "{column}" = ?', (value, match))


def ott_expired(side: Side) -> httpx.Response:
    token = generate(side)
    _expire(side, "verification", "identifier", f"one-time-token:{token}",
            "2001-01-01T00:00:00.000Z")
    return verify(side, {"token": token})


def ott_session_expired(side: Side) -> httpx.Response:
    jar = signed_in(side)
    token = generate(side, jar=jar)
    session = side.call("GET", "/get-session", jar=jar).json()["session"]["token"]
    _expire(side, "session", "token", session, "2001-01-01T00:00:00.000Z")
    return verify(side, {"token": token})


@pytest.mark.parametrize("case", [ott_expired, ott_session_expired],
                         ids=["token expired", "session expired"])
def test_one_time_token_expiry(ott: Pair, case: Case) -> None:
    ott.compare(case)


def multi_expired(side: Side) -> httpx.Response:
    jar, tokens = browser(side, "m1", "m2")
    _expire(side, "session", "token", tokens[0], "2001-01-01T00:00:00.000Z")
    return side.call("POST", "/multi-session/set-active", {"sessionToken": tokens[0]}, jar=jar)


def multi_list_expired(side: Side) -> httpx.Response:
    jar, tokens = browser(side, "m1", "m2")
    _expire(side, "session", "token", tokens[0], "2001-01-01T00:00:00.000Z")
    return list_sessions(side, jar)


def multi_foreign(side: Side) -> httpx.Response:
    _, theirs = browser(side, "m3")
    jar, _ = browser(side, "m1")
    return side.call("POST", "/multi-session/revoke", {"sessionToken": theirs[0]}, jar=jar)


def multi_no_origin(side: Side) -> httpx.Response:
    jar, tokens = browser(side, "m1", "m2")
    return side.call("POST", "/multi-session/revoke", {"sessionToken": tokens[0]}, jar=jar,
                     origin=False)


@pytest.mark.parametrize("case", [multi_expired, multi_list_expired, multi_foreign,
                                  multi_no_origin],
                         ids=["set-active expired", "list expired", "revoke foreign",
                              "revoke without origin"])
def test_multi_session_more(multi: Pair, case: Case) -> None:
    multi.compare(case)


def guest_delete_no_origin(side: Side) -> httpx.Response:
    jar: dict[str, str] = {}
    guest(side, jar)
    return side.call("POST", "/delete-anonymous-user", {}, jar=jar, origin=False)


def test_anonymous_delete_without_origin(anon: Pair) -> None:
    anon.compare(guest_delete_no_origin)
