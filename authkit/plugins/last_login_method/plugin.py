"""The last-login-method plugin: the method resolver, the cookie and the user column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...cookies import CookieSpec
from ...errors import ConfigError
from ...hooks import HookMatcher
from ...storage.fields import FieldSpec
from ..base import Plugin

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...models import Session

DEFAULT_COOKIE = "better-auth.last_used_login_method"
DEFAULT_MAX_AGE = 30 * 24 * 3600
Resolver = Callable[["Context"], "str | None"]


def default_resolve_method(ctx: Context) -> str | None:
    """Better Auth's defaultResolveMethod: the sign-in method a route stands for, if any."""
    path = ctx.path
    if path in ("/sign-in/email", "/sign-up/email"):
        return "email"
    if path in ("/callback/:id", "/oauth2/callback/:providerId"):
        return ctx.params.get("id") or ctx.params.get("providerId")
    if path == "/one-tap/callback":
        return "google"
    if "siwe" in path:
        return "siwe"
    if "/passkey/verify-authentication" in path:
        return "passkey"
    if path.startswith("/magic-link/verify"):
        return "magic-link"
    if path == "/sign-in/email-otp":
        return "email-otp"
    return None


class LastLoginMethodPlugin(Plugin):
    """See ``last_login_method()``."""

    id = "last-login-method"

    def __init__(self, *, cookie_name: str, max_age: int, store_in_database: bool,
                 resolve: Resolver | None,
                 before_store_cookie: Callable[[Context, str], bool] | None) -> None:
        self.cookie_name = cookie_name
        self.max_age = max_age
        self.store_in_database = store_in_database
        self._custom = resolve
        self._veto = before_store_cookie
        self._auth: AuthKit | None = None
        self.after = (HookMatcher(lambda ctx: True, self._after),)
        if store_in_database:
            # input=False: clients may not claim a method (update-user answers 400).
            self.user_fields = (FieldSpec("lastLoginMethod", "string", input=False),)
            self.database_hooks = {"user": {"create": {"before": self._on_user_create}},
                                   "session": {"create": {"after": self._on_session}}}

    def init(self, auth: AuthKit) -> None:
        self._auth = auth

    def method(self, ctx: Context | None) -> str | None:
        """The method of this call: the custom resolver's answer first, then the default."""
        if ctx is None:
            return None
        if self._custom is not None:
            found = self._custom(ctx)
            if found:
                return found
        return default_resolve_method(ctx)

    def _cookie(self, ctx: Context) -> CookieSpec:
        session_cookie = ctx.auth.cookies.session_token
        # The session cookie's attributes (Secure, Domain follow it), readable by scripts,
        # under a fixed name without the __Secure- prefix, as Better Auth sets it.
        return replace(session_cookie, name=self.cookie_name,
                       attrs={**session_cookie.attrs, "http_only": False})

    def _after(self, ctx: Context, result: Any) -> None:
        method = self.method(ctx)
        if method is None:
            return
        prefix = ctx.auth.cookies.session_token.name + "="
        started = any(name.lower() == "set-cookie" and value.startswith(prefix)
                      and "Max-Age=0" not in value
                      for name, value in [*ctx.response_headers,
                                          *getattr(result, "headers", ())])
        if not started:
            return
        if self._veto is not None:
            try:
                if not self._veto(ctx, method):
                    return
            except Exception:  # noqa: BLE001 - Better Auth: a throwing veto means no cookie
                return
        ctx.set_cookie(self._cookie(ctx), method, max_age=self.max_age)

    def _on_user_create(self, data: dict[str, Any], ctx: Context | None) -> Any:
        method = self.method(ctx)
        return {"data": {"lastLoginMethod": method}} if method else None

    def _on_session(self, session: Session, ctx: Context | None) -> None:
        method = self.method(ctx)
        if method is None or ctx is None:
            return
        auth = ctx.auth
        auth.db.update_user(ctx, session.user_id, {"lastLoginMethod": method,
                                                   "updatedAt": auth.now()})


def last_login_method(
    *,
    cookie_name: str = DEFAULT_COOKIE,
    max_age: int = DEFAULT_MAX_AGE,
    store_in_database: bool = False,
    custom_resolve_method: Resolver | None = None,
    before_store_cookie: Callable[[Context, str], bool] | None = None,
) -> LastLoginMethodPlugin:
    """The plugin. ``max_age`` is in seconds; ``custom_resolve_method(ctx)`` returns a method
    name or ``None`` (then the default resolver decides); ``before_store_cookie(ctx, method)``
    returning ``False`` keeps the cookie from being set."""
    if not cookie_name or any(c in cookie_name for c in ";,= \t"):
        raise ConfigError(f"last_login_method(cookie_name={cookie_name!r}) is not a cookie name")
    if isinstance(max_age, bool) or max_age <= 0:
        raise ConfigError("last_login_method(max_age=...) is a positive number of seconds")
    return LastLoginMethodPlugin(cookie_name=cookie_name, max_age=max_age,
                                 store_in_database=store_in_database,
                                 resolve=custom_resolve_method,
                                 before_store_cookie=before_store_cookie)
