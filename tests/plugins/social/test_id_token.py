"""ID-token verification and the key-set cache against the real loopback OpenID provider:
keys fetched once, fetched again for an unknown ``kid`` at most once per cooldown; only the
provider's asymmetric algorithms; audience, issuer, expiry and nonce checked."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from authkit.plugins.social.http_client import OAuthHTTP
from authkit.plugins.social.id_token import IdTokenError, JWKSCache, verify_id_token
from tests.support.live_servers import Server

from .live import idp_call, idp_server, idp_user


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with idp_server(tmp_path_factory.mktemp("idp")) as server:
        yield server


@pytest.fixture
def http() -> Iterator[OAuthHTTP]:
    client = OAuthHTTP()
    yield client
    client.close()


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _jwks_fetches(idp: Server, since: int) -> int:
    log = idp_call(idp.base_url, f"/test/requests?since={since}")["requests"]
    return sum(1 for r in log if r["path"] == "/jwks")


def _mark(idp: Server) -> int:
    mark: int = idp_call(idp.base_url, "/test/requests?since=999999999")["next"]
    return mark


def _mint(idp: Server, **body: object) -> str:
    token: str = idp_call(idp.base_url, "/test/id-token", {"op": "oidc", **body})["id_token"]
    return token


def test_cache_and_refresh_on_unknown_kid(idp: Server, http: OAuthHTTP) -> None:
    ticks = Ticks()
    cache = JWKSCache(http, f"{idp.base_url}/jwks", ttl=300, cooldown=30, clock=ticks)
    user = idp_user(idp.base_url, "jw")
    good = _mint(idp, login=user["login"])
    mark = _mark(idp)

    def verify(token: str) -> dict[str, object]:
        return verify_id_token(token, jwks=cache, issuers=[idp.base_url],
                               audience="ba-oidc-client")

    assert verify(good)["sub"] == user["sub"]
    assert verify(good)["sub"] == user["sub"]
    assert _jwks_fetches(idp, mark) == 1
    rotated = _mint(idp, login=user["login"], kid="rotated-key-2")
    ticks.now += 31
    with pytest.raises(IdTokenError):
        verify(rotated)
    assert _jwks_fetches(idp, mark) == 2  # one refetch for the unknown kid
    with pytest.raises(IdTokenError):
        verify(rotated)
    assert _jwks_fetches(idp, mark) == 2  # within the cooldown: none
    ticks.now += 301
    verify(good)
    assert _jwks_fetches(idp, mark) == 3  # the ttl ran out


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_refusals(idp: Server, http: OAuthHTTP) -> None:
    cache = JWKSCache(http, f"{idp.base_url}/jwks")
    user = idp_user(idp.base_url, "ref")
    good = _mint(idp, login=user["login"], nonce="n1")
    _head, payload, sig = good.split(".")
    cases = {
        "alg none": f"{_b64({'alg': 'none'})}.{payload}.",
        "HS256 with the public key": f"{_b64({'alg': 'HS256', 'kid': 'idp-main-rs256-1'})}"
                                     f".{payload}.{sig}",
        "wrong audience": _mint(idp, login=user["login"], aud="x"),
        "wrong issuer": _mint(idp, login=user["login"], iss="https://evil.example"),
        "expired": _mint(idp, login=user["login"], exp_in=-60),
        "garbage": "not-a-token",
        "too long": "a" * 20_000,
    }
    for name, token in cases.items():
        with pytest.raises(IdTokenError):
            verify_id_token(token, jwks=cache, issuers=[idp.base_url],
                            audience="ba-oidc-client")
            pytest.fail(name)
    with pytest.raises(IdTokenError, match="nonce"):
        verify_id_token(good, jwks=cache, issuers=[idp.base_url], audience="ba-oidc-client",
                        nonce="n2")
    assert verify_id_token(good, jwks=cache, issuers=[idp.base_url],
                           audience=["other", "ba-oidc-client"], nonce="n1")["nonce"] == "n1"
    # Within the 30 s leeway an expired token still passes, as Better Auth's.
    recent = _mint(idp, login=user["login"], exp_in=-10)
    verify_id_token(recent, jwks=cache, issuers=[idp.base_url], audience="ba-oidc-client")
