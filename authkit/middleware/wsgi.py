"""``AuthMiddleware`` for WSGI: the auth handler at ``base_path``, path rules for the rest.

A thin shell around ``authkit.middleware``: it translates the environ, resolves the session
only when a rule needs it (or the app asks), and adds the core's cookies to the app's
response. Everything per request lives in locals and in the environ, never on ``self``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import APIError
from ..http import error_response
from ..roles import role_model
from ..storage import StorageUnavailable
from ..wsgi import Environ, StartResponse, environ_headers, send, wsgi_path, wsgi_text
from .request_auth import RequestAuth
from .rules import (
    AuthRules,
    MiddlewareOptions,
    Verdict,
    judge,
    merge_set_cookies,
)

if TYPE_CHECKING:
    from ..core import AuthKit

# Where the app finds this request's ``RequestAuth`` (the same name as in the ASGI scope).
# ``authkit.session`` is the earlier name of the same object, kept for existing apps.
ENVIRON_KEY = "authkit.auth"
LEGACY_ENVIRON_KEY = "authkit.session"


class AuthMiddleware:
    """Wrap a WSGI app: ``app = AuthMiddleware(app, auth, protect=["/dashboard/:path*"])``.

    Requests below ``auth.base_path`` go to the auth handler; the rest go to ``app`` after the
    path rules (see ``authkit.middleware.AuthRules`` for ``protect``, ``public``,
    ``auth_pages``, ``roles``, ``sign_in_path``, ``after_sign_in_path``, ``api_paths``,
    ``is_api_request``, ``forbidden_page`` and ``credentials``). The app finds a
    ``RequestAuth`` in ``environ["authkit.auth"]``: falsy when nobody is signed in;
    ``.session`` and ``.user`` (``None`` when signed out) look the session up on first use.
    """

    def __init__(self, app: Any, auth: AuthKit, options: MiddlewareOptions | None = None,
                 **kwargs: Any) -> None:
        self.app = app
        self.auth = auth
        self.rules = AuthRules(MiddlewareOptions.build(options, kwargs),
                               base_path=auth.base_path, access=role_model(auth))
        self.handler = auth.wsgi_app()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        full_path, _ = wsgi_path(environ)
        if self.rules.is_auth_path(full_path):
            return self.handler(environ, start_response)
        # Rules see PATH_INFO under SCRIPT_NAME, exactly what the app's router sees
        # (docs/security.md#middleware).
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        state = RequestAuth(
            self.auth, lambda: environ_headers(environ), rules=self.rules, method=method,
            root=wsgi_text(environ.get("SCRIPT_NAME", "")),
            path=wsgi_text(environ.get("PATH_INFO", "")) or "/",
            query_string=environ.get("QUERY_STRING", ""),
        )
        environ[ENVIRON_KEY] = environ[LEGACY_ENVIRON_KEY] = state
        plan = self.rules.plan(method, state.path)
        if plan.needs_session:
            try:
                # Role and permission rules decide from the store, never the cookie cache.
                verdict = judge(plan, state.resolve(fresh=bool(plan.requirements)))
            except StorageUnavailable:
                verdict = judge(plan, None, unavailable=True)
            except APIError as exc:  # an API key over its limit: 429 with its details
                if exc.status != 429:
                    raise  # a fault (500 FAILED_TO_GET_SESSION) surfaces as the server's 500
                return send(error_response(exc), start_response)
            if verdict is not Verdict.ALLOW:
                return send(state.refusal(verdict), start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if state.set_cookies:
                taken = [v for k, v in headers if k.lower() == "set-cookie"]
                headers = [*headers, *(("Set-Cookie", line) for line in
                                       merge_set_cookies(taken, state.set_cookies))]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)  # type: ignore[no-any-return]
        except APIError as exc:
            # require_session() and friends raise these from plain handlers.
            response = error_response(exc)
            response.headers.extend(("Set-Cookie", c) for c in state.set_cookies)
            return send(response, start_response, sys.exc_info())
        except StorageUnavailable:
            return send(state.refusal(Verdict.UNAVAILABLE), start_response, sys.exc_info())

