"""``jwt()``: JWTs for other services, their keys at a JWKS endpoint (Better Auth's jwt plugin).

::

    from authkit.plugins.jwt import jwt

    auth = AuthKit(..., plugins=[jwt(issuer="https://auth.example.com", expiration_time="1h")])

``GET /token`` answers ``{"token": <JWT>}`` for the caller's session, ``GET /get-session`` adds a
``set-auth-jwt`` header, and ``GET /jwks`` publishes the public keys (Ed25519 by default; also
``ES256``, ``ES512``, ``RS256``, ``PS256``). Keys live in the ``jwks`` table, the private half
encrypted with the auth secret, and are made on first use. With ``rotation_interval`` a key
expires and the next signing makes a new one; the old key stays published for
``grace_period`` seconds so tokens it signed still verify. ``auth.api.sign_jwt`` and
``auth.api.verify_jwt`` are server-only. Other services verify tokens with
``authkit.plugins.jwt.verifier.JWKSVerifier`` (or any JOSE library) against ``/jwks``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...errors import ConfigError
from ...hooks import HookMatcher
from ...models import SessionWithUser
from ..base import Plugin
from . import claims, jws, routes
from .keys import ALGORITHMS, KeyPairConfig
from .store import JWKS_TABLE, KeyStore, PrivateKeyError

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

__all__ = ["ALGORITHMS", "JWTOptions", "JWTPlugin", "PrivateKeyError", "jwt"]


@dataclass(frozen=True, kw_only=True)
class JWTOptions:
    """The options of ``jwt()`` (Better Auth's ``jwks.*`` and ``jwt.*``, in snake_case)."""

    alg: str = "EdDSA"
    modulus_length: int = 2048
    rotation_interval: int | None = None
    grace_period: int = 2_592_000
    disable_private_key_encryption: bool = False
    jwks_path: str = "/jwks"
    issuer: str | None = None
    audience: str | Sequence[str] | None = None
    expiration_time: claims.Expiration = "15m"
    define_payload: Callable[[SessionWithUser], Mapping[str, Any]] | None = None
    get_subject: Callable[[SessionWithUser], str] | None = None
    disable_setting_jwt_header: bool = False


class JWTPlugin(Plugin):
    """See ``jwt()``."""

    id = "jwt"
    tables = JWKS_TABLE

    def __init__(self, options: JWTOptions) -> None:
        self.options = options
        self.keys = KeyStore(KeyPairConfig(options.alg, options.modulus_length),
                             rotation_interval=options.rotation_interval,
                             grace_period=options.grace_period,
                             encrypt=not options.disable_private_key_encryption)
        self.after = () if options.disable_setting_jwt_header else (
            HookMatcher(routes.is_get_session, self._set_header),)
        self._endpoints = routes.build(self)

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    # -- signing -------------------------------------------------------------------------
    def issuer(self, ctx: Context) -> str:
        """``issuer``, else the origin of the base URL."""
        return self.options.issuer or _origin(ctx.base_url)

    def audience(self, ctx: Context) -> str | Sequence[str]:
        """``audience``, else the origin of the base URL."""
        return self.options.audience or _origin(ctx.base_url)

    def token_for(self, ctx: Context, found: SessionWithUser) -> str:
        """A fresh JWT for a session: the user object (or ``define_payload``) plus the claims."""
        opts = self.options
        body = (dict(opts.define_payload(found)) if opts.define_payload is not None
                else found.user.to_json())
        sub = opts.get_subject(found) if opts.get_subject is not None else found.user.id
        return self.sign(ctx, body, sub=sub)

    def sign(self, ctx: Context, body: Mapping[str, Any], *, sub: str | None = None,
             expiration_time: claims.Expiration | None = None) -> str:
        """Sign ``body`` with the current key (made first when there is none)."""
        iat = int(ctx.auth.now().timestamp())
        payload = claims.build(
            body, iat=iat, sub=sub if sub is not None else str(body.get("sub", "")),
            exp=claims.expiry(expiration_time or self.options.expiration_time, iat),
            iss=str(body.get("iss") or self.issuer(ctx)),
            aud=body.get("aud") or self.audience(ctx))
        key = self.keys.signing_key(ctx.auth)
        return jws.encode(payload, alg=key.alg, kid=key.kid, key=key.key)

    def verify(self, auth: AuthKit, ctx: Context, token: str,
               issuer: str | None = None) -> dict[str, Any] | None:
        """The claims of a token signed by one of the stored keys (expired keys included),
        with a matching issuer and audience and not expired; ``None`` otherwise."""
        return self.claims(auth, token, base_url=ctx.base_url, issuer=issuer)

    def claims(self, auth: AuthKit, token: str, *, base_url: str,
               issuer: str | None = None) -> dict[str, Any] | None:
        """``verify`` without a request context: issuer and audience default to the origin
        of ``base_url`` (what the middleware uses for bearer JWTs)."""
        rows = {r.id: r for r in self.keys.rows(auth)}

        def lookup(kid: str) -> tuple[str, Any] | None:
            row = rows.get(kid)
            return None if row is None else (self.keys.alg_of(row), self.keys.public_key(row))

        try:
            _, payload = jws.decode(token, lookup)
        except (jws.InvalidToken, ValueError):
            return None
        expected_aud = self.options.audience or _origin(base_url)
        auds = [expected_aud] if isinstance(expected_aud, str) else list(expected_aud)
        got_aud = payload.get("aud")
        got = [got_aud] if isinstance(got_aud, str) else got_aud if isinstance(got_aud, list) \
            else []
        exp = payload.get("exp")
        if (payload.get("iss") != (issuer or self.options.issuer or _origin(base_url))
                or not any(a in auds for a in got)
                or not isinstance(exp, (int, float)) or exp <= auth.now().timestamp()
                or not payload.get("sub")):
            return None
        return payload

    def _set_header(self, ctx: Context, result: Any) -> None:
        if isinstance(result, SessionWithUser):
            ctx.set_header("set-auth-jwt", self.token_for(ctx, result))

    def on_response_headers(self, ctx: Context, headers: list[tuple[str, str]]) -> None:
        # One Access-Control-Expose-Headers naming set-auth-jwt next to what others expose.
        if not any(name.lower() == "set-auth-jwt" for name, _ in headers):
            return
        exposed: list[str] = []
        for name, value in headers:
            if name.lower() == "access-control-expose-headers":
                exposed.extend(v.strip() for v in value.split(",") if v.strip())
        if "set-auth-jwt" not in exposed:
            exposed.append("set-auth-jwt")
        headers[:] = [(n, v) for n, v in headers if n.lower() != "access-control-expose-headers"]
        headers.append(("Access-Control-Expose-Headers", ", ".join(exposed)))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def jwt(
    *,
    alg: str = "EdDSA",
    modulus_length: int = 2048,
    rotation_interval: int | None = None,
    grace_period: int = 2_592_000,
    disable_private_key_encryption: bool = False,
    jwks_path: str = "/jwks",
    issuer: str | None = None,
    audience: str | Sequence[str] | None = None,
    expiration_time: claims.Expiration = "15m",
    define_payload: Callable[[SessionWithUser], Mapping[str, Any]] | None = None,
    get_subject: Callable[[SessionWithUser], str] | None = None,
    disable_setting_jwt_header: bool = False,
) -> JWTPlugin:
    """The jwt plugin.

    ``alg`` is the algorithm of new keys; ``rotation_interval`` and ``grace_period`` are in
    seconds; ``expiration_time`` is a jose time span (``"15m"``, ``"1h"``, ``"2 days"``), an
    absolute epoch second or a ``datetime``; ``define_payload(session)`` replaces the user
    object as the token body; ``audience`` may be a list.
    """
    if not jwks_path.startswith("/") or ".." in jwks_path:
        raise ConfigError("jwt(jwks_path=...) must start with '/' and contain no '..'")
    for name, seconds in (("rotation_interval", rotation_interval),
                          ("grace_period", grace_period)):
        if seconds is not None and (isinstance(seconds, bool) or seconds < 0):
            raise ConfigError(f"jwt({name}=...) must be a number of seconds >= 0")
    if isinstance(expiration_time, str):
        try:
            claims.time_span(expiration_time)
        except ValueError as exc:
            raise ConfigError(f"jwt(expiration_time=...): {exc}") from None
    if isinstance(audience, str) is False and audience is not None:
        audience = tuple(audience)
    return JWTPlugin(JWTOptions(
        alg=alg, modulus_length=modulus_length, rotation_interval=rotation_interval or None,
        grace_period=grace_period,
        disable_private_key_encryption=disable_private_key_encryption, jwks_path=jwks_path,
        issuer=issuer, audience=audience, expiration_time=expiration_time,
        define_payload=define_payload, get_subject=get_subject,
        disable_setting_jwt_header=disable_setting_jwt_header))
