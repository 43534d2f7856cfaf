"""Verify authkit's (or Better Auth's) JWTs in another service, against the JWKS endpoint.

::

    from authkit.plugins.jwt.verifier import JWKSVerifier, InvalidToken

    verifier = JWKSVerifier("https://auth.example.com/api/auth/jwks",
                            issuer="https://auth.example.com",
                            audience="https://auth.example.com")
    try:
        claims = verifier.verify(request.headers["Authorization"].removeprefix("Bearer "))
    except InvalidToken:
        ...  # 401

The key set is fetched once and kept for ``cache_ttl`` seconds; a token naming a key id the
cache does not hold (a key rotated in since) triggers one refetch, at most every
``refetch_interval`` seconds, so a flood of forged key ids cannot turn into a flood of
requests to the auth server. Signatures and claims are checked by PyJWT (``exp``, ``nbf``,
``iss``, ``aud``, with ``leeway`` seconds of clock skew). Needs only this module, PyJWT and
``cryptography``, not an ``AuthKit`` instance.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

import jwt as pyjwt

from ...errors import AuthError

__all__ = ["InvalidToken", "JWKSVerifier"]

ALGORITHMS = ("EdDSA", "ES256", "ES512", "RS256", "PS256")


class InvalidToken(AuthError):
    """The token is malformed, signed by an unknown key, or its claims do not hold."""


def _fetch(url: str, timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


class JWKSVerifier:
    """Verifies JWTs against a JWKS URL, caching the keys (thread-safe)."""

    def __init__(self, jwks_url: str, *, issuer: str | None, audience: str | Sequence[str] | None,
                 algorithms: Sequence[str] = ALGORITHMS, cache_ttl: float = 300.0,
                 refetch_interval: float = 10.0, leeway: float = 0.0, timeout: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.algorithms = tuple(algorithms)
        self.cache_ttl = cache_ttl
        self.refetch_interval = refetch_interval
        self.leeway = leeway
        self.timeout = timeout
        self.fetches = 0  # how many times the key set was downloaded
        self._clock = clock
        self._keys: dict[str, pyjwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; raises ``InvalidToken`` when anything does not hold."""
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        kid, alg = header.get("kid"), header.get("alg")
        if not isinstance(kid, str) or alg not in self.algorithms:
            raise InvalidToken("the token names no key id or an algorithm not accepted")
        key = self._key(kid)
        if key is None:
            raise InvalidToken(f"no published key has the id {kid!r}")
        options: Any = {"require": ["exp", "iat", "sub"]}
        if self.audience is None:
            options["verify_aud"] = False
        try:
            claims: dict[str, Any] = pyjwt.decode(
                token, key.key, algorithms=[alg], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options=options)
        except pyjwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        return claims

    def _key(self, kid: str) -> pyjwt.PyJWK | None:
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self.cache_ttl
            unknown = kid not in self._keys and (
                self._fetched_at is None or now - self._fetched_at >= self.refetch_interval)
            if stale or unknown:
                self._refresh(now)
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        try:
            data = _fetch(self.jwks_url, self.timeout)
        except (OSError, ValueError) as exc:
            if self._fetched_at is None:
                raise InvalidToken(f"the key set could not be fetched: {exc}") from None
            return  # keep serving the keys we have while the auth server is unreachable
        keys: dict[str, pyjwt.PyJWK] = {}
        for jwk in data.get("keys", []) if isinstance(data, dict) else []:
            if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str):
                try:
                    keys[jwk["kid"]] = pyjwt.PyJWK(jwk)
                except pyjwt.PyJWTError:
                    continue  # an algorithm this service cannot use
        self._keys = keys
        self._fetched_at = now
        self.fetches += 1
