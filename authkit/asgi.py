"""ASGI translation: the auth handler as an ASGI application.

The core is synchronous; every call that may touch the database or hash a password runs in a
worker thread, so the event loop is never blocked. A cookie-cache hit, which needs neither, is
answered on the loop when nothing configured for it may block (loop_guard.py).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from .errors import APIError
from .http import Headers, Request, Response, error_response
from .loop_guard import (
    handle_without_blocking,
    is_cache_route,
    may_answer_from_cache,
    read_executor,
)

if TYPE_CHECKING:
    from .core import AuthKit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: An ASGI application (what ``AuthKit.asgi_app()`` returns).
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def read_body(receive: Receive, headers: Headers, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes; more raises a 413 ``APIError``."""
    length = headers.get("content-length")
    if length is not None:
        try:
            if int(length) > limit:
                raise APIError(413, "PAYLOAD_TOO_LARGE")
        except ValueError:
            raise APIError(400, "BAD_REQUEST", "Invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise APIError(413, "PAYLOAD_TOO_LARGE")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def scope_headers(scope: Scope) -> Headers:
    """Request headers from an ASGI scope."""
    return Headers([(k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in scope.get("headers", [])])


def to_request(scope: Scope, headers: Headers, body: bytes) -> Request:
    """A ``Request`` value from an ASGI scope."""
    client = scope.get("client")
    raw = scope.get("raw_path")
    root = scope.get("root_path", "")
    path = scope.get("path", "/")
    if root and not path.startswith(root):
        path = root + path
    return Request(
        method=scope.get("method", "GET").upper(),
        path=path,
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        client=client[0] if client else None,
        scheme=scope.get("scheme", "http"),
        raw_path=raw.decode("latin-1").split("?", 1)[0] if raw else None,
    )


async def send_response(response: Response, send: Send) -> None:
    """Hand a ``Response`` to the ASGI server."""
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


class ASGIHandler:
    """The auth endpoints as an ASGI app; lifespan events are acknowledged."""

    def __init__(self, auth: AuthKit) -> None:
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = scope_headers(scope)
        try:
            body = await read_body(receive, headers, self.auth.options.advanced.max_body_size)
        except APIError as exc:
            await send_response(error_response(exc), send)
            return
        request = to_request(scope, headers, body)
        call: Any = self.auth.handle
        pool = None
        if is_cache_route(self.auth, request):
            pool = read_executor()  # never queued behind sign-ins' password hashes
            if may_answer_from_cache(self.auth, headers, http=True):
                # A cookie-cache hit needs no I/O: answered here, without the thread hand-off.
                answered = handle_without_blocking(self.auth, request)
                if answered is not None:
                    await send_response(answered, send)
                    return
                call = functools.partial(self.auth.pipeline.handle, count=False)
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(pool, call, request)
        await send_response(response, send)


async def lifespan(receive: Receive, send: Send) -> None:
    """Answer lifespan startup/shutdown so servers run the app without complaint."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
