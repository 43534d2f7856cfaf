"""``x-api-key``: a request carrying a key is served as a session of the key's owner.

The before-hook checks the key and counts its use, then hands the endpoint a session made for
this request only (``ctx.verified_session``): every session read of the request returns it,
none is stored, and ``GET /get-session`` is answered by the hook itself. Where authkit is
stricter than Better Auth 1.7.25 (see docs/api-keys.md):

* a banned user's keys stop working (401 ``USER_BANNED``) until the ban ends;
* without a key expiry the session's ``expiresAt`` is ``session.expires_in`` *seconds* ahead
  (Better Auth passes seconds to a millisecond helper: about ten minutes);
* no session cookie is ever set on such a request (``SessionService.set_cookies`` skips a
  verified session): Better Auth's update-user re-issues one whose value is the API key
  itself, signed, which would turn the key into a browser cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ...models import Session, SessionWithUser
from . import usage
from .errors import key_error

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import ApiKeyPlugin


class KeySession(SessionWithUser):
    """The session of a key-authenticated request; on the wire ``user`` comes first, as Better
    Auth's hook answers get-session."""

    credential = "api-key"

    def to_json(self) -> dict[str, Any]:
        # Better Auth's hook builds this session object by hand, in this key order.
        stored = self.session.to_json()
        order = ("id", "token", "userId", "userAgent", "ipAddress", "createdAt", "updatedAt",
                 "expiresAt")
        return {"user": self.user.to_json(), "session": {k: stored[k] for k in order}}


def presented_key(plugin: ApiKeyPlugin, ctx: Context) -> str | None:
    """The first non-empty configured header."""
    for name in plugin.options.api_key_headers:
        value = ctx.headers.get(name)
        if value:
            return value
    return None


def matches(plugin: ApiKeyPlugin, ctx: Context) -> bool:
    return plugin.options.enable_session_for_api_keys and presented_key(plugin, ctx) is not None


def is_banned(auth: Any, user: Any) -> bool:
    """The admin plugin's ban: ``banned`` and a ``banExpires`` not yet passed (or none)."""
    if user.extra.get("banned") is not True:
        return False
    expires = user.extra.get("banExpires")
    return expires is None or expires > auth.now()


def authenticate(plugin: ApiKeyPlugin, ctx: Context) -> Any:
    """The before-hook: check and count the key, then make the request's session."""
    key = presented_key(plugin, ctx)
    assert key is not None
    if len(key) < plugin.options.default_key_length:
        raise key_error(403, "INVALID_API_KEY")
    auth = ctx.auth
    row = usage.check(plugin, auth, usage.find(plugin, auth, key))
    user = auth.db.get_user_by_id(row["referenceId"])
    if user is None:
        raise key_error(401, "INVALID_REFERENCE_ID_FROM_API_KEY")
    if is_banned(auth, user):
        raise key_error(401, "USER_BANNED")
    row = usage.claim(plugin, auth, row)
    plugin.sweep_expired(auth)
    now = auth.now()
    ip = ctx.client_ip
    session = Session(
        id=row["id"], token=key, user_id=user.id,
        expires_at=row.get("expiresAt") or now + timedelta(
            seconds=auth.options.session.expires_in),
        created_at=now, updated_at=now,
        ip_address=str(ip) if ip is not None else None,
        user_agent=ctx.headers.get("user-agent"))
    found = KeySession(session, user)
    ctx.session = ctx.verified_session = found
    if ctx.endpoint.name == "get_session":
        return found  # answered here: no refresh, no cache headers, no set-auth-jwt
    return None
