"""Key pairs, JWK member order, JWS signing and time spans, against a token the Node server
signed (Ed25519 is deterministic, so re-signing reproduces it byte for byte)."""

from __future__ import annotations

import json

import jwt as pyjwt
import pytest

from authkit.plugins.jwt import jws, keys
from authkit.plugins.jwt.claims import expiry, time_span

# A key row and a /token answer from the Node Better Auth 1.7.25 reference server.
NODE_PRIVATE = {"crv": "Ed25519", "d": "GHfr5XdUh8dO2BBhlpDDrFnFXeh0G7QzhJQFOEHuCe0",
                "x": "YXsW2i0_SDX4I_-NnjucfqlkQ87OskgJBd7ZDxADcMQ", "kty": "OKP"}
NODE_JWKS = {"keys": [{"alg": "EdDSA", "crv": "Ed25519",
                       "x": "YXsW2i0_SDX4I_-NnjucfqlkQ87OskgJBd7ZDxADcMQ", "kty": "OKP",
                       "kid": "b9Md7p3ZXXGHihdsk0iW2GDegWR7FLST"}]}
NODE_TOKEN = (
    "eyJhbGciOiJFZERTQSIsImtpZCI6ImI5TWQ3cDNaWFhHSGloZHNrMGlXMkdEZWdXUjdGTFNUIn0.eyJpYXQiOjE3OTY1O"
    "Dc0MTMsIm5hbWUiOiJWZWN0b3IiLCJlbWFpbCI6InZlY3RvckBleGFtcGxlLmNvbSIsImVtYWlsVmVyaWZpZWQiOmZh"
    "bHNlLCJpbWFnZSI6bnVsbCwiY3JlYXRlZEF0IjoiMjAyNi0xMi0wNlQyMDowMzozMy43MTZaIiwidXBkYXRlZEF0Ijoi"
    "MjAyNi0xMi0wNlQyMDowMzozMy43MTZaIiwicm9sZSI6InVzZXIiLCJiYW5uZWQiOmZhbHNlLCJiYW5SZWFzb24iOm51"
    "bGwsImJhbkV4cGlyZXMiOm51bGwsImlkIjoidEVOaVFMRTZrWUUwSmtLMEJYQnQ5T0NXYXdzRGxCNU0iLCJzdWIiOiJ0"
    "RU5pUUxFNmtZRTBKa0swQlhCdDlPQ1dhd3NEbEI1TSIsImV4cCI6MTc5NjU4ODMxMywiaXNzIjoiaHR0cDovLzEyNy4w"
    "LjAuMTozMjMwIiwiYXVkIjoiaHR0cDovLzEyNy4wLjAuMTozMjMwIn0.0WdIB7l5pHZvCOXVO9VbI2HgdiXb64GAJMYC0"
    "xnk8K_KsWh5E7AsGj0pug9ZbDW8owJaaPkW0lD6jZS05tK-Dw")


def test_node_token_is_reproduced_byte_for_byte() -> None:
    header, claims, _, _ = jws.split(NODE_TOKEN)
    key = keys.load_private(NODE_PRIVATE)
    assert keys.private_jwk(key) == NODE_PRIVATE
    assert list(keys.private_jwk(key)) == ["crv", "d", "x", "kty"]
    assert jws.encode(claims, alg=header["alg"], kid=header["kid"], key=key) == NODE_TOKEN


def test_node_token_verifies_with_our_decoder() -> None:
    jwk = NODE_JWKS["keys"][0]
    _, claims = jws.decode(NODE_TOKEN, lambda kid: ("EdDSA", keys.load_public(jwk))
                           if kid == jwk["kid"] else None)
    assert claims["sub"] == "tENiQLE6kYE0JkK0BXBt9OCWawsDlB5M"
    forged = NODE_TOKEN.replace(NODE_TOKEN.split(".")[1], keys.b64url(
        json.dumps({**claims, "sub": "x"}).encode()))
    with pytest.raises(jws.InvalidToken):
        jws.decode(forged, lambda kid: ("EdDSA", keys.load_public(jwk)))


@pytest.mark.parametrize(("alg", "public_members", "private_members"), [
    ("EdDSA", ["crv", "x", "kty"], ["crv", "d", "x", "kty"]),
    ("ES256", ["kty", "x", "y", "crv"], ["kty", "x", "y", "crv", "d"]),
    ("ES512", ["kty", "x", "y", "crv"], ["kty", "x", "y", "crv", "d"]),
    ("RS256", ["kty", "n", "e"], ["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"]),
    ("PS256", ["kty", "n", "e"], ["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"]),
])
def test_each_algorithm_signs_what_pyjwt_verifies(alg: str, public_members: list[str],
                                                  private_members: list[str]) -> None:
    public, private = keys.generate(keys.KeyPairConfig(alg))
    assert list(public) == public_members and list(private) == private_members
    key = keys.load_private(private)
    assert keys.private_jwk(key) == private  # the stored JWK loads back to the same key
    token = jws.encode({"sub": "u1", "n": 1}, alg=alg, kid="k1", key=key)
    verified = pyjwt.decode(token, pyjwt.PyJWK({**public, "alg": alg}).key, algorithms=[alg])
    assert verified == {"sub": "u1", "n": 1}
    assert pyjwt.get_unverified_header(token) == {"alg": alg, "kid": "k1"}
    other = keys.load_public(keys.generate(keys.KeyPairConfig(alg))[0])
    with pytest.raises(jws.InvalidToken):
        jws.decode(token, lambda kid: (alg, other))


@pytest.mark.parametrize(("span", "seconds"), [
    ("15m", 900), ("30s", 30), ("1h", 3600), ("2 days", 172800), ("1.5 hours", 5400),
    ("1 week", 604800), ("1y", 31557600), ("-1h", -3600), ("10 mins ago", -600),
])
def test_time_spans(span: str, seconds: int) -> None:
    assert time_span(span) == seconds


def test_bad_time_span_and_absolute_expiry() -> None:
    with pytest.raises(ValueError, match="invalid time span"):
        time_span("soon")
    assert expiry(2_000_000_000, 100) == 2_000_000_000
    assert expiry("15m", 100) == 1000


def test_unknown_algorithm_is_a_config_error() -> None:
    from authkit.errors import ConfigError
    with pytest.raises(ConfigError, match="HS256"):
        keys.KeyPairConfig("HS256")
