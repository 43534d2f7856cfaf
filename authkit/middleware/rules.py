"""The decision core shared by the WSGI and ASGI ``AuthMiddleware``: no I/O here.

Rules are compiled once by ``AuthRules``; per request the adapters ask it for a ``Plan``
(which rules a path falls under), resolve the session only when the plan needs one, ask for
a ``Verdict``, and render a refusal as a ``Response`` value (or a WebSocket close code).

How a path is read: every request path has two readings, the decoded path the app router
sees and a canonical one (see ``patterns``). Protective rules (``protect``, ``roles``) apply
when *either* reading matches, ignoring letter case; an exception (``public``) applies only
when *both* readings match, with exact case. A request the middleware cannot classify safely
is therefore refused rather than let through.
"""

from __future__ import annotations

import difflib
import html
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from .. import credentials as creds
from ..cookies import encode_value
from ..errors import APIError, ConfigError
from ..http import Request, Response, dumps
from ..models import SessionWithUser
from ..roles import Requirement, RoleModel, has_any_role, has_permission
from .patterns import PathSet, canonical_path, compile_pattern
from .redirects import local_target, safe_redirect_path

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

_PLAN_MEMO_SIZE = 4096
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


@dataclass(frozen=True, kw_only=True)
class MiddlewareOptions:
    """The middleware's options, written once: the WSGI and ASGI ``AuthMiddleware``, the
    Starlette/FastAPI ``install``/``authkit_middleware`` and Flask's ``AUTHKIT_*`` config keys all
    take these (as keywords, or as ``options=MiddlewareOptions(...)``).

    ``protect``: patterns that need a session. ``public``: exceptions to ``protect`` and
    ``roles``. ``auth_pages``: sign-in/sign-up pages a signed-in user is sent away from.
    ``roles``: ``{pattern: role, [roles], a permission rule {"report": ["read"]}, or
    callable(session) -> bool}``, implying ``protect``. ``sign_in_path`` and
    ``after_sign_in_path``: where refused page loads and signed-in visitors of ``auth_pages``
    go. ``api_paths``: always answered as an API (401, never a redirect). ``is_api_request``:
    ``callable(Request) -> bool`` replacing the default detection. ``forbidden_page``: the HTML
    of a page load refused for a missing role (a document, or ``callable(Request) -> str |
    Response``). ``credentials``: ``{pattern: ("session", "api-key", "jwt")}``, what a path
    accepts besides the browser session (see ``authkit.credentials``).
    """

    protect: Sequence[str] = ()
    public: Sequence[str] = ()
    auth_pages: Sequence[str] = ()
    roles: Mapping[str, RoleSpec] | None = None
    sign_in_path: str = "/sign-in"
    after_sign_in_path: str = "/"
    api_paths: Sequence[str] = ("/api/:path*",)
    is_api_request: IsAPIRequest | None = None
    forbidden_page: ForbiddenPage | None = None
    credentials: Mapping[str, Sequence[str] | str] | None = None

    @classmethod
    def names(cls) -> list[str]:
        """Every option name, in declaration order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def build(cls, options: MiddlewareOptions | None, given: Mapping[str, Any]
              ) -> MiddlewareOptions:
        """``options`` with the keyword options ``given`` applied over it; an unknown name
        is a ``ConfigError`` with the closest known one (a misspelt ``protcet=`` would
        otherwise leave every route open)."""
        known = cls.names()
        unknown = [k for k in given if k not in known]
        if unknown:
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
                hints.append(name + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ConfigError(f"unknown middleware option(s) {', '.join(hints)}; known: "
                              f"{', '.join(known)}")
        base = options if options is not None else cls()
        return replace(base, **given) if given else base


class AuthRules:
    """Path rules compiled once, and the responses of the refusals.

    ``options`` (a ``MiddlewareOptions``, or its fields as keywords) say what each path needs;
    ``base_path`` is where the auth handler is mounted and ``access`` the ``RoleModel`` that
    role and permission rules read (the admin plugin, found by ``role_model(auth)``).
    """

    def __init__(self, options: MiddlewareOptions | None = None, *,
                 base_path: str = "/api/auth", access: RoleModel | None = None,
                 **kwargs: Any) -> None:
        self.options = opts = MiddlewareOptions.build(options, kwargs)
        protect, public, auth_pages = opts.protect, opts.public, opts.auth_pages
        roles, api_paths, credentials = opts.roles, opts.api_paths, opts.credentials
        sign_in_path, after_sign_in_path = opts.sign_in_path, opts.after_sign_in_path
        is_api_request, forbidden_page = opts.is_api_request, opts.forbidden_page
        self._plans: dict[str, Plan] = {}
        self.access = access
        if forbidden_page is not None and not isinstance(forbidden_page, str) \
                and not callable(forbidden_page):
            raise ConfigError("forbidden_page must be an HTML string or a callable(request)")
        self.forbidden_page = forbidden_page
        # Accepting more credentials widens access: like `public`, a rule applies only when
        # both readings of the path match it with exact case (docs/security.md#middleware).
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
        # exceptions match exact case so they never widen (docs/security.md#middleware).
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


DEFAULT_RULES = AuthRules()


def merge_set_cookies(app_cookies: Iterable[str], ours: Sequence[str]) -> list[str]:
    """Our Set-Cookie lines minus those naming a cookie the app's response already sets.

    A sign-in handler on a page whose dead session the middleware just cleared sets the new
    session cookie itself; appending our deletion after it would sign the user straight out.
    """
    taken = {line.split("=", 1)[0].strip().lower() for line in app_cookies}
    return [line for line in ours if line.split("=", 1)[0].strip().lower() not in taken]
