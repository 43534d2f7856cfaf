"""ID-token verification against a provider's JSON Web Key Set.

The key set is cached (``ttl``, 5 minutes) and fetched again when a token names a ``kid``
the cache does not hold (a key rotation), at most once per ``cooldown`` (30 s) so a flood of
tokens with made-up ``kid`` values cannot turn into a flood of requests to the provider.

Only asymmetric algorithms the provider advertises are accepted: a token signed ``none`` or
with HMAC (keyed with the public key, the classic confusion attack) never verifies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import jwt

from ...errors import AuthError
from .http_client import OAuthHTTP, OAuthHTTPError

ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                   "ES512", "EdDSA")
LEEWAY = 30
MAX_TOKEN_LENGTH = 16_384


class IdTokenError(AuthError):
    """The token does not verify; the message says why (for logs, never for clients)."""


class JWKSCache:
    """One provider's key set, fetched lazily and refreshed on an unknown ``kid``."""

    def __init__(self, http: OAuthHTTP, url: str, *, ttl: float = 300, cooldown: float = 30,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._http = http
        self.url = url
        self._ttl = ttl
        self._cooldown = cooldown
        self._clock = clock
        self._keys: list[dict[str, Any]] = []
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _fetch(self) -> None:
        try:
            data = self._http.get_json(self.url, follow_redirects=False)
        except OAuthHTTPError as exc:
            raise IdTokenError(f"key set unavailable: {exc}") from None
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, list):
            raise IdTokenError("key set has no keys")
        self._keys = [k for k in keys if isinstance(k, dict)]
        self._fetched_at = self._clock()

    def keys(self, kid: str | None) -> list[dict[str, Any]]:
        """The candidate keys for ``kid`` (every key when the token names none)."""
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at > self._ttl:
                self._fetch()
            found = self._matching(kid)
            if not found and kid is not None and self._fetched_at is not None \
                    and now - self._fetched_at >= self._cooldown:
                self._fetch()
                found = self._matching(kid)
            return found

    def _matching(self, kid: str | None) -> list[dict[str, Any]]:
        if kid is None:
            return list(self._keys)
        return [k for k in self._keys if k.get("kid") == kid]


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT without checking anything (a token received over TLS from the
    provider's own token endpoint); ``None`` when it is not a JWT."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def verify_id_token(token: str, *, jwks: JWKSCache, issuers: Sequence[str],
                    audience: str | Sequence[str], algorithms: Sequence[str] = ("RS256",),
                    nonce: str | None = None, max_age: int | None = None,
                    now: float | None = None) -> dict[str, Any]:
    """Verify signature, ``iss``, ``aud``, ``exp``/``nbf``/``iat`` (30 s leeway), ``nonce``
    (exact, when given) and, with ``max_age``, that ``iat`` is at most that old."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise IdTokenError("not a token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise IdTokenError(f"malformed: {exc}") from None
    alg = header.get("alg")
    allowed = [a for a in algorithms if a in ASYMMETRIC_ALGS]
    if alg not in allowed:
        raise IdTokenError(f"algorithm {alg!r} not accepted")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise IdTokenError("bad kid")
    candidates = jwks.keys(kid)
    if not candidates:
        raise IdTokenError("no key for kid")
    last: Exception | None = None
    for jwk in candidates:
        try:
            key = jwt.PyJWK.from_json(json.dumps(jwk), algorithm=alg)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[alg], audience=audience, issuer=list(issuers),
                leeway=LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]})
        except jwt.InvalidSignatureError as exc:
            last = exc
            continue
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise IdTokenError(str(exc)) from None
        break
    else:
        raise IdTokenError(f"signature: {last}")
    if nonce is not None and claims.get("nonce") != nonce:
        raise IdTokenError("nonce mismatch")
    if max_age is not None:
        iat = claims.get("iat")
        current = time.time() if now is None else now
        if not isinstance(iat, (int, float)) or current - iat > max_age + LEEWAY:
            raise IdTokenError("token too old")
    return claims
