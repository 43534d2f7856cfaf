"""``AUTHKIT_PLUGINS=one-time-token``: configured as Better Auth's test deployment does."""

from __future__ import annotations

from typing import Any

from ...errors import ConfigError
from ..serve_registry import ServeContext, ServeResult
from .plugin import one_time_token

KNOBS = {
    "AUTHKIT_OTT_EXPIRES_IN": "one-time token lifetime in minutes (default 3)",
    "AUTHKIT_OTT_STORE": "plain (default) or hashed: how tokens are kept",
    "AUTHKIT_OTT_DISABLE_SET_COOKIE": "on: verify answers the session but sets no cookie",
    "AUTHKIT_OTT_SET_HEADER": "on: every new session gets a set-ott header",
    "AUTHKIT_OTT_DISABLE_CLIENT": "on: /one-time-token/generate refuses HTTP requests",
}


def configure(ctx: ServeContext) -> ServeResult:
    store = ctx.text("OTT_STORE", "plain")
    if store not in ("plain", "hashed"):
        raise ConfigError(f"AUTHKIT_OTT_STORE={store!r}: use plain or hashed")
    options: dict[str, Any] = {
        "expires_in": ctx.num("OTT_EXPIRES_IN", 3),
        "store_token": store,
        "disable_set_session_cookie": ctx.flag("OTT_DISABLE_SET_COOKIE", False),
        "set_ott_header_on_new_session": ctx.flag("OTT_SET_HEADER", False),
        "disable_client_request": ctx.flag("OTT_DISABLE_CLIENT", False),
    }
    return ServeResult(plugins=[one_time_token(**options)])
