"""What the middleware hands the app, and ``auth.async_api``.

The state is under one key, ``"authkit.auth"``, in a WSGI environ and an ASGI scope alike,
and it is falsy for an anonymous visitor: ``if environ["authkit.auth"]:`` never lets one in.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import pytest

from authkit import APIError, AuthKit
from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.http import Headers
from authkit.middleware import RequestAuth
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware

from .support import fixtures
from .support.fixtures import SECRET

clock, make_auth = fixtures.clock, fixtures.make_auth


def cookie_of(auth: AuthKit, email: str = "ann@example.com") -> str:
    out = auth.api.sign_up_email(body={"email": email, "password": "pass-word-1",
                                       "name": "Ann"}, return_headers=True)
    return out.headers.get("set-cookie").split(";", 1)[0]


def wsgi_call(app: Any, cookie: str | None) -> dict[str, Any]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/page", "SCRIPT_NAME": "",
               "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "3000",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
               "HTTP_HOST": "localhost:3000"}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    assert status[0].startswith("200")
    return dict(json.loads(body))


def wsgi_page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    auth_state = environ["authkit.auth"]
    seen = {"truthy": bool(auth_state),
            "user": auth_state.user.email if auth_state.user else None,
            "same_object": environ["authkit.session"] is auth_state}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


def test_wsgi_state_is_falsy_when_signed_out(make_auth):
    auth = make_auth()
    app = WSGIAuthMiddleware(wsgi_page, auth)
    assert wsgi_call(app, None) == {"truthy": False, "user": None, "same_object": True}
    assert wsgi_call(app, cookie_of(auth)) == {"truthy": True, "user": "ann@example.com",
                                               "same_object": True}


async def asgi_call(app: Any, cookie: str | None) -> dict[str, Any]:
    headers = [(b"host", b"localhost:3000")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"type": "http", "method": "GET", "path": "/page", "root_path": "",
             "query_string": b"", "headers": headers, "scheme": "http"}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return dict(json.loads(b"".join(m.get("body", b"") for m in sent)))


async def asgi_page(scope: dict[str, Any], receive: Any, send: Any) -> None:
    state: RequestAuth = scope["authkit.auth"]
    try:
        bool(state)  # not loaded yet: would block the loop, so it refuses
        early = "answered"
    except RuntimeError as exc:
        early = "await scope['authkit.auth'].load()" in str(exc) and "refused"
    await state.load()
    seen = {"early": early, "truthy": bool(state),
            "user": state.user.email if state.user else None,
            "same_object": scope["authkit"] is state}
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


def test_asgi_state_has_the_same_key_and_is_falsy_when_signed_out(make_auth):
    auth = make_auth()
    app = ASGIAuthMiddleware(asgi_page, auth)
    cookie = cookie_of(auth)
    assert asyncio.run(asgi_call(app, None)) == {
        "early": "refused", "truthy": False, "user": None, "same_object": True}
    assert asyncio.run(asgi_call(app, cookie)) == {
        "early": "refused", "truthy": True, "user": "ann@example.com", "same_object": True}


def test_repr_says_what_it_holds(make_auth):
    auth = make_auth()
    state = RequestAuth(auth, Headers)
    assert repr(state) == "<RequestAuth (not loaded yet)>"
    assert not state
    assert repr(state) == "<RequestAuth signed_in=False user_id=None>"


# -- auth.async_api ------------------------------------------------------------------------


def test_async_api_has_every_endpoint(make_auth):
    auth = make_auth()
    assert dir(auth.async_api) == dir(auth.api)
    with pytest.raises(AttributeError, match="available:"):
        auth.async_api.no_such_endpoint  # noqa: B018


def test_async_api_returns_and_raises_like_the_sync_one(make_auth):
    auth = make_auth()

    async def flow() -> None:
        out = await auth.async_api.sign_up_email(
            body={"email": "b@example.com", "password": "pass-word-1", "name": "B"},
            return_headers=True)
        cookie = out.headers.get("set-cookie").split(";", 1)[0]
        session = await auth.async_api.get_session(headers={"cookie": cookie})
        assert session.user.email == "b@example.com"
        with pytest.raises(APIError) as info:
            await auth.async_api.sign_in_email(body={"email": "b@example.com",
                                                     "password": "wrong-pass"})
        assert info.value.code == "INVALID_EMAIL_OR_PASSWORD"

    asyncio.run(flow())


def test_async_api_does_not_block_the_event_loop(tmp_path):
    # The real scrypt cost (Better Auth's parameters): tens of milliseconds of hashing.
    auth = AuthKit(secret=SECRET, database=f"sqlite:///{tmp_path}/a.db",
                   email_and_password={"enabled": True})
    auth.migrate()

    async def flow() -> tuple[int, float]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        await auth.async_api.sign_up_email(body={"email": "c@example.com",
                                                 "password": "pass-word-1", "name": "C"})
        elapsed = time.perf_counter() - started
        done.set()
        await task
        return ticks, elapsed

    ticks, elapsed = asyncio.run(flow())
    # The loop kept running while the sign-up hashed: roughly one tick per millisecond.
    assert elapsed > 0.01 and ticks >= 5


def test_api_client_address_is_recorded_on_new_sessions(make_auth):
    auth = make_auth()
    out = auth.api.sign_up_email(body={"email": "ip@example.com", "password": "pass-word-1",
                                       "name": "I"}, headers={}, client="203.0.113.9")
    assert out.user.email == "ip@example.com"
    session = auth.api.get_session(headers={"cookie": cookie_of(auth, "other@example.com")})
    assert not session.session.ip_address  # no client given: nothing is made up
    signed_in = auth.api.sign_in_email(body={"email": "ip@example.com",
                                             "password": "pass-word-1"},
                                       headers={}, client="203.0.113.9", return_headers=True)
    cookie = signed_in.headers.get("set-cookie").split(";", 1)[0]
    assert auth.api.get_session(headers={"cookie": cookie}).session.ip_address == "203.0.113.9"
