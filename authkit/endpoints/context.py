"""The per-call context handed to endpoint handlers and hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..cookies import CookieSpec, decode_value, parse_cookie_header
from ..errors import APIError
from ..http import Headers, Request
from ..ip import IPAddress
from ..models import SessionWithUser
from ..tokens import unsign

if TYPE_CHECKING:
    from ..core import AuthKit
    from .registry import Endpoint

# Verified signed cookies remembered per SecretList (see ``get_signed_cookie``).
_VERIFIED_MEMO_SIZE = 4096


@dataclass
class Context:
    """Everything one endpoint call sees and accumulates.

    ``request`` is ``None`` for in-process ``auth.api`` calls: HTTP-only checks (rate limit,
    origin, CSRF) then do not run, as in Better Auth.
    """

    auth: AuthKit
    endpoint: Endpoint
    headers: Headers
    request: Request | None = None
    body: Any = None
    query: Any = None
    params: dict[str, str] = field(default_factory=dict)
    # The parsed, not-yet-validated body (additional fields are read from it).
    raw_body: Any = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    status: int | None = None
    # The session resolved by a session-gated endpoint.
    session: SessionWithUser | None = None
    # A session a plugin established for this request alone from the store (an API key):
    # every session read of the request returns it, and no cookie is set for it.
    verified_session: SessionWithUser | None = None
    # The session a cookie-setting route just issued (after-hooks read it).
    new_session: SessionWithUser | None = None
    # What the handler returned (or the APIError it raised), for after-hooks.
    returned: Any = None
    # False for an in-process call made without headers (admin create-user relaxes auth then).
    has_headers: bool = True
    # An in-process caller's client address (``auth.api.x(..., client=...)``).
    client: str | None = None
    _cookies: dict[str, str] | None = None

    @property
    def path(self) -> str:
        """The endpoint path (``/sign-in/email``), as hooks match on it."""
        return self.endpoint.path or f"<{self.endpoint.name}>"

    # -- cookies -------------------------------------------------------------------------
    @property
    def cookies(self) -> dict[str, str]:
        """Request cookies (raw values), parsed once."""
        if self._cookies is None:
            self._cookies = parse_cookie_header(self.headers.cookie())
        return self._cookies

    def get_cookie(self, spec: CookieSpec) -> str | None:
        """A cookie's percent-decoded value."""
        raw = self.cookies.get(spec.name)
        return None if raw is None else decode_value(raw)

    def get_signed_cookie(self, spec: CookieSpec) -> str | None:
        """A signed cookie's value, or ``None`` when absent or its signature fails."""
        raw = self.cookies.get(spec.name)
        if raw is None:
            return None
        # A value that verified before is known by its exact text. Only verified values are
        # kept (forged ones cannot fill it) and it is bounded; the secrets never change.
        secrets = self.auth.secrets
        memo = secrets.verified_cookies
        known = memo.get(raw)
        if known is not None:
            return known
        value = unsign(decode_value(raw), secrets)
        if value is not None:
            if len(memo) >= _VERIFIED_MEMO_SIZE:
                memo.clear()
            memo[raw] = value
        return value

    def set_cookie(self, spec: CookieSpec, value: str, *, max_age: int | None) -> None:
        """Queue a Set-Cookie (percent-encoding the value)."""
        self.response_headers.append(("Set-Cookie", spec.render(value, max_age=max_age)))

    def expire_cookie(self, spec: CookieSpec) -> None:
        """Queue the deletion of a cookie."""
        self.response_headers.append(("Set-Cookie", spec.render_expired()))

    def set_header(self, name: str, value: str) -> None:
        """Queue a response header."""
        self.response_headers.append((name, value))

    # -- request facts -------------------------------------------------------------------
    @property
    def client_ip(self) -> IPAddress | None:
        """The client address (socket peer, or trusted-proxy chain)."""
        peer = self.request.client if self.request is not None else self.client
        return self.auth.client_ip.resolve(peer, self.headers)

    @property
    def user_agent(self) -> str:
        """The User-Agent header, or ``""``."""
        return self.headers.get("user-agent") or ""

    @property
    def base_url(self) -> str:
        """Origin + base path; every emailed link is built from it."""
        return self.auth.base_url_for(self.request)

    def require_session(self, *, sensitive: bool = False) -> SessionWithUser:
        """The caller's session or 401 ``UNAUTHORIZED`` (Better Auth's sessionMiddleware).

        ``sensitive`` re-reads the session from the store even when a hook already supplied
        one (sensitiveSessionMiddleware). Whether the cookie cache may answer at all is the
        endpoint's declared ``freshness`` (registry.py), enforced by ``SessionService.resolve``:
        only "cache" endpoints may, so a revoked session cannot list sessions, change a
        password or reach an admin route from its cached copy.
        """
        if self.session is None or sensitive:
            self.session = self.auth.sessions.resolve(
                self, disable_cookie_cache=sensitive, disable_refresh=False)
        if self.session is None:
            raise APIError(401, "UNAUTHORIZED")
        return self.session

    def require_fresh_session(self) -> SessionWithUser:
        """The caller's session, signed in less than ``session.fresh_age`` ago; 401 without
        one, 403 ``SESSION_NOT_FRESH`` when older (Better Auth's freshSessionMiddleware)."""
        found = self.require_session()
        if not self.auth.sessions.is_fresh(found.session):
            raise APIError(403, "SESSION_NOT_FRESH")
        return found
