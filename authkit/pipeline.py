"""The request pipeline: routing, body parsing, origin checks, hooks, the handler, the
response (docs/wire-compatibility.md#pipeline-order). ``auth.api`` runs the same ``run`` without the
HTTP-only steps."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .cookies import parse_cookie_header
from .endpoints.context import Context
from .endpoints.registry import Endpoint
from .errors import APIError
from .http import Headers, Request, Response, dumps, error_response
from .observability import timed_call
from .origins import check_callback_urls, check_csrf
from .storage import StorageUnavailable, ValueTooLong
from .validation import MISSING, parse_form_body, parse_json_body, validate

if TYPE_CHECKING:
    from .core import AuthKit

log = logging.getLogger("authkit")

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_EMPTY_404 = Response(404, [], b"")


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# RFC 3986 §2.3: percent-encoding these makes a different spelling of the same path.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def is_alias(raw_path: str) -> bool:
    """Is ``raw_path`` another spelling of a path: a percent-encoded ``/`` or unreserved
    character (``/sign-in%2Femail``, ``/sign-in/%65mail``, ``/api/%61uth``)?

    Better Auth routes the raw path, so such a request is a 404 there; routing the decoded
    path instead would let it past a proxy rule written for the real path (deny, rate
    limit, WAF). Routing stays on the decoded path, and only when it is the same path.
    """
    for match in _ESCAPE.finditer(raw_path):
        char = chr(int(match.group(1), 16))
        if char == "/" or char in _UNRESERVED:
            return True
    return False


# error_response moved to authkit.http (with the values it renders); still importable here.
__all__ = ["Pipeline", "error_response", "internal_error", "render", "service_unavailable",
           "to_wire"]


class Pipeline:
    """Turns ``Request`` values into ``Response`` values for one ``AuthKit``."""

    def __init__(self, auth: AuthKit) -> None:
        self.auth = auth
        self.prefix = auth.base_path + "/"

    # -- HTTP ----------------------------------------------------------------------------
    def handle(self, request: Request, *, count: bool = True) -> Response:
        """Serve one HTTP request; never raises, never leaks a traceback.

        ``count=False``: the rate limiter already counted this request (an attempt on the
        event loop that needed storage and is being run again in a thread, loop_guard.py).
        """
        try:
            return self._handle(request, count)
        except APIError as exc:
            self.auth.on_api_error.report(self.auth, exc, request)
            return error_response(exc)
        except StorageUnavailable as exc:
            self.auth.on_api_error.report(self.auth, exc, request)
            return service_unavailable()
        except ValueTooLong as exc:  # from a hook: the handler's own are mapped in run()
            error = too_long(exc)
            self.auth.on_api_error.report(self.auth, error, request)
            return error_response(error)
        except Exception as exc:  # noqa: BLE001 - the last-resort handler; logged below
            self.auth.on_api_error.report(self.auth, exc, request)
            return internal_error(request)

    def _handle(self, request: Request, count: bool = True) -> Response:
        path = request.path
        if not path.startswith(self.prefix) or "//" in (request.raw_path or path):
            return _copy(_EMPTY_404)
        if request.raw_path is not None and is_alias(request.raw_path):
            # Before the rate limiter: an alias neither reaches nor counts against a route.
            return _copy(_EMPTY_404)
        sub = path[len(self.auth.base_path):]
        if sub.endswith("/") and len(sub) > 1:
            if not self.auth.options.advanced.skip_trailing_slashes:
                return _copy(_EMPTY_404)
            sub = sub.rstrip("/")
        if sub in self.auth.disabled_paths:
            return Response(404, [("Content-Type", "text/plain")], b"Not Found")
        # Before the body is parsed, so a refused request costs no parsing
        # (docs/security.md#rate-limiting).
        limited = self.auth.rate_limiter.check(request, sub) if count else None
        if limited is not None:
            return limited
        cookie_header = request.headers.cookie()
        oversized = (cookie_header is not None
                     and len(cookie_header) > self.auth.options.advanced.max_cookie_header_size)
        matched = self.auth.registry.match(request.method, sub)
        if oversized and (matched is None or not matched[0].any_cookie_size):
            raise self._too_large(cookie_header or "")
        if matched is None:
            return _copy(_EMPTY_404)
        ep, params = matched
        headers = request.headers
        for plugin in self.auth.plugins:
            headers = plugin.transform_headers(headers)
        body = self._parse_body(ep, request)
        ctx = Context(self.auth, ep, headers, request=request, params=params,
                      raw_body=body, query=request.query)
        if request.method not in _SAFE_METHODS:
            self._origin_checks(ctx, request, body)
        result = self.run(ctx)
        return render(ctx, result)

    def _too_large(self, cookie_header: str) -> APIError:
        """431, deleting the session cache cookies the request carries: a browser holding
        more than the limit (a cache written by an older version, or before the limit was
        lowered) recovers on its next request instead of being locked out."""
        lines = self.auth.sessions.cookie_cache.expired_lines(parse_cookie_header(cookie_header))
        return APIError(431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
                        headers=[("Set-Cookie", line) for line in lines])

    def _parse_body(self, ep: Endpoint, request: Request) -> Any:
        if not request.body:
            # An absent body is "undefined" to the schema (docs/wire-compatibility.md#corrections):
            # no 415 without bytes.
            return MISSING
        ctype = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        allowed = [_FORM, _JSON] if ep.allow_form else [_JSON]
        if ctype == _JSON:
            return parse_json_body(request.body)
        if ctype == _FORM and ep.allow_form:
            return parse_form_body(request.body)
        if not ctype:
            if request.headers.get("cookie") is not None:
                # docs/security.md#origins-and-csrf: a cookie-bearing body must say what it is, as
                # the origin check is
                # cookie-gated too (the message of docs/wire-compatibility.md#request-bodies).
                # Without a cookie the body is
                # left unread, as the real server does (docs/wire-compatibility.md#corrections).
                raise APIError(415, "UNSUPPORTED_MEDIA_TYPE",
                               f"Content-Type is required. Allowed types: {', '.join(allowed)}")
            return MISSING
        raise APIError(415, "UNSUPPORTED_MEDIA_TYPE",
                       f'Content-Type "{ctype}" is not allowed. Allowed types: '
                       f"{', '.join(allowed)}")

    def _origin_checks(self, ctx: Context, request: Request, body: Any) -> None:
        adv = self.auth.options.advanced
        if not adv.disable_csrf_check:
            if ctx.endpoint.form_csrf:
                check_csrf(request, self.auth.origins, form_route=True)
            elif request.headers.get("cookie") is not None:
                check_csrf(request, self.auth.origins, form_route=False)
        if not adv.disable_origin_check:
            check_callback_urls(body if isinstance(body, Mapping) else None, request.query,
                                self.auth.origins, request)

    # -- shared with auth.api ------------------------------------------------------------
    def run(self, ctx: Context) -> Any:
        """Hooks, validation and the handler; returns the handler's (or a hook's) result."""
        hooks = self.auth.hooks
        if hooks.before is not None:
            out = hooks.before(ctx)
            if out is not None:
                changed = out.get("context") if isinstance(out, Mapping) else None
                if not isinstance(changed, Mapping):
                    return out
                _apply_context(ctx, changed)
        for matcher in [m for p in self.auth.plugins for m in p.before]:
            if matcher.matcher(ctx):
                out = matcher.handler(ctx)
                if out is not None:
                    changed = out.get("context") if isinstance(out, Mapping) else None
                    if not isinstance(changed, Mapping):
                        return out
                    _apply_context(ctx, changed)
        ep = ctx.endpoint
        if ep.body is not None:
            ctx.body = validate(ep.body, ctx.raw_body, "body")
        if ep.query is not None:
            ctx.query = validate(ep.query, ctx.query if ctx.query is not None else {}, "query")
        try:
            result: Any = timed_call(ep.handler, ctx)
        except APIError as exc:
            result = exc
        except ValueTooLong as exc:
            result = too_long(exc)
        ctx.returned = result
        after_hooks = [m for p in self.auth.plugins for m in p.after if m.matcher(ctx)]
        if hooks.after is not None or after_hooks:
            # The last returned value wins; a raised APIError replaces the result.
            for hook in [hooks.after, *(m.handler for m in after_hooks)]:
                if hook is None:
                    continue
                try:
                    replaced = hook(ctx, result)
                except APIError as exc:
                    replaced = exc
                if replaced is not None:
                    result = ctx.returned = replaced
        if isinstance(result, APIError):
            # Cookies queued before the error (e.g. clearing a dead session) still go out.
            result.headers = [*ctx.response_headers, *result.headers]
            ctx.response_headers = []
            raise result
        return result


def _apply_context(ctx: Context, changed: Mapping[str, Any]) -> None:
    if "body" in changed:
        base = ctx.raw_body if isinstance(ctx.raw_body, Mapping) else {}
        ctx.raw_body = {**base, **changed["body"]}
    if "query" in changed:
        base = ctx.query if isinstance(ctx.query, Mapping) else {}
        ctx.query = {**base, **changed["query"]}
    if "headers" in changed:
        merged = Headers(ctx.headers)
        for key, value in dict(changed["headers"]).items():
            merged.set(key, value)
        ctx.headers = merged
        ctx._cookies = None
    if "params" in changed:
        ctx.params = {**ctx.params, **changed["params"]}


def to_wire(value: Any) -> Any:
    """Result objects → JSON-able data (``to_json()`` where present)."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def render(ctx: Context, result: Any) -> Response:
    """The HTTP response of a successful call."""
    if isinstance(result, Response):
        response = result
        response.headers = [*response.headers, *ctx.response_headers]
    else:
        response = Response(ctx.status or 200,
                            [("Content-Type", "application/json"), *ctx.response_headers],
                            dumps(to_wire(result)).encode("utf-8"))
    for plugin in ctx.auth.plugins:
        plugin.on_response_headers(ctx, response.headers)
    return response


def too_long(exc: ValueTooLong) -> APIError:
    """400 ``VALIDATION_ERROR`` for a value its column cannot take (storage/limits.py): the
    same answer on every database, never MariaDB's 500."""
    return APIError(400, "VALIDATION_ERROR", str(exc))


def service_unavailable() -> Response:
    """503 when the database is unreachable (docs/security.md#decisions): retry, not "signed
    out"."""
    return error_response(APIError(503, "SERVICE_UNAVAILABLE", headers=[("Retry-After", "5")]))


def internal_error(request: Request | None) -> Response:
    """500 with the generic envelope; the trace goes to the log under a request id."""
    request_id = uuid.uuid4().hex[:12]
    log.exception("unhandled error in %s %s (request id %s)",
                  request.method if request else "api",
                  request.path if request else "", request_id)
    return error_response(APIError(500, "INTERNAL_SERVER_ERROR",
                                   headers=[("X-Request-Id", request_id)]))


def _copy(response: Response) -> Response:
    return Response(response.status, list(response.headers), response.body)
