"""jwt: the same raw requests to the Node reference and to authkit, answers compared.

Beyond the official-client scenario: wrong methods, missing sessions, the JWKS and JWT shapes
(header members, claim order), the get-session headers, and a second pair of servers with
non-default knobs (ES256, a custom JWKS path, an audience list, the minimal payload).
Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ..support.wire_diff import Pair, Side, mask, server_pair

Case = Callable[[Side], httpx.Response]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-jwt"), plugins="jwt") as pair:
        for side in pair.sides:
            side.sign_up("jwt-owner@example.com", name="Jay")
        yield pair


CUSTOM = {"JWT_ALG": "ES256", "JWT_JWKS_PATH": "/.well-known/jwks.json",
          "JWT_AUDIENCE": "api-a,api-b", "JWT_PAYLOAD": "minimal", "JWT_EXPIRATION": "1h",
          "JWT_ISSUER": "https://issuer.example"}


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-jwt-custom"), plugins="jwt",
                     knobs=CUSTOM) as pair:
        for side in pair.sides:
            side.sign_up("jwt-custom@example.com", name="Kay")
        yield pair


CASES: dict[str, Case] = {
    "jwks": lambda s: s.call("GET", "/jwks", cookies=False, origin=False),
    "jwks POST": lambda s: s.call("POST", "/jwks", {}),
    "jwks with a trailing slash": lambda s: s.call("GET", "/jwks/", cookies=False),
    "token": lambda s: s.call("GET", "/token"),
    "token without session": lambda s: s.call("GET", "/token", cookies=False),
    "token with a forged cookie": lambda s: s.call(
        "GET", "/token", cookies={"better-auth.session_token": "forged.value"}),
    "token POST": lambda s: s.call("POST", "/token", {}),
    "token DELETE": lambda s: s.call("DELETE", "/token"),
    "get-session without session": lambda s: s.call("GET", "/get-session", cookies=False),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_default(pair: Pair, case: Case) -> None:
    pair.compare(case)


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")
    parts = [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in (head, body)]
    return parts[0], parts[1]


def claims_shape(claims: dict[str, Any]) -> Any:
    # exp − iat is the configured lifetime; iss/aud are each server's own origin by default.
    lifetime = claims.get("exp", 0) - claims.get("iat", 0)
    own = {k: v for k, v in claims.items() if k not in ("iat", "exp", "iss", "aud")}
    return [list(claims), mask(own), lifetime]


def token_of(side: Side, how: str) -> str:
    if how == "token":
        res = side.call("GET", "/token")
        assert res.status_code == 200, res.text
        assert list(res.json()) == ["token"]
        token: str = res.json()["token"]
        return token
    res = side.call("GET", "/get-session")
    assert res.status_code == 200, res.text
    return res.headers["set-auth-jwt"]


@pytest.mark.parametrize("how", ["token", "get-session"])
def test_jwt_shape(pair: Pair, how: str) -> None:
    shapes = []
    for side in pair.sides:
        header, claims = decode(token_of(side, how))
        assert claims["iss"] == claims["aud"] == side.base
        shapes.append([list(header), header["alg"], claims_shape(claims)])
    assert shapes[0] == shapes[1]


def test_get_session_headers(pair: Pair) -> None:
    seen = []
    for side in pair.sides:
        res = side.call("GET", "/get-session")
        expose = [h.strip() for h in res.headers.get("access-control-expose-headers", "").split(",")]
        # authkit serve always installs the bearer plugin (the reference server does not), which
        # adds set-auth-token to the exposed headers: only set-auth-jwt is compared here.
        seen.append(("set-auth-jwt" in res.headers, "set-auth-jwt" in expose,
                     res.headers.get("cache-control")))
    assert seen[0] == seen[1]


def test_jwks_shape(pair: Pair) -> None:
    node, ours = pair.both(lambda s: s.call("GET", "/jwks"))
    assert node.status == ours.status == 200
    assert node.body == ours.body


CUSTOM_CASES: dict[str, Case] = {
    "default jwks path": lambda s: s.call("GET", "/jwks"),
    "custom jwks path": lambda s: s.call("GET", "/.well-known/jwks.json"),
    "token": lambda s: s.call("GET", "/token"),
}


@pytest.mark.parametrize("case", list(CUSTOM_CASES.values()), ids=list(CUSTOM_CASES))
def test_custom(custom: Pair, case: Case) -> None:
    custom.compare(case)


@pytest.mark.parametrize("how", ["token", "get-session"])
def test_custom_jwt_shape(custom: Pair, how: str) -> None:
    shapes = []
    for side in custom.sides:
        header, claims = decode(token_of(side, how))
        shapes.append([list(header), header["alg"], claims_shape(claims), claims["iss"],
                       claims["aud"]])
    assert shapes[0] == shapes[1]


@pytest.fixture(scope="module")
def with_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with server_pair(tmp_path_factory.mktemp("diff-jwt-api-key"), plugins="jwt,api-key") as pair:
        for side in pair.sides:
            side.sign_up("jwt-keys@example.com", name="Kee")
            res = side.call("POST", "/api-key/create", {"name": "k"})
            assert res.status_code == 200, res.text
            side.vars["key"] = res.json()["key"]
        yield pair


def test_token_through_an_api_key(with_keys: Pair) -> None:
    shapes = []
    for side in with_keys.sides:
        res = side.call("GET", "/token", headers={"x-api-key": side.vars["key"]}, cookies=False,
                        origin=False)
        assert res.status_code == 200, res.text
        header, claims = decode(res.json()["token"])
        shapes.append([list(header), claims_shape(claims), "set-auth-jwt" in res.headers])
    assert shapes[0] == shapes[1]


def test_get_session_through_an_api_key_has_no_jwt_header(with_keys: Pair) -> None:
    seen = []
    for side in with_keys.sides:
        res = side.call("GET", "/get-session", headers={"x-api-key": side.vars["key"]},
                        cookies=False, origin=False)
        assert res.status_code == 200, res.text
        seen.append(("set-auth-jwt" in res.headers, res.headers.get("cache-control")))
    assert seen[0] == seen[1]
