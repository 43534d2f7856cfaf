"""A percent-encoded spelling of a route is not that route: 404, before the rate limiter.

``POST /api/auth/sign-in%2Femail`` (also ``%2f``, ``/sign-in/%65mail``, ``/api/%61uth/…``)
was served by sign-in, so a proxy rule written for ``/api/auth/sign-in/email`` (deny, rate
limit, WAF) did not see it. Better Auth routes the raw path and answers 404; authkit now
routes the decoded path only when it is the same path. Checked through the WSGI and ASGI
apps and the middleware with the raw request-target a server hands on, and over a socket
against ``authkit serve``.
"""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from authkit import AuthKit
from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.pipeline import is_alias
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware
from tests.support.clients import make_client
from tests.support.fixtures import SECRET, MakeAuth
from tests.support.live_servers import Server, authkit_server

ALIASES = ["/api/auth/sign-in%2Femail", "/api/auth/sign-in%2femail",
           "/api/auth/sign-in/%65mail", "/api/%61uth/sign-in/email",
           "/api/auth/%73ign-in/email", "/api/auth/sign-in/emai%6C", "/api/auth/sign%2Din/email",
           "/%61pi/auth/sign-in/email"]
CREDENTIALS = {"email": "alice@example.com", "password": "correct-horse-1"}


def test_is_alias() -> None:
    assert all(is_alias(a) for a in ALIASES)
    # Reserved or non-ASCII characters are legitimately encoded: not aliases.
    for raw in ("/api/auth/sign-in/email", "/api/auth/reset-password/a%20b",
                "/api/auth/reset-password/%C3%A9", "/api/auth/x%3Fy", "/api/auth/x%25"):
        assert not is_alias(raw), raw


def _call(kind: str, app: Any, method: str, target: str, body: dict[str, Any] | None = None
          ) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request with ``target`` as the raw request-target, the path decoded as servers
    decode it (PATH_INFO / scope["path"]), nothing else normalised."""
    raw_path, _, query = target.partition("?")
    decoded = unquote(raw_path)
    payload = json.dumps(body).encode() if body is not None else b""
    headers = {"host": "localhost:3000", "origin": "http://localhost:3000",
               "content-type": "application/json", "content-length": str(len(payload))}
    if kind == "wsgi":
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "",
            "PATH_INFO": decoded.encode("utf-8").decode("latin-1"), "QUERY_STRING": query,
            "SERVER_NAME": "localhost", "SERVER_PORT": "3000", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(payload),
            "REQUEST_URI": target, "CONTENT_TYPE": headers["content-type"],
            "CONTENT_LENGTH": headers["content-length"],
        }
        for key, value in headers.items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        out: dict[str, Any] = {}

        def start_response(status: str, hdrs: list[tuple[str, str]], exc: Any = None) -> None:
            out["status"], out["headers"] = int(status.split()[0]), hdrs

        data = b"".join(app(environ, start_response))
        return out["status"], out["headers"], data

    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": decoded, "root_path": "",
             "raw_path": raw_path.encode(), "query_string": query.encode(),
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("localhost", 3000)}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return (start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]], data)


def _auth(make_auth: MakeAuth) -> AuthKit:
    auth = make_auth(rate_limit={"enabled": True})
    res = make_client("wsgi", auth).post("/api/auth/sign-up/email",
                                         json={**CREDENTIALS, "name": "Alice"})
    assert res.status == 200
    return auth


def _apps(kind: str, auth: AuthKit) -> list[Any]:
    """The bare handler and the handler behind the middleware (with a protected app)."""
    if kind == "wsgi":
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"app"]

        return [auth.wsgi_app(), WSGIAuthMiddleware(app, auth, protect=["/app/:path*"])]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"app"})

    return [auth.asgi_app(), ASGIAuthMiddleware(asgi_app, auth, protect=["/app/:path*"])]


@pytest.mark.parametrize("alias", ALIASES)
def test_alias_is_not_routed(make_auth: MakeAuth, kind: str, alias: str) -> None:
    auth = _auth(make_auth)
    for app in _apps(kind, auth):
        status, headers, _ = _call(kind, app, "POST", alias, CREDENTIALS)
        assert status == 404, (alias, app)
        assert not [v for k, v in headers if k.lower() == "set-cookie"]


def test_alias_does_not_use_the_routes_rate_limit(make_auth: MakeAuth, kind: str) -> None:
    """Sign-in allows 3 requests per 10 s: aliases neither reach nor count against it."""
    auth = _auth(make_auth)
    app = _apps(kind, auth)[1]
    for alias in ALIASES * 2:
        assert _call(kind, app, "POST", alias, CREDENTIALS)[0] == 404
    answers = [_call(kind, app, "POST", "/api/auth/sign-in/email", CREDENTIALS)[0]
               for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_encoded_reserved_characters_still_route(make_auth: MakeAuth, kind: str) -> None:
    """A parameter may carry reserved or non-ASCII characters, percent-encoded as it must."""
    auth = _auth(make_auth)
    for target in ("/api/auth/reset-password/a%20b?callbackURL=/x",
                   "/api/auth/reset-password/%C3%A9?callbackURL=/x"):
        status, headers, _ = _call(kind, auth.wsgi_app() if kind == "wsgi"
                                   else auth.asgi_app(), "GET", target)
        location = next(v for k, v in headers if k.lower() == "location")
        assert status == 302 and "INVALID_TOKEN" in location


# -- over a socket, against `authkit serve` -------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir: Path = tmp_path_factory.mktemp("aliases")
    with authkit_server(workdir, database_url=f"sqlite:///{workdir}/auth.db",
                        secret=SECRET) as running:
        yield running


def _raw_http(server: Server, method: str, target: str, body: dict[str, Any]) -> int:
    host, port = server.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        # skip_host + an explicit request-target: http.client sends it byte for byte.
        conn.request(method, target, body=json.dumps(body),
                     headers={"Content-Type": "application/json", "Origin": server.base_url})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_aliases_over_http(server: Server) -> None:
    sign_up = {**CREDENTIALS, "name": "Alice"}
    assert _raw_http(server, "POST", "/api/auth/sign-up/email", sign_up) == 200
    for alias in ALIASES:
        assert _raw_http(server, "POST", alias, CREDENTIALS) == 404, alias
    assert _raw_http(server, "POST", "/api/auth/sign-in/email", CREDENTIALS) == 200
