"""``AUTHKIT_PLUGINS=jwt``: the jwt plugin configured from the environment."""

from __future__ import annotations

from typing import Any

from ...models import SessionWithUser
from ..serve_registry import ServeContext, ServeResult
from . import jwt

KNOBS: dict[str, str] = {
    "AUTHKIT_JWT_ALG": "algorithm of new keys: EdDSA (default), ES256, ES512, RS256, PS256",
    "AUTHKIT_JWT_ISSUER": "the iss claim (default: the base URL's origin)",
    "AUTHKIT_JWT_AUDIENCE": "the aud claim; a comma list becomes an array (default: the origin)",
    "AUTHKIT_JWT_EXPIRATION": "token lifetime as a time span (default 15m; 30s, 1h, 2 days)",
    "AUTHKIT_JWT_PAYLOAD": "user (default: the whole user object) or minimal (id, email, role)",
    "AUTHKIT_JWT_ROTATION_INTERVAL": "seconds a key signs before a new one is made (default: never)",
    "AUTHKIT_JWT_GRACE_PERIOD": "seconds an expired key stays published (default 2592000)",
    "AUTHKIT_JWT_DISABLE_KEY_ENCRYPTION": "on: store private keys unencrypted (default off)",
    "AUTHKIT_JWT_JWKS_PATH": "path of the JWKS endpoint (default /jwks)",
    "AUTHKIT_JWT_DISABLE_HEADER": "on: no set-auth-jwt header on get-session (default off)",
}


def _minimal(found: SessionWithUser) -> dict[str, Any]:
    return {"id": found.user.id, "email": found.user.email,
            "role": found.user.extra.get("role")}


def configure(ctx: ServeContext) -> ServeResult:
    """Build ``jwt()`` from the ``AUTHKIT_JWT_*`` knobs."""
    audience = ctx.csv("JWT_AUDIENCE")
    rotation = ctx.num("JWT_ROTATION_INTERVAL", 0)
    plugin = jwt(
        alg=ctx.text("JWT_ALG", "EdDSA") or "EdDSA",
        issuer=ctx.text("JWT_ISSUER"),
        audience=(audience[0] if len(audience) == 1 else audience) or None,
        expiration_time=ctx.text("JWT_EXPIRATION", "15m") or "15m",
        define_payload=_minimal if ctx.text("JWT_PAYLOAD", "user") == "minimal" else None,
        rotation_interval=rotation or None,
        grace_period=ctx.num("JWT_GRACE_PERIOD", 2_592_000),
        disable_private_key_encryption=ctx.flag("JWT_DISABLE_KEY_ENCRYPTION", False),
        jwks_path=ctx.text("JWT_JWKS_PATH", "/jwks") or "/jwks",
        disable_setting_jwt_header=ctx.flag("JWT_DISABLE_HEADER", False),
    )
    return ServeResult(plugins=[plugin])
