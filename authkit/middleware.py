"""The decision core shared by the WSGI and ASGI ``AuthMiddleware``: no I/O here.

Rules are compiled once by ``AuthRules``; per request the adapters ask it for a ``Plan``
(which rules a path falls under), resolve the session only when the plan needs one, ask for
a ``Verdict``, and render a refusal as a ``Response`` value (or a WebSocket close code).

Path patterns come in two forms, freely mixed:

* Next.js matcher form: ``/dashboard/:path*`` (the path and everything below it),
  ``/u/:id`` (one segment), ``/u/:id?`` (zero or one), ``/docs/:rest+`` (one or more);
* glob form: ``/admin/*`` (a *trailing* ``*`` covers ``/admin`` and everything below it, so a
  protected section cannot be reached one level deeper), ``/a/*/b`` (one segment), ``/a/**``
  (any depth), ``*.png`` inside a segment.

How a path is read (SEC-76): every request path has two readings, the decoded path the app
router sees and a canonical one (percent-decoded until stable, ``\\`` read as ``/``,
``;params`` dropped, dot segments resolved, repeated slashes merged). Protective rules
(``protect``, ``roles``) apply when *either* reading matches, ignoring letter case; an
exception (``public``) applies only when *both* readings match, with exact case. A request
the middleware cannot classify safely is therefore refused rather than let through.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from . import credentials as creds
from .cookies import encode_value
from .errors import APIError, ConfigError
from .http import Headers, Request, Response, dumps
from .loop_guard import Blocked, may_answer_from_cache, read_executor, try_without_blocking
from .models import SessionWithUser, User
from .roles import Requirement, RoleModel, has_any_role, has_permission, role_model, user_roles

if TYPE_CHECKING:
    from .core import AuthKit

# The role names are authkit.roles' (the one role model), kept importable from here.
__all__ = [
    "MAX_REDIRECT_LENGTH",
    "OPEN",
    "WS_CLOSE_CODES",
    "AuthMiddlewareWarning",
    "AuthRules",
    "IsAPIRequest",
    "PathSet",
    "Plan",
    "RequestAuth",
    "Requirement",
    "RoleModel",
    "RoleSpec",
    "Verdict",
    "canonical_path",
    "compile_pattern",
    "has_any_role",
    "has_permission",
    "judge",
    "local_target",
    "merge_set_cookies",
    "role_model",
    "safe_redirect_path",
    "user_roles",
]


RoleSpec = str | Sequence[str] | Mapping[str, Any] | Requirement
IsAPIRequest = Callable[[Request], bool]


class AuthMiddlewareWarning(UserWarning):
    """A middleware configuration that is legal but probably not what was meant."""


# -- roles ---------------------------------------------------------------------------------


def _requirement(spec: RoleSpec, pattern: str, model: RoleModel | None = None) -> Requirement:
    if isinstance(spec, str):
        return has_any_role(spec, model=model)
    if callable(spec):
        return spec
    if isinstance(spec, Mapping):
        if model is None:
            raise ConfigError(f"roles[{pattern!r}] is a permission rule: it needs the admin "
                              "plugin (authkit.plugins.admin.admin()) in AuthKit(plugins=[...])")
        if not spec or not all(isinstance(k, str) and isinstance(v, (list, tuple, Mapping))
                               for k, v in spec.items()):
            raise ConfigError(f"roles[{pattern!r}]: a permission rule maps resources to "
                              "action lists, e.g. {'report': ['read']}")
        return has_permission(spec, model)
    roles = list(spec)
    if not roles or not all(isinstance(r, str) and r for r in roles):
        raise ConfigError(f"roles[{pattern!r}] must be a role name, a list of role names, a "
                          "permission rule such as {'report': ['read']}, or a "
                          "callable(session) -> bool")
    return has_any_role(*roles, model=model)


# -- paths ---------------------------------------------------------------------------------

_PARAM = re.compile(r"^:[A-Za-z_][A-Za-z0-9_]*([*+?]?)$")
_NEEDS_CANONICALIZING = re.compile(r"[%\\;]|//|/\.")
_FORBIDDEN_IN_PATTERN = re.compile(r"[()\[\]{}?#\\:+]")
# Probes for "this pattern matches every path": the root, shallow, deep, odd characters.
_PROBES = ("/", "/a", "/a/b", "/zz-probe/x/y.html", "/sign-in", "/%7E;x/..")


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """A regular expression for one Next.js-style or glob path pattern (see module doc)."""
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise ConfigError(f"path pattern {pattern!r} must start with '/', e.g. '/dashboard/*'")
    segments = [s for s in pattern.split("/") if s]
    for seg in segments:
        if _PARAM.match(seg) is None and _FORBIDDEN_IN_PATTERN.search(seg):
            raise ConfigError(
                f"path pattern {pattern!r}: only ':name', ':name*', ':name+', ':name?', '*' "
                "and '**' are supported (no regular expressions or query strings)"
            )
    out = ["^"]
    for index, seg in enumerate(segments):
        last = index == len(segments) - 1
        param = _PARAM.match(seg)
        if seg == "**" or (seg == "*" and last) or (param and param.group(1) == "*"):
            out.append(r"(?:/.*)?")
        elif param and param.group(1) == "+":
            out.append(r"/[^/]+(?:/.*)?")
        elif param and param.group(1) == "?":
            out.append(r"(?:/[^/]+)?")
        elif param or seg == "*":
            out.append(r"/[^/]+")
        elif seg.startswith(":"):
            raise ConfigError(f"path pattern {pattern!r}: bad parameter {seg!r}")
        else:
            out.append("/" + "[^/]*".join(re.escape(part) for part in seg.split("*")))
    out.append("/?$")
    return re.compile("".join(out), re.IGNORECASE if ignore_case else 0)


def canonical_path(path: str) -> str:
    """The path as the most lenient server would read it (SEC-76).

    Percent-decoded until stable (``/adm%2569n`` is ``/admin`` to a server that decodes
    twice), backslashes as slashes, ``;params`` dropped, dot segments resolved, empty
    segments merged, no trailing slash.
    """
    if not _NEEDS_CANONICALIZING.search(path):
        return path.rstrip("/") or "/"  # the common case, without the segment walk
    for _ in range(4):
        if "%" not in path:
            break
        decoded = unquote(path, errors="replace")
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


class PathSet:
    """A compiled list of patterns."""

    __slots__ = ("_regexes", "patterns")

    def __init__(self, patterns: Iterable[str], *, ignore_case: bool) -> None:
        self.patterns = tuple(patterns)
        self._regexes = tuple(compile_pattern(p, ignore_case=ignore_case)
                              for p in self.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match(self, path: str) -> bool:
        """Does any pattern match ``path``?"""
        return any(r.match(path) for r in self._regexes)

    def match_all(self) -> list[str]:
        """The patterns that match every path (for the configuration warning)."""
        return [p for p, r in zip(self.patterns, self._regexes, strict=True)
                if all(r.match(probe) for probe in _PROBES)]


# -- redirect targets ----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_RAW = re.compile(r"[\x00-\x20\x7f\\]")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?%"
MAX_REDIRECT_LENGTH = 2048


def safe_redirect_path(value: object, default: str) -> str:
    """``value`` when it is a same-site path no browser reads as another host, else ``default``.

    Use it on every ``callbackURL`` a page receives (SEC-44): it refuses schemes and
    authorities (``https://evil.com``, ``//evil.com``), backslashes (``/\\evil.com``, which
    browsers read as ``//``), control characters and whitespace, and values whose decoded
    form starts with ``//`` or ``/\\`` (``/%2F%2Fevil.com``).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_REDIRECT_LENGTH:
        return default
    if _UNSAFE_RAW.search(value) or not value.startswith("/") or value.startswith("//"):
        return default
    decoded = value
    for _ in range(4):
        decoded = unquote(decoded, errors="replace")
    if _CONTROL.search(decoded) or decoded.startswith(("//", "/\\")):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def local_target(path: str, query_string: str = "") -> str:
    """A same-site URL for ``path`` + query that stays same-site when used as a redirect.

    Runs of ``/`` and ``\\`` collapse to one ``/`` (so ``//evil.com/x`` becomes
    ``/evil.com/x``), and everything outside the URL path alphabet is percent-encoded.
    """
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.com" would become "//evil.com".
    path = "/" + re.sub(r"[/\\]+", "/", _CONTROL.sub("", path)).lstrip("/")
    target = quote(path, safe=_PATH_SAFE)
    if query_string:
        target += "?" + quote(query_string, safe=_QUERY_SAFE)
    return target


# -- verdicts and plans --------------------------------------------------------------------


class Verdict(Enum):
    """What the middleware does with a request."""

    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"  # 302 to sign-in (HTML) or 401 (API); WS 4401
    FORBIDDEN = "forbidden"  # 403; WS 4403
    SIGNED_IN = "signed_in"  # auth page visited with a session: 302 onwards
    UNAVAILABLE = "unavailable"  # session store down: 503, never "signed out"; WS 1013


# WebSocket close codes: 4401/4403 mirror HTTP (the 4000 range is the application's);
# 1013 is the registered "Try Again Later".
WS_CLOSE_CODES = {
    Verdict.UNAUTHENTICATED: 4401,
    Verdict.FORBIDDEN: 4403,
    Verdict.UNAVAILABLE: 1013,
    Verdict.SIGNED_IN: 4403,
}


@dataclass(frozen=True, slots=True)
class Plan:
    """Which rules a request path falls under."""

    protected: bool = False
    requirements: tuple[Requirement, ...] = ()
    auth_page: bool = False

    @property
    def needs_session(self) -> bool:
        """Must the session be resolved before the app runs?"""
        return self.protected or self.auth_page


OPEN = Plan()


def judge(plan: Plan, session: SessionWithUser | None, *, unavailable: bool = False) -> Verdict:
    """The verdict for a planned request, given its session (or an outage)."""
    if plan.protected:
        if unavailable:
            return Verdict.UNAVAILABLE
        if session is None:
            return Verdict.UNAUTHENTICATED
        if not all(requirement(session) for requirement in plan.requirements):
            return Verdict.FORBIDDEN
        return Verdict.ALLOW
    if plan.auth_page and session is not None and not unavailable:
        return Verdict.SIGNED_IN
    # An auth page during an outage is still shown: the sign-in itself will answer 503.
    return Verdict.ALLOW


# -- the rules -----------------------------------------------------------------------------

_NOT_GUARDED = frozenset({"OPTIONS"})  # CORS preflights carry no credentials: pass them on
_JSON = ("Content-Type", "application/json")
_NO_STORE = ("Cache-Control", "no-store")


def _html(status: int, title: str, text: str, home: str = "/") -> bytes:
    # A viewport so it reads on a phone, and a way back: a refusal is not a dead end.
    return (f"<!doctype html><html><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>"
            f"<p><a href=\"{html.escape(home)}\">Back to the home page</a></p>"
            f"</body></html>").encode()


# ``forbidden_page``: the app's own 403 page, as a finished HTML document or a callable.
ForbiddenPage = str | Callable[[Request], str | Response]


_PLAN_MEMO_SIZE = 4096


class AuthRules:
    """Path rules compiled once, and the responses of the refusals.

    Parameters: ``base_path`` (where the auth handler is mounted), ``protect`` (patterns that
    need a session), ``public`` (exceptions to ``protect`` and ``roles``), ``auth_pages``
    (sign-in/sign-up pages a signed-in user is sent away from), ``roles`` (``{pattern: role,
    [roles], a permission rule {"report": ["read"]}, or callable(session) -> bool}``, implying
    ``protect``), ``sign_in_path``, ``after_sign_in_path``, ``api_paths`` (always answered as
    an API: 401, never a redirect), ``is_api_request`` (``callable(Request) -> bool``
    replacing the default detection), ``access`` (the ``RoleModel`` that role and
    permission rules read: the admin plugin, found by ``role_model(auth)``),
    ``forbidden_page`` (the HTML shown to a page load refused for a missing role: a finished
    HTML document, or ``callable(Request) -> str | Response``; default: a short page with a
    link home) and ``credentials`` (``{pattern: ("session", "api-key", "jwt")}``: what a path accepts besides
    the browser session, see ``authkit.credentials``).
    """

    def __init__(
        self,
        *,
        base_path: str = "/api/auth",
        protect: Sequence[str] = (),
        public: Sequence[str] = (),
        auth_pages: Sequence[str] = (),
        roles: Mapping[str, RoleSpec] | None = None,
        sign_in_path: str = "/sign-in",
        after_sign_in_path: str = "/",
        api_paths: Sequence[str] = ("/api/:path*",),
        is_api_request: IsAPIRequest | None = None,
        access: RoleModel | None = None,
        forbidden_page: ForbiddenPage | None = None,
        credentials: Mapping[str, Sequence[str] | str] | None = None,
    ) -> None:
        self._plans: dict[str, Plan] = {}
        self.access = access
        if forbidden_page is not None and not isinstance(forbidden_page, str) \
                and not callable(forbidden_page):
            raise ConfigError("forbidden_page must be an HTML string or a callable(request)")
        self.forbidden_page = forbidden_page
        # Accepting more credentials widens access: like `public`, a rule applies only when
        # both readings of the path match it with exact case (SEC-76).
        self.credential_paths = [(compile_pattern(p), creds.kinds_of(kinds, p))
                                 for p, kinds in (credentials or {}).items()]
        for name, value in (("protect", protect), ("public", public),
                            ("auth_pages", auth_pages), ("api_paths", api_paths)):
            if isinstance(value, str):
                raise ConfigError(f"{name} must be a list of patterns, not the string {value!r}")
        self.base_path = base_path
        self.sign_in_path = self._configured_path("sign_in_path", sign_in_path)
        if "?" in self.sign_in_path:
            raise ConfigError("sign_in_path must be a path without a query string")
        self.after_sign_in_path = self._configured_path("after_sign_in_path",
                                                        after_sign_in_path)
        # Protective matching ignores case (refusing /ADMIN costs nothing, missing it leaks);
        # exceptions match exact case so they never widen (SEC-76).
        self.protect = PathSet(protect, ignore_case=True)
        self.public = PathSet([*public, self.sign_in_path], ignore_case=False)
        self.auth_pages = PathSet(auth_pages, ignore_case=False)
        self._after = compile_pattern(self.after_sign_in_path.split("?", 1)[0])
        role_items = list((roles or {}).items())
        self.role_paths = [(compile_pattern(p, ignore_case=True), _requirement(spec, p, access))
                           for p, spec in role_items]
        self.api_paths = PathSet(api_paths, ignore_case=True)
        self._is_api = is_api_request or self.default_is_api_request
        self._warn_catch_all(list(public), [p for p, _ in role_items])
        # Pre-rendered bodies: a refusal costs no JSON encoding.
        self._401 = dumps({"message": "Unauthorized", "code": "UNAUTHORIZED"}).encode()
        self._403 = dumps({"message": "Forbidden", "code": "FORBIDDEN"}).encode()
        self._503 = dumps({"message": APIError(503, "SERVICE_UNAVAILABLE").message,
                           "code": "SERVICE_UNAVAILABLE"}).encode()

    @staticmethod
    def _configured_path(name: str, value: str) -> str:
        if safe_redirect_path(value, "") != value:
            raise ConfigError(f"{name} must be a path on this site such as '/dashboard', not "
                              f"{value!r} (redirect targets never leave the site)")
        return value

    def _warn_catch_all(self, public: list[str], role_patterns: list[str]) -> None:
        everything = PathSet([*self.protect.patterns, *role_patterns], ignore_case=True)
        if everything.match_all() and not public:
            warnings.warn(
                f"protect pattern(s) {everything.match_all()} match every path: every page, "
                "static file and health check needs a session. List the exceptions in "
                "public=[...] (the sign-in page is always public)",
                AuthMiddlewareWarning, stacklevel=4)
        if PathSet(public, ignore_case=False).match_all():
            warnings.warn(
                f"public pattern(s) {PathSet(public, ignore_case=False).match_all()} match "
                "every path: protect and roles will never apply",
                AuthMiddlewareWarning, stacklevel=4)
        if self.auth_pages.match_all():
            warnings.warn(
                f"auth_pages pattern(s) {self.auth_pages.match_all()} match every path: a "
                "signed-in user would be redirected from every page",
                AuthMiddlewareWarning, stacklevel=4)

    # -- per request ---------------------------------------------------------------------
    def is_auth_path(self, full_path: str) -> bool:
        """Is this (full, site-absolute) path served by the auth handler?"""
        base = self.base_path
        return full_path.startswith(base) and (len(full_path) == len(base)
                                                or full_path[len(base)] == "/")

    def plan(self, method: str, path: str) -> Plan:
        """The rules that apply to ``path`` (app-relative, decoded, as the router sees it)."""
        if method in _NOT_GUARDED:
            return OPEN
        # Remembered per path: the rules are fixed, and matching them is a few regexes per
        # request. Bounded: a client sending endless distinct paths only empties it.
        plans = self._plans
        found = plans.get(path)
        if found is None:
            if len(plans) >= _PLAN_MEMO_SIZE:
                plans.clear()
            found = plans[path] = self._plan(path)
        return found

    def _plan(self, path: str) -> Plan:
        canonical = canonical_path(path)
        readings = (path,) if canonical == path else (path, canonical)
        requirements = tuple(req for regex, req in self.role_paths
                             if any(regex.match(r) for r in readings))
        protected = bool(requirements) or any(self.protect.match(r) for r in readings)
        if protected and all(self.public.match(r) for r in readings):
            protected, requirements = False, ()
        auth_page = (bool(self.auth_pages) and self.auth_pages.match(canonical)
                     and not self._after.match(canonical))
        if not protected and not auth_page:
            return OPEN
        return Plan(protected, requirements, auth_page)

    def accepts(self, path: str) -> frozenset[str]:
        """The credentials ``path`` accepts: the browser session, plus what a matching
        ``credentials`` rule lists (several matching rules add up)."""
        if not self.credential_paths:
            return creds.SESSION_ONLY
        canonical = canonical_path(path)
        readings = (path,) if canonical == path else (path, canonical)
        found: frozenset[str] = frozenset()
        for regex, kinds in self.credential_paths:
            if all(regex.match(r) for r in readings):
                found |= kinds
        return found or creds.SESSION_ONLY

    def default_is_api_request(self, request: Request) -> bool:
        """API unless it looks like a browser page load: an ``api_paths`` match, an XHR, or
        an ``Accept`` without ``text/html`` are API requests (401, not a redirect)."""
        if self.api_paths.match(canonical_path(request.path)):
            return True
        headers = request.headers
        if (headers.get("x-requested-with") or "").lower() == "xmlhttprequest":
            return True
        accept = (headers.get("accept") or "").lower()
        if "text/html" in accept or "application/xhtml+xml" in accept:
            return False
        return (headers.get("sec-fetch-dest") or "").lower() != "document"

    def is_api_request(self, request: Request) -> bool:
        """The configured API-vs-HTML decision."""
        return self._is_api(request)

    def sign_in_location(self, root: str, path: str, query_string: str) -> str:
        """``/sign-in?callbackURL=<this page>``; the callback can only lead back on site."""
        callback = local_target(root + path, query_string)
        return f"{local_target(root + self.sign_in_path)}?callbackURL={encode_value(callback)}"

    def after_sign_in_location(self, root: str, query_string: str) -> str:
        """Where a signed-in visitor of an auth page goes: a safe ``callbackURL`` or the
        configured ``after_sign_in_path``."""
        default = (local_target(root).rstrip("/") if root else "") + self.after_sign_in_path
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            if key == "callbackURL":
                return safe_redirect_path(value, default)
        return default

    def refusal(self, verdict: Verdict, request: Request, *, root: str = "",
                cookies: Sequence[str] = ()) -> Response:
        """The response of a refused request (``request.path`` is app-relative)."""
        headers: list[tuple[str, str]] = [_NO_STORE]
        headers.extend(("Set-Cookie", line) for line in cookies)
        if verdict is Verdict.SIGNED_IN:
            headers.append(("Location", self.after_sign_in_location(root,
                                                                    request.query_string)))
            return Response(302, headers, b"")
        if verdict is Verdict.UNAVAILABLE:
            # No cookie is touched during an outage: the session may be perfectly valid.
            headers = [_NO_STORE, ("Retry-After", "5")]
            if self.is_api_request(request):
                return Response(503, [_JSON, *headers], self._503)
            return Response(503, [("Content-Type", "text/html; charset=utf-8"), *headers],
                            _html(503, "Service unavailable",
                                  "Please try again in a few seconds.",
                                  home=local_target(root or "/")))
        api = self.is_api_request(request)
        if verdict is Verdict.UNAUTHENTICATED:
            if api:
                return Response(401, [_JSON, *headers], self._401)
            headers.append(("Location", self.sign_in_location(root, request.path,
                                                              request.query_string)))
            return Response(302, headers, b"")
        if api:
            return Response(403, [_JSON, *headers], self._403)
        page = self.forbidden_page
        if callable(page):
            made = page(request)
            if isinstance(made, Response):
                made.headers.extend(headers)
                return made
            page = made
        body = page.encode() if isinstance(page, str) else _html(
            403, "Forbidden", "Your account may not open this page.",
            home=local_target(root or "/"))
        return Response(403, [("Content-Type", "text/html; charset=utf-8"), *headers], body)


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
        rules = self.rules or _DEFAULT_RULES
        return rules.refusal(verdict, self.request(), root=self.root, cookies=self.set_cookies)

    def sign_in_location(self) -> str:
        """The sign-in URL that comes back to this request afterwards."""
        rules = self.rules or _DEFAULT_RULES
        return rules.sign_in_location(self.root, self.path, self.query_string)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


_DEFAULT_RULES = AuthRules()


def merge_set_cookies(app_cookies: Iterable[str], ours: Sequence[str]) -> list[str]:
    """Our Set-Cookie lines minus those naming a cookie the app's response already sets.

    A sign-in handler on a page whose dead session the middleware just cleared sets the new
    session cookie itself; appending our deletion after it would sign the user straight out.
    """
    taken = {line.split("=", 1)[0].strip().lower() for line in app_cookies}
    return [line for line in ours if line.split("=", 1)[0].strip().lower() not in taken]
