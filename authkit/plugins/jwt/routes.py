"""``GET /token``, ``GET /jwks`` and the server-only ``sign_jwt`` / ``verify_jwt``."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ...endpoints.registry import Endpoint, endpoint
from ...validation import Body

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import JWTPlugin


class SignJWTBody(Body):
    """``{payload, overrideOptions?}``; ``overrideOptions.jwt.expirationTime`` is honoured."""

    payload: dict[str, Any]
    overrideOptions: dict[str, Any] | None = None


class VerifyJWTBody(Body):
    """``{token, issuer?}``."""

    token: str
    issuer: str | None = None


def is_get_session(ctx: Context) -> bool:
    return ctx.endpoint.name == "get_session"


def token(plugin: JWTPlugin, ctx: Context) -> dict[str, str]:
    """GET /token → ``{"token": <JWT>}`` for the caller's session (401 without one)."""
    # A token is a credential: read the session from the store, not the cookie cache.
    found = ctx.require_session(sensitive=True)
    return {"token": plugin.token_for(ctx, found)}


def jwks(plugin: JWTPlugin, ctx: Context) -> dict[str, Any]:
    """GET /jwks → ``{"keys": [...]}``, public parts only."""
    return {"keys": plugin.keys.published(ctx.auth)}


def sign_jwt(plugin: JWTPlugin, ctx: Context) -> dict[str, str]:
    """Server-only: sign an arbitrary payload with the current key."""
    body: SignJWTBody = ctx.body
    override = (body.overrideOptions or {}).get("jwt") or {}
    expiration = override.get("expirationTime") if isinstance(override, dict) else None
    payload = dict(body.payload)
    return {"token": plugin.sign(ctx, payload, sub=payload.get("sub"),
                                 expiration_time=expiration)}


def verify_jwt(plugin: JWTPlugin, ctx: Context) -> dict[str, Any]:
    """Server-only: ``{"payload": claims}`` for a valid token, ``{"payload": None}`` otherwise."""
    body: VerifyJWTBody = ctx.body
    return {"payload": plugin.verify(ctx.auth, ctx, body.token, body.issuer)}


def build(plugin: JWTPlugin) -> list[Endpoint]:
    return [
        endpoint("get_token", "/token", "GET", partial(token, plugin), plugin="jwt",
                 summary="A JWT for the current session", error_codes=("UNAUTHORIZED",)),
        endpoint("get_jwks", plugin.options.jwks_path, "GET", partial(jwks, plugin),
                 plugin="jwt", summary="The public keys that verify authkit's JWTs"),
        endpoint("sign_jwt", None, "POST", partial(sign_jwt, plugin), body=SignJWTBody,
                 plugin="jwt", summary="Sign a payload (server only)"),
        endpoint("verify_jwt", None, "POST", partial(verify_jwt, plugin), body=VerifyJWTBody,
                 plugin="jwt", summary="Verify a JWT (server only)"),
    ]
