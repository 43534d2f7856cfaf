"""``AuthMiddleware`` for ASGI: the auth handler at ``base_path``, path rules for the rest.

The same decisions as the WSGI middleware (``authkit.middleware``). Session look-ups run in a
worker thread, never on the event loop. WebSocket scopes obey the same rules: a refused
handshake is accepted and closed at once with 4401 (no session), 4403 (missing role) or
1013 (session store down), so the client can tell why; the app never sees it. Lifespan and
other scope types pass straight through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..asgi import Message, Receive, Scope, Send, scope_headers, send_response
from ..errors import APIError
from ..http import error_response
from ..roles import role_model
from ..storage import StorageUnavailable
from .request_auth import RequestAuth
from .rules import (
    WS_CLOSE_CODES,
    AuthRules,
    MiddlewareOptions,
    Verdict,
    judge,
    merge_set_cookies,
)

if TYPE_CHECKING:
    from ..core import AuthKit

# Where the app finds this request's ``RequestAuth`` (the same name as in a WSGI environ).
# ``authkit`` is the earlier name of the same object, kept for existing apps.
SCOPE_KEY = "authkit.auth"
LEGACY_SCOPE_KEY = "authkit"


class AuthMiddleware:
    """Wrap an ASGI app: ``app = AuthMiddleware(app, auth, protect=["/dashboard/:path*"])``.

    Options as the WSGI ``AuthMiddleware`` (see ``authkit.middleware.AuthRules``). The app
    finds a ``RequestAuth`` in ``scope["authkit.auth"]``: ``await scope["authkit.auth"].load()``
    gives the session (``None`` when signed out).
    """

    def __init__(self, app: Any, auth: AuthKit, options: MiddlewareOptions | None = None,
                 **kwargs: Any) -> None:
        self.app = app
        self.auth = auth
        self.rules = AuthRules(MiddlewareOptions.build(options, kwargs),
                               base_path=auth.base_path, access=role_model(auth))
        self.handler = auth.asgi_app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path", "")
        path = scope.get("path", "/")
        # ASGI servers put root_path in front of path; the router matches what follows it.
        if root and path.startswith(root):
            full_path, route_path = path, path[len(root):] or "/"
        else:
            full_path, route_path = root + path, path
        if kind == "http" and self.rules.is_auth_path(full_path):
            await self.handler(scope, receive, send)
            return
        method = "GET" if kind == "websocket" else str(scope.get("method", "GET")).upper()
        state = RequestAuth(
            self.auth, lambda: scope_headers(scope), rules=self.rules, method=method,
            root=root, path=route_path,
            query_string=scope.get("query_string", b"").decode("latin-1"), is_async=True,
        )
        scope[SCOPE_KEY] = scope[LEGACY_SCOPE_KEY] = state
        plan = self.rules.plan(method, route_path)
        if plan.needs_session:
            try:
                # Role and permission rules decide from the store, never the cookie cache.
                verdict = judge(plan, await state.load(fresh=bool(plan.requirements)))
            except StorageUnavailable:
                verdict = judge(plan, None, unavailable=True)
            except APIError as exc:  # an API key over its limit: 429 with its details
                if exc.status != 429:
                    raise  # a fault (500 FAILED_TO_GET_SESSION) surfaces as the server's 500
                if kind == "websocket":
                    await _close_websocket(receive, send, 1013)
                else:
                    await send_response(error_response(exc), send)
                return
            if kind == "websocket" and verdict is Verdict.SIGNED_IN:
                verdict = Verdict.ALLOW  # "go to the dashboard" means nothing to a socket
            if verdict is not Verdict.ALLOW:
                if kind == "websocket":
                    await _close_websocket(receive, send, WS_CLOSE_CODES[verdict])
                else:
                    await send_response(state.refusal(verdict), send)
                return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_cookies(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if state.set_cookies:
                    headers = list(message.get("headers", []))
                    taken = [v.decode("latin-1") for k, v in headers
                             if k.lower() == b"set-cookie"]
                    headers.extend((b"set-cookie", line.encode("latin-1"))
                                   for line in merge_set_cookies(taken, state.set_cookies))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookies)
        except APIError as exc:
            if started:
                raise
            # require_session() and the FastAPI dependencies raise these from handlers.
            response = error_response(exc)
            response.headers.extend(("Set-Cookie", c) for c in state.set_cookies)
            await send_response(response, send)
        except StorageUnavailable:
            if started:
                raise
            await send_response(state.refusal(Verdict.UNAVAILABLE), send)


async def _close_websocket(receive: Receive, send: Send, code: int) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    # Accept, then close: a close before accept becomes a bare HTTP 403 and the code is lost.
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code})
