"""magic-link: the same raw requests to the Node reference and to authkit, answers compared.

Beyond the official-client scenario: bad and untrusted fields on the request, every way a
verify link can fail (missing, unknown, used token; untrusted callback URLs), the redirect
targets (each server's own origin masked) and the JSON answer without a callback URL.
Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ..support.wire_diff import Pair, Side, server_pair

Case = Callable[[Side], httpx.Response]
LONG = "x" * 5000
SIGN_IN = "/sign-in/magic-link"
VERIFY = "/magic-link/verify"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-magic-link"), plugins="magic-link") as pair:
        for side in pair.sides:
            side.sign_up("ml-owner@example.com")
        yield pair


def request(side: Side, body: Any, **kw: Any) -> httpx.Response:
    return side.call("POST", SIGN_IN, body, cookies=False, **kw)


def token_for(side: Side, email: str, **extra: Any) -> str:
    res = request(side, {"email": email, **extra})
    assert res.status_code == 200, (side.name, res.text)
    for line in reversed(side.vars["outbox"].read_text().splitlines()):
        mail = json.loads(line)
        if mail["type"] == "magic-link" and mail["email"] == email:
            token: str = mail["token"]
            return token
    raise AssertionError(f"{side.name}: no link to {email}")


def verify(side: Side, token: str | None, **params: str) -> httpx.Response:
    query = {**({"token": token} if token is not None else {}), **params}
    return side.call("GET", VERIFY, params=query, cookies=False, origin=False)


def used_twice(side: Side) -> httpx.Response:
    token = token_for(side, "ml-owner@example.com")
    assert verify(side, token).status_code == 200
    return verify(side, token, callbackURL="/dash")


def verified_user_count(side: Side) -> httpx.Response:
    token = token_for(side, "ml-owner@example.com")
    return verify(side, token)


SIGN_IN_CASES: dict[str, Case] = {
    "empty body": lambda s: request(s, {}),
    "email invalid": lambda s: request(s, {"email": "nope"}),
    "email number": lambda s: request(s, {"email": 5}),
    "email empty": lambda s: request(s, {"email": ""}),
    "unknown address": lambda s: request(s, {"email": "ghost@example.com"}),
    "upper-case address": lambda s: request(s, {"email": "ML-Owner@Example.com"}),
    "callbackURL relative": lambda s: request(s, {"email": "a@example.com",
                                                  "callbackURL": "/dash"}),
    "callbackURL untrusted": lambda s: request(s, {"email": "a@example.com",
                                                   "callbackURL": "https://evil.example/x"}),
    "newUserCallbackURL untrusted": lambda s: request(
        s, {"email": "a@example.com", "newUserCallbackURL": "https://evil.example/x"}),
    "errorCallbackURL untrusted": lambda s: request(
        s, {"email": "a@example.com", "errorCallbackURL": "https://evil.example/x"}),
    "callbackURL protocol-relative": lambda s: request(
        s, {"email": "a@example.com", "callbackURL": "//evil.example/x"}),
    "callbackURL number": lambda s: request(s, {"email": "a@example.com", "callbackURL": 5}),
    "name number": lambda s: request(s, {"email": "a@example.com", "name": 5}),
    "metadata string": lambda s: request(s, {"email": "a@example.com", "metadata": "m"}),
    "metadata object": lambda s: request(s, {"email": "a@example.com", "metadata": {"a": 1}}),
    "unknown field": lambda s: request(s, {"email": "a@example.com", "colour": "blue"}),
    "GET": lambda s: s.call("GET", SIGN_IN, params={"email": "a@example.com"}),
    "form from another site": lambda s: s.call(
        "POST", SIGN_IN, raw=b"email=a%40example.com", cookies=False, origin=False,
        headers={"content-type": "application/x-www-form-urlencoded",
                 "origin": "https://evil.example", "sec-fetch-site": "cross-site",
                 "sec-fetch-mode": "navigate", "sec-fetch-dest": "document"}),
    "cookie with foreign origin": lambda s: s.call(
        "POST", SIGN_IN, {"email": "a@example.com"}, origin=False,
        cookies={"better-auth.session_token": "x.y"}, headers={"origin": "https://evil.example"}),
}


@pytest.mark.parametrize("case", list(SIGN_IN_CASES.values()), ids=list(SIGN_IN_CASES))
def test_sign_in(pair: Pair, case: Case) -> None:
    pair.compare(case)


VERIFY_CASES: dict[str, Case] = {
    "no token": lambda s: verify(s, None),
    "empty token": lambda s: verify(s, ""),
    "unknown token": lambda s: verify(s, "a" * 32),
    "very long token": lambda s: verify(s, LONG),
    "unknown token, callback with query": lambda s: verify(s, "a" * 32, callbackURL="/dash?a=1"),
    "unknown token, error callback": lambda s: verify(s, "a" * 32, callbackURL="/dash",
                                                     errorCallbackURL="/err"),
    "untrusted callbackURL": lambda s: verify(s, "a" * 32, callbackURL="https://evil.example"),
    "untrusted newUserCallbackURL": lambda s: verify(s, "a" * 32,
                                                     newUserCallbackURL="https://evil.example"),
    "untrusted errorCallbackURL": lambda s: verify(s, "a" * 32,
                                                   errorCallbackURL="https://evil.example"),
    "POST": lambda s: s.call("POST", VERIFY, {"token": "a" * 32}),
    "used twice": used_twice,
    "existing user, JSON": verified_user_count,
    "existing user, callback": lambda s: verify(
        s, token_for(s, "ml-owner@example.com", callbackURL="/dash"), callbackURL="/dash"),
    "new user, new-user callback": lambda s: verify(
        s, token_for(s, "ml-new@example.com", name="Neo"), callbackURL="/dash",
        newUserCallbackURL="/welcome"),
    "new user without name": lambda s: verify(s, token_for(s, "ml-nameless@example.com")),
    "upper-case address, existing": lambda s: verify(
        s, token_for(s, "ML-Owner@Example.com")),
}


@pytest.mark.parametrize("case", list(VERIFY_CASES.values()), ids=list(VERIFY_CASES))
def test_verify(pair: Pair, case: Case) -> None:
    node, ours = pair.both(case)
    detail = f"\nnode:    {node.status} {node.text}\nauthkit: {ours.status} {ours.text}"
    assert (node.status, node.body, node.cookies) == (ours.status, ours.body, ours.cookies), detail


@pytest.mark.parametrize("case", list(VERIFY_CASES.values()), ids=list(VERIFY_CASES))
def test_verify_location(pair: Pair, case: Case) -> None:
    where = []
    for side in pair.sides:
        res = case(side)
        where.append(res.headers.get("location", "").replace(side.base, "<base>"))
    assert where[0] == where[1]


def test_unverified_user_loses_password(pair: Pair) -> None:
    def case(side: Side) -> httpx.Response:
        jar: dict[str, str] = {}
        side.sign_up("ml-unproven@example.com", jar=jar)
        assert verify(side, token_for(side, "ml-unproven@example.com")).status_code == 200
        return side.call("POST", "/sign-in/email", {"email": "ml-unproven@example.com",
                                                    "password": "wire-diff-pass-123"},
                         cookies=False)
    pair.compare(case)


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-magic-link-closed"), plugins="magic-link",
                     knobs={"MAGIC_LINK_DISABLE_SIGN_UP": "on",
                            "MAGIC_LINK_STORE_TOKEN": "hashed"}) as pair:
        for side in pair.sides:
            side.sign_up("ml-closed@example.com")
        yield pair


CLOSED: dict[str, Case] = {
    "unknown address, JSON": lambda s: verify(s, token_for(s, "ml-stranger@example.com")),
    "unknown address, callback": lambda s: verify(
        s, token_for(s, "ml-stranger2@example.com"), callbackURL="/dash",
        errorCallbackURL="/oops"),
    "known address, hashed token": lambda s: verify(s, token_for(s, "ml-closed@example.com")),
    "unknown token": lambda s: verify(s, "b" * 32, callbackURL="/dash"),
}


@pytest.mark.parametrize("case", list(CLOSED.values()), ids=list(CLOSED))
def test_sign_up_disabled(closed: Pair, case: Case) -> None:
    where = []
    for side in closed.sides:
        res = case(side)
        where.append(res.headers.get("location", "").replace(side.base, "<base>"))
    assert where[0] == where[1]
    closed.compare(case)
