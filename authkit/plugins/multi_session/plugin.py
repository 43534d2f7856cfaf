"""The multi-session plugin: the per-account cookies, the three routes and sign-out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...cookies import CookieSpec, decode_value
from ...errors import APIError, ConfigError
from ...hooks import HookMatcher
from ...models import SessionWithUser
from ...tokens import unsign
from ...validation import Body
from ..base import Plugin

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

MULTI_SESSION_ERROR_CODES = {"INVALID_SESSION_TOKEN": "Invalid session token"}
MARKER = "_multi-"


class TokenBody(Body):
    """Body of set-active and revoke."""

    sessionToken: str


def _invalid() -> APIError:
    return APIError(401, "INVALID_SESSION_TOKEN", MULTI_SESSION_ERROR_CODES["INVALID_SESSION_TOKEN"])


class MultiSessionPlugin(Plugin):
    """See ``multi_session()``."""

    id = "multi-session"
    error_codes = MULTI_SESSION_ERROR_CODES

    def __init__(self, maximum_sessions: int) -> None:
        self.maximum_sessions = maximum_sessions
        self.after = (
            HookMatcher(lambda ctx: ctx.path == "/sign-out", self._sign_out),
            HookMatcher(lambda ctx: ctx.new_session is not None, self._add_cookie),
        )

    # -- cookies -----------------------------------------------------------------------
    def spec(self, ctx: Context, token: str) -> CookieSpec:
        """The multi cookie of a session token (its name holds the token lower-cased)."""
        base = ctx.auth.cookies.session_token
        return replace(base, name=f"{base.name}{MARKER}{token.lower()}")

    def held(self, ctx: Context) -> list[tuple[str, str]]:
        """``(cookie name, verified token)`` of every multi cookie the request carries, in
        request order; a cookie whose signature fails is ignored."""
        out: list[tuple[str, str]] = []
        for name, raw in ctx.cookies.items():
            if MARKER not in name:
                continue
            token = unsign(decode_value(raw), ctx.auth.secrets)
            if token is not None:
                out.append((name, token))
        return out

    def _expire(self, ctx: Context, name: str) -> None:
        base = ctx.auth.cookies.session_token
        ctx.expire_cookie(replace(base, name=name))

    def _live(self, ctx: Context, token: str) -> SessionWithUser | None:
        auth = ctx.auth
        found = auth.db.get_session_with_user(token)
        if found is None or found[0].expires_at <= auth.now():
            return None
        return SessionWithUser(*found)

    # -- hooks -------------------------------------------------------------------------
    def _add_cookie(self, ctx: Context, result: Any) -> None:
        new = ctx.new_session
        if new is None or isinstance(result, APIError):
            return
        auth = ctx.auth
        spec = self.spec(ctx, new.session.token)
        if spec.name in ctx.cookies or any(
                v.startswith(spec.name + "=") for _, v in ctx.response_headers):
            return
        held = self.held(ctx)
        replaced = 0
        for name, token in held:
            if token == new.session.token:
                continue
            found = auth.db.get_session_with_user(token)
            if found is not None and found[1].id == new.user.id:
                # Signing in again as the same account replaces its previous session.
                self._expire(ctx, name)
                auth.db.delete_session(ctx, token)
                replaced += 1
        if len(held) - replaced + 1 > self.maximum_sessions:
            return  # still the active session, just not listed
        signed = ctx.auth.sessions.signed_token(new.session.token)
        ctx.set_cookie(spec, signed, max_age=auth.options.session.expires_in)

    def _sign_out(self, ctx: Context, result: Any) -> None:
        for name, token in self.held(ctx):
            self._expire(ctx, name)
            ctx.auth.db.delete_session(ctx, token)

    # -- routes ------------------------------------------------------------------------
    def list_device_sessions(self, ctx: Context) -> list[SessionWithUser]:
        """Every live session of the browser's multi cookies, one per user."""
        seen: set[str] = set()
        out: list[SessionWithUser] = []
        for _, token in self.held(ctx):
            found = self._live(ctx, token)
            if found is not None and found.user.id not in seen:
                seen.add(found.user.id)
                out.append(found)
        return out

    def _token_of(self, ctx: Context, requested: str) -> tuple[CookieSpec, str]:
        spec = self.spec(ctx, requested)
        raw = ctx.cookies.get(spec.name)
        token = unsign(decode_value(raw), ctx.auth.secrets) if raw is not None else None
        if token is None:
            raise _invalid()
        return spec, token

    def set_active(self, ctx: Context) -> SessionWithUser:
        """Make one of the browser's sessions the active one."""
        body: TokenBody = ctx.body
        spec, token = self._token_of(ctx, body.sessionToken)
        found = self._live(ctx, token)
        if found is None:
            ctx.expire_cookie(spec)
            raise _invalid()
        ctx.auth.sessions.set_cookies(ctx, found.session, found.user)
        return found

    def revoke(self, ctx: Context) -> dict[str, bool]:
        """End one of the browser's sessions; if it was active, switch to another."""
        auth = ctx.auth
        current = ctx.require_session()
        body: TokenBody = ctx.body
        spec, token = self._token_of(ctx, body.sessionToken)
        auth.db.delete_session(ctx, token)
        ctx.expire_cookie(spec)
        if token == current.session.token:
            for name, other in self.held(ctx):
                if name == spec.name:
                    continue
                found = self._live(ctx, other)
                if found is not None:
                    auth.sessions.set_cookies(ctx, found.session, found.user)
                    break
            else:
                auth.sessions.clear_cookies(ctx)
        return {"status": True}

    def endpoints(self) -> Sequence[Endpoint]:
        from ...endpoints.registry import endpoint

        return (
            endpoint("list_device_sessions", "/multi-session/list-device-sessions", "GET",
                     self.list_device_sessions, require_headers=True, plugin=self.id,
                     summary="The sessions of every account signed in in this browser"),
            endpoint("set_active_session", "/multi-session/set-active", "POST", self.set_active,
                     body=TokenBody, require_headers=True, plugin=self.id,
                     summary="Switch the active account", error_codes=("INVALID_SESSION_TOKEN",)),
            endpoint("revoke_device_session", "/multi-session/revoke", "POST", self.revoke,
                     body=TokenBody, require_headers=True, plugin=self.id,
                     summary="Sign one account of this browser out",
                     error_codes=("UNAUTHORIZED", "INVALID_SESSION_TOKEN")),
        )


def multi_session(*, maximum_sessions: int = 5) -> MultiSessionPlugin:
    """The plugin; a browser holds at most ``maximum_sessions`` listed accounts."""
    if isinstance(maximum_sessions, bool) or maximum_sessions < 1:
        raise ConfigError("multi_session(maximum_sessions=...) must be at least 1")
    return MultiSessionPlugin(maximum_sessions)
