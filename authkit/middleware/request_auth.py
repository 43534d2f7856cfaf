"""``RequestAuth``: the per-request state the middleware attaches, with a lazy session."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import credentials as creds
from ..errors import APIError
from ..http import Headers, Request, Response
from ..loop_guard import Blocked, may_answer_from_cache, read_executor, try_without_blocking
from ..models import SessionWithUser, User
from ..roles import role_model, user_roles
from .rules import DEFAULT_RULES, AuthRules, Verdict

if TYPE_CHECKING:
    from ..core import AuthKit


# -- the per-request state -----------------------------------------------------------------


class RequestAuth:
    """The session of one request, resolved on first use and then remembered.

    The middleware stores one under the key ``"authkit.auth"`` in the WSGI environ and in the
    ASGI scope alike. It is falsy when nobody is signed in (``if environ["authkit.auth"]:``
    lets only signed-in visitors through); ``session``/``user`` resolve synchronously and are
    ``None`` when signed out; async code calls ``await load()`` first, which runs the
    database work in a worker thread. The cookies the core
    wants to set while resolving (a sliding refresh, clearing a dead session) are collected
    in ``set_cookies`` and added to the response by the middleware.

    ``resolve(fresh=True)`` / ``load(fresh=True)`` read the session from the store, never
    from the cookie cache: every role or permission decision (the middleware's ``roles``,
    ``require_role``, ``roles()``, the adapters' role guards) uses it, so a revoked session
    or a demoted user is refused at once rather than when the cache expires.
    """

    __slots__ = (
        "_async",
        "_by_kinds",
        "_fresh",
        "_headers",
        "_headers_of",
        "_lock",
        "_resolved",
        "_session",
        "auth",
        "method",
        "path",
        "query_string",
        "root",
        "rules",
        "set_cookies",
    )

    def __init__(self, auth: AuthKit, headers_of: Callable[[], Headers], *,
                 rules: AuthRules | None = None, method: str = "GET", root: str = "",
                 path: str = "/", query_string: str = "", is_async: bool = False) -> None:
        self.auth = auth
        self.rules = rules
        self.method = method
        self.root = root
        self.path = path
        self.query_string = query_string
        self._headers: Headers | None = None
        self._headers_of = headers_of
        self._session: SessionWithUser | None = None
        self._resolved = False
        self._fresh = False
        self._lock = threading.Lock()
        self._async = is_async
        self._by_kinds: dict[frozenset[str], SessionWithUser | None] = {}
        self.set_cookies: list[str] = []

    @property
    def headers(self) -> Headers:
        """The request headers (built on first use)."""
        if self._headers is None:
            self._headers = self._headers_of()
        return self._headers

    @property
    def resolved(self) -> bool:
        """Has the session been looked up yet?"""
        return self._resolved

    def resolve(self, *, fresh: bool = False) -> SessionWithUser | None:
        """Look the session up (once; again from the store when ``fresh`` asks for it after a
        cached answer); raises ``StorageUnavailable`` when the store is down. Only the
        credentials the path accepts count (``AuthRules.accepts``)."""
        if self._resolved and (self._fresh or not fresh):
            return self._session
        with self._lock:
            if not self._resolved or (fresh and not self._fresh):
                # With the cache off every lookup reads the store: already fresh.
                cached_ok = not fresh and self.auth.options.session.cookie_cache.enabled
                query = None if cached_ok else {"disableCookieCache": "true"}
                kinds = self.rules.accepts(self.path) if self.rules else creds.SESSION_ONLY
                try:
                    session, lines = self._lookup(kinds, query)
                except APIError as exc:
                    if exc.status == 429:
                        # A key over its limit is answered once; later reads see no session.
                        self._resolved = self._fresh = True
                    raise
                # A store read after a cached one sees the same request cookies and decides
                # anew: its cookies replace the first read's.
                self.set_cookies[:] = lines
                self._session = session
                self._fresh = not cached_ok
                self._resolved = True
        return self._session

    def resolve_with(self, kinds: frozenset[str]) -> SessionWithUser | None:
        """The session under an explicit choice of credentials (a route's own rule, such as
        a FastAPI dependency's), whatever the path rules say; read from the store and
        remembered per choice."""
        with self._lock:
            if kinds not in self._by_kinds:
                session, lines = self._lookup(kinds, {"disableCookieCache": "true"})
                self.set_cookies.extend(line for line in lines if line not in self.set_cookies)
                self._by_kinds[kinds] = session
            return self._by_kinds[kinds]

    @property
    def credential(self) -> str | None:
        """How the request authenticated: ``"session"``, ``"api-key"``, ``"jwt"`` or ``None``."""
        return creds.credential_of(self.session)

    def _lookup(self, kinds: frozenset[str], query: dict[str, str] | None
                ) -> tuple[SessionWithUser | None, list[str]]:
        headers = self.headers
        if "jwt" in kinds:
            token = creds.bearer_jwt(headers)
            if token is not None:
                return creds.jwt_session(self.auth, token, self.auth.base_url_for(
                    self.request())), []
        key_headers = creds.api_key_headers(self.auth)
        carries_key = any(headers.get(name) for name in key_headers)
        if key_headers and "api-key" not in kinds:
            headers = creds.without(headers, key_headers)
            carries_key = False
        if "session" not in kinds:
            if not carries_key:
                return None, []
            headers = creds.without(headers, ("cookie", "authorization"))
        try:
            out = self.auth.api.get_session(headers=headers, query=query, return_headers=True)
        except APIError as exc:
            if exc.status >= 500:
                raise  # FAILED_TO_GET_SESSION: a fault, not a signed-out visitor
            if carries_key and exc.status == 429:
                raise  # a key over its quota or rate limit: the client should wait, not re-auth
            # A refresh that lost a race with a sign-out, or a refused key: signed out.
            return None, [v for k, v in exc.headers if k.lower() == "set-cookie"]
        return out.response, out.headers.get_all("set-cookie")

    async def load(self, *, fresh: bool = False) -> SessionWithUser | None:
        """``resolve()`` for async code: the database work runs off the event loop."""
        if self._resolved and (self._fresh or not fresh):
            return self._session
        if not fresh and may_answer_from_cache(self.auth, self.headers, http=False):
            # A cookie-cache hit does no I/O: answered here, without the thread hand-off
            # (a read that needs the store stops before it and runs in the thread below).
            found = try_without_blocking(lambda: self.resolve(fresh=False))
            if not isinstance(found, Blocked):
                return found
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(read_executor(),
                                          functools.partial(self.resolve, fresh=fresh))

    def __bool__(self) -> bool:
        """Signed in? (An object that is truthy for anonymous visitors would let them in.)"""
        return self.session is not None

    def __repr__(self) -> str:
        if not self._resolved:
            return "<RequestAuth (not loaded yet)>"
        user = self._session.user.id if self._session is not None else None
        return f"<RequestAuth signed_in={user is not None} user_id={user!r}>"

    @property
    def session(self) -> SessionWithUser | None:
        """The session and user, or ``None`` when signed out."""
        if not self._resolved and self._async and _in_event_loop():
            raise RuntimeError(
                "the session of an ASGI request is not loaded yet and looking it up here "
                "would block the event loop: use `await scope['authkit.auth'].load()` (or the "
                "Starlette adapter's request.user / FastAPI's Depends(current_session))"
            )
        return self.resolve()

    @property
    def user(self) -> User | None:
        """The signed-in user, or ``None``."""
        session = self.session
        return session.user if session is not None else None

    def roles(self) -> frozenset[str]:
        """The signed-in user's roles as the store holds them (empty when signed out)."""
        if not (self._resolved and self._fresh) and self._async and _in_event_loop():
            raise RuntimeError("roles() of an ASGI request reads the store: "
                               "`await scope['authkit'].load(fresh=True)` first")
        found = self.resolve(fresh=True)
        user = found.user if found is not None else None
        model = self.rules.access if self.rules is not None else role_model(self.auth)
        return user_roles(user, model) if user is not None else frozenset()

    def request(self) -> Request:
        """A body-less ``Request`` value of this request (app-relative path)."""
        return Request(method=self.method, path=self.path, query_string=self.query_string,
                       headers=self.headers)

    def refusal(self, verdict: Verdict) -> Response:
        """The middleware's response for ``verdict`` on this request."""
        rules = self.rules or DEFAULT_RULES
        return rules.refusal(verdict, self.request(), root=self.root, cookies=self.set_cookies)

    def sign_in_location(self) -> str:
        """The sign-in URL that comes back to this request afterwards."""
        rules = self.rules or DEFAULT_RULES
        return rules.sign_in_location(self.root, self.path, self.query_string)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
