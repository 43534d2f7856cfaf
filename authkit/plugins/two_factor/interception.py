"""The sign-in interception: a password sign-in of a user with 2FA on becomes a challenge.

An after-hook on ``/sign-in/email`` (and the username and phone-number sign-ins when those
plugins are installed). The sign-in has already passed every rule (password, ban, email
verification) and created a session; for a user with ``twoFactorEnabled`` that session is
deleted again, its cookies (and any cookie-cache copy) are expired, and the answer becomes
``{"twoFactorRedirect": true, "twoFactorMethods": [...]}`` with a signed ``two_factor``
cookie naming a ten-minute challenge. A valid ``trust_device`` cookie for that same user lets
the sign-in stand instead (and is rotated). Passwordless sign-ins (magic link, email code,
passkey, social) are not intercepted, as in Better Auth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import single_use_tokens
from ...errors import APIError
from ...second_factor import mark
from ...tokens import random_string, sign
from .schema import TABLE
from .trust import TRUST_ALPHABET

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import TwoFactorPlugin

SIGN_IN_PATHS = frozenset({"/sign-in/email", "/sign-in/username", "/sign-in/phone-number"})


def is_sign_in(ctx: Context) -> bool:
    """The hook's matcher."""
    return ctx.endpoint.path in SIGN_IN_PATHS


def intercept(plugin: TwoFactorPlugin, ctx: Context, result: Any) -> Any:
    """Turn a finished sign-in into a 2FA challenge when the user needs one."""
    if isinstance(result, APIError) or ctx.new_session is None:
        return None
    user, session = ctx.new_session.user, ctx.new_session.session
    if not user.extra.get("twoFactorEnabled"):
        return None
    auth = ctx.auth
    trust_value = plugin.trust.read(ctx)
    if trust_value is not None:
        if plugin.trust.is_trusted(ctx, trust_value, user.id):
            plugin.trust.rotate(ctx, trust_value, user.id)
            _drop_cache_cookies(ctx)
            ctx.new_session.session = mark(ctx, session, user, "trusted-device")
            return None
        ctx.expire_cookie(plugin.trust.spec(ctx))
    _drop_session_cookies(ctx)
    auth.db.delete_session(ctx, session.token)
    ctx.new_session = None
    options = plugin.options
    max_age = options.two_factor_cookie_max_age
    challenge_id = f"2fa-{random_string(20, TRUST_ALPHABET)}"
    single_use_tokens.create(ctx, challenge_id, user.id, max_age)
    row = single_use_tokens.find(auth, challenge_id)
    single_use_tokens.create(ctx, f"2fa-attempts-{challenge_id}", "0", max_age,
                         expires_at=row.expires_at if row is not None else None)
    ctx.set_cookie(plugin.cookie(ctx, "two_factor"), sign(challenge_id, auth.secrets),
                   max_age=max_age)
    methods: list[str] = []
    if not options.totp_options.disable:
        found = auth.storage.find_row(TABLE, {"userId": user.id})
        if found is not None and found.get("verified") is not False:
            methods.append("totp")
    if options.otp_enabled:
        methods.append("otp")
    return {"twoFactorRedirect": True, "twoFactorMethods": methods}


def _drop_cache_cookies(ctx: Context) -> None:
    """Withdraw the cookie-cache copy the sign-in queued (``mark`` writes a new one)."""
    name = ctx.auth.cookies.session_data.name
    ctx.response_headers = [(k, v) for k, v in ctx.response_headers
                            if not (k.lower() == "set-cookie" and v.startswith(name))]


def _drop_session_cookies(ctx: Context) -> None:
    """Withdraw the session cookies the sign-in queued and expire them instead.

    ``dont_remember`` stays: the session created after the second factor honours it.
    """
    cookies = ctx.auth.cookies
    names = (cookies.session_token.name + "=", cookies.session_data.name)
    ctx.response_headers = [
        (k, v) for k, v in ctx.response_headers
        if not (k.lower() == "set-cookie" and v.startswith(names))]
    ctx.expire_cookie(cookies.session_token)
    ctx.expire_cookie(cookies.session_data)
