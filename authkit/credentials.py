"""Which credential a request to the app carries, for the middleware and the adapters.

A path accepts browser sessions (``"session"``: the cookie, or the bearer plugin's token) by
default; a middleware rule ``credentials={"/api/service/*": ("session", "api-key", "jwt")}``
lets it accept an API key (the api-key plugin's header, checked and counted by that plugin)
or a JWT signed by the jwt plugin (``Authorization: Bearer <JWT>``, verified against the
stored keys, its ``sub`` naming a user who still exists and is not banned). A credential a
path does not accept is ignored: an API key sent to a session-only page neither signs in nor
fails the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .http import Headers
from .models import Session, SessionWithUser

if TYPE_CHECKING:
    from .core import AuthKit

KINDS = ("session", "api-key", "jwt")
SESSION_ONLY: frozenset[str] = frozenset({"session"})


def kinds_of(value: Iterable[str] | str, where: str) -> frozenset[str]:
    """Validate a ``credentials`` value: a non-empty selection of ``KINDS``."""
    items = (value,) if isinstance(value, str) else tuple(value)
    unknown = [k for k in items if k not in KINDS]
    if unknown or not items:
        raise ConfigError(f"credentials[{where!r}] must list some of {', '.join(KINDS)}"
                          + (f", not {unknown}" if unknown else ""))
    return frozenset(items)


def _plugin(auth: AuthKit, plugin_id: str) -> Any:
    for plugin in auth.plugins:
        if plugin.id == plugin_id:
            return plugin
    return None


def api_key_headers(auth: AuthKit) -> tuple[str, ...]:
    """The header names the api-key plugin reads (none without the plugin)."""
    plugin = _plugin(auth, "api-key")
    return tuple(plugin.options.api_key_headers) if plugin is not None else ()


def without(headers: Headers, names: Iterable[str]) -> Headers:
    """``headers`` minus ``names``."""
    out = Headers(headers)
    for name in names:
        out.remove(name)
    return out


def bearer_jwt(headers: Headers) -> str | None:
    """The token of ``Authorization: Bearer <JWT>`` when it has a JWT's three parts."""
    value = headers.get("authorization") or ""
    if value[:7].lower() != "bearer ":
        return None
    token = value[7:].strip()
    return token if token.count(".") == 2 and len(token) <= 16384 else None


def jwt_session(auth: AuthKit, token: str, base_url: str) -> SessionWithUser | None:
    """A request-only session for a JWT the jwt plugin signed, or ``None``."""
    plugin = _plugin(auth, "jwt")
    if plugin is None:
        return None
    claims = plugin.claims(auth, token, base_url=base_url)
    if claims is None or not isinstance(claims.get("sub"), str):
        return None
    user = auth.db.get_user_by_id(claims["sub"])
    if user is None or _banned(auth, user.extra):
        return None
    issued = datetime.fromtimestamp(float(claims.get("iat") or 0), UTC)
    session = Session(id=str(claims.get("jti") or ""), token="", user_id=user.id,
                      expires_at=datetime.fromtimestamp(float(claims["exp"]), UTC),
                      created_at=issued, updated_at=issued, ip_address=None, user_agent=None)
    return JWTSession(session, user)


def _banned(auth: AuthKit, extra: dict[str, Any]) -> bool:
    if extra.get("banned") is not True:
        return False
    expires = extra.get("banExpires")
    return expires is None or expires > auth.now()


class JWTSession(SessionWithUser):
    """The session of a request authenticated by a bearer JWT (nothing is stored)."""

    credential = "jwt"


def credential_of(session: SessionWithUser | None) -> str | None:
    """``"session"``, ``"api-key"``, ``"jwt"``, or ``None`` when signed out."""
    if session is None:
        return None
    return str(getattr(session, "credential", "session"))
