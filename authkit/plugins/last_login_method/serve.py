"""``AUTHKIT_PLUGINS=last-login-method``: as Better Auth's test deployment (column on)."""

from __future__ import annotations

from ..serve_registry import ServeContext, ServeResult
from .plugin import DEFAULT_COOKIE, DEFAULT_MAX_AGE, last_login_method

KNOBS = {
    "AUTHKIT_LAST_LOGIN_METHOD_DB": "on (default) or off: keep user.lastLoginMethod",
    "AUTHKIT_LAST_LOGIN_METHOD_MAX_AGE": "cookie lifetime in seconds (default 30 days)",
    "AUTHKIT_LAST_LOGIN_METHOD_COOKIE": f"cookie name (default {DEFAULT_COOKIE})",
}


def configure(ctx: ServeContext) -> ServeResult:
    return ServeResult(plugins=[last_login_method(
        store_in_database=ctx.flag("LAST_LOGIN_METHOD_DB", True),
        max_age=ctx.num("LAST_LOGIN_METHOD_MAX_AGE", DEFAULT_MAX_AGE),
        cookie_name=ctx.text("LAST_LOGIN_METHOD_COOKIE", DEFAULT_COOKIE) or DEFAULT_COOKIE)])
