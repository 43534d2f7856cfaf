"""Session lifecycle: create, read with sliding refresh, expire, and their cookies
(docs/wire-compatibility.md#session-semantics).

No HTTP here beyond what the ``Context`` queues: cookies are rendered by ``cookies.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .cookie_cache import CookieCache
from .errors import APIError
from .models import Session, SessionWithUser, User
from .tokens import SecretList, generate_id, random_string, sign

if TYPE_CHECKING:
    from .config import SessionOptions
    from .cookies import AuthCookies, CookieSpec
    from .core import AuthKit
    from .db import Database
    from .endpoints.context import Context

DONT_REMEMBER_SECONDS = 86400


class SessionService:
    """Session rules of one ``AuthKit``."""

    def __init__(self, auth: AuthKit | None = None, *, options: SessionOptions | None = None,
                 cookies: AuthCookies | None = None, secrets: SecretList | None = None,
                 now: Callable[[], datetime] | None = None, db: Database | None = None,
                 cookie_cache: CookieCache | None = None) -> None:
        """``SessionService(options=..., cookies=..., secrets=..., now=..., db=...,
        cookie_cache=...)`` with what it uses; ``SessionService(auth)`` takes them from an
        ``AuthKit`` whose storage exists already."""
        if auth is not None:
            options, cookies, secrets, now, db = (
                auth.options.session, auth.cookies, auth.secrets, auth.now, auth.db)
            cookie_cache = cookie_cache or CookieCache(auth)
        if (options is None or cookies is None or secrets is None or now is None or db is None
                or cookie_cache is None):
            raise TypeError("SessionService needs options, cookies, secrets, now, db and "
                            "cookie_cache")
        self.options = options
        self.cookies = cookies
        self.secrets = secrets
        self.now = now
        self.db = db
        self.cookie_cache = cookie_cache
        # Cookies a plugin ties to the session, expired with it (the social plugin's
        # cookie-strategy OAuth state, as Better Auth's deleteSessionCookie does).
        self.cleared_with_session: list[CookieSpec] = []

    # -- creation ------------------------------------------------------------------------
    def create(self, ctx: Context, user: User, *, dont_remember: bool = False,
               extra: dict[str, Any] | None = None,
               expires_in: int | None = None, status: int = 401,
               db: Database | None = None) -> Session:
        """Insert a new session row for ``user`` (fixation-safe: always a fresh token).

        A vetoed creation raises ``FAILED_TO_CREATE_SESSION`` with ``status`` (401 on
        sign-in, 400 on sign-up, as Better Auth answers). ``db`` is a transaction view when
        the row must commit together with other writes (change-password).
        """
        now = self.now()
        if expires_in is None:
            expires_in = DONT_REMEMBER_SECONDS if dont_remember else self.options.expires_in
        ip = ctx.client_ip
        session = Session(
            id=generate_id(),
            token=random_string(32),
            user_id=user.id,
            expires_at=now + timedelta(seconds=expires_in),
            created_at=now,
            updated_at=now,
            ip_address=str(ip) if ip is not None else "",
            user_agent=ctx.user_agent,
            extra=dict(extra or {}),
        )
        created = (db or self.db).create_session(ctx, session)
        if created is None:
            raise APIError(status, "FAILED_TO_CREATE_SESSION")
        return created

    def set_cookies(self, ctx: Context, session: Session, user: User, *,
                    dont_remember: bool = False) -> None:
        """Queue the session cookie (and the ``dont_remember`` marker) for ``session``.

        Nothing for the session of a plugin-verified credential (an API key): it exists for
        that request only, and its cookie would carry the credential itself.
        """
        verified = ctx.verified_session
        if verified is not None and verified.session.token == session.token:
            return
        max_age = None if dont_remember else self.options.expires_in
        ctx.set_cookie(self.cookies.session_token, sign(session.token, self.secrets),
                       max_age=max_age)
        if dont_remember:
            ctx.set_cookie(self.cookies.dont_remember, sign("true", self.secrets),
                           max_age=None)
        elif ctx.get_cookie(self.cookies.dont_remember) is not None:
            ctx.expire_cookie(self.cookies.dont_remember)
        self.cookie_cache.write(ctx, session, user, dont_remember=dont_remember)
        ctx.new_session = SessionWithUser(session, user)

    def signed_token(self, token: str) -> str:
        """``token.signature``: the value of a session cookie for ``token``."""
        return sign(token, self.secrets)

    def reissue_cookies(self, ctx: Context, session: Session, user: User) -> None:
        """Set the cookies of an existing session again (fresh Max-Age), keeping a
        ``rememberMe:false`` session a browser-session cookie (Better Auth's setSessionCookie)."""
        dont_remember = ctx.get_signed_cookie(self.cookies.dont_remember) is not None
        self.set_cookies(ctx, session, user, dont_remember=dont_remember)

    def is_fresh(self, session: Session) -> bool:
        """Created less than ``fresh_age`` seconds ago (``0`` turns the check off).

        Measured from ``createdAt``, which a sliding refresh never moves, so only a real
        sign-in makes a session fresh again (docs/wire-compatibility.md#session-semantics).
        """
        fresh_age = self.options.fresh_age
        if fresh_age == 0:
            return True
        return self.now() - session.created_at < timedelta(seconds=fresh_age)

    def clear_cookies(self, ctx: Context) -> None:
        """Queue the deletion of every session cookie (docs/wire-compatibility.md#sign-out)."""
        ctx.expire_cookie(self.cookies.session_token)
        ctx.expire_cookie(self.cookies.session_data)
        for spec in self.cleared_with_session:
            ctx.expire_cookie(spec)
        self.cookie_cache.clean(ctx)  # and its .0, .1 ... chunks
        ctx.expire_cookie(self.cookies.dont_remember)

    # -- reading -------------------------------------------------------------------------
    def token_from(self, ctx: Context) -> str | None:
        """The verified raw token of the request's session cookie."""
        return ctx.get_signed_cookie(self.cookies.session_token)

    def resolve(self, ctx: Context, *, disable_cookie_cache: bool = False,
                disable_refresh: bool = False) -> SessionWithUser | None:
        """The request's live session, applying expiry and the sliding refresh.

        A bad signature is "no session" and clears nothing (docs/wire-compatibility.md#get-session);
        a missing or expired
        row clears the cookies, and an expired row is deleted. A session a plugin verified
        for this request (``ctx.verified_session``: an API key) answers first. The cookie cache
        is consulted only when ``ctx.endpoint`` is declared ``freshness="cache"`` (registry.py).
        """
        if ctx.verified_session is not None:
            return ctx.verified_session
        # The freshness rule, enforced here for every caller: only an endpoint declared
        # freshness="cache" (get-session) may be answered from the cookie cache.
        if ctx.endpoint.freshness != "cache":
            disable_cookie_cache = True
        token = self.token_from(ctx)
        cached = self.cookie_cache.read(ctx, token, disable=disable_cookie_cache)
        if cached is not None:
            return cached  # no database read: revocation applies when the cache expires
        if token is None:
            return None
        found = self.db.get_session_with_user(token)
        if found is None:
            self.clear_cookies(ctx)
            return None
        session, user = found
        now = self.now()
        if session.expires_at <= now or self._past_absolute_cap(session, now):
            self.db.delete_session(ctx, token)
            self.clear_cookies(ctx)
            return None
        dont_remember = ctx.get_signed_cookie(self.cookies.dont_remember) is not None
        if not (disable_refresh or dont_remember or self.options.disable_session_refresh
                or self.options.defer_session_refresh):
            session = self._maybe_refresh(ctx, session, user, now)
        if session is found[0] and not (disable_refresh or dont_remember):
            self.cookie_cache.write(ctx, session, user)  # a refresh already wrote it
        return SessionWithUser(session, user)

    def _past_absolute_cap(self, session: Session, now: datetime) -> bool:
        cap = self.options.absolute_max_age
        return cap is not None and session.created_at + timedelta(seconds=cap) <= now

    def needs_refresh(self, session: Session, now: datetime) -> bool:
        """Better Auth's rule: ``updateAge`` seconds since the last (re)issue."""
        issued = session.expires_at - timedelta(seconds=self.options.expires_in)
        return issued + timedelta(seconds=self.options.update_age) <= now

    def _maybe_refresh(self, ctx: Context, session: Session, user: User,
                       now: datetime) -> Session:
        if not self.needs_refresh(session, now):
            return session
        new_expiry = now + timedelta(seconds=self.options.expires_in)
        if self.options.absolute_max_age is not None:
            new_expiry = min(new_expiry,
                             session.created_at + timedelta(seconds=self.options.absolute_max_age))
        # Never move the expiry backwards when refreshes race (docs/security.md#concurrency): the
        # UPDATE below only
        # ever extends (extend_only: its WHERE compares with the stored expiry, so a refresh
        # that computed an earlier expiry and commits after a later one writes nothing), and a
        # concurrent sign-out's DELETE wins because this is no upsert.
        if new_expiry <= session.expires_at:
            return session
        updated = self.db.update_session(
            ctx, session.token, {"expiresAt": new_expiry, "updatedAt": now}, extend_only=True)
        if updated is None:
            self.clear_cookies(ctx)
            raise APIError(401, "FAILED_TO_GET_SESSION")
        self.set_cookies(ctx, updated, user)
        ctx.new_session = None  # a refresh is not a new sign-in for after-hooks
        return updated
