"""Benchmark: a trivial app, bare and behind AuthMiddleware, on a protected route.

In-process (a WSGI call and an ASGI call, no network), with a valid session cookie; prints
requests per second and the wrapped/bare ratio, with and without the cookie cache. The
target (issue 3): with the cookie cache the wrapped app keeps at least 80% of the bare rate.

    python bench/middleware.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authkit import AuthKit
from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
TARGET = 0.80


def make_auth(directory: Path, *, cookie_cache: bool) -> tuple[AuthKit, str]:
    """A migrated AuthKit with one user; returns it and that user's Cookie header."""
    session: dict[str, Any] = {}
    if cookie_cache:
        session["cookie_cache"] = {"enabled": True}
    auth = AuthKit(secret=SECRET, database=f"sqlite:///{directory}/bench-{cookie_cache}.db",
                   base_url="http://localhost:3000", email_and_password={"enabled": True},
                   session=session)
    auth.migrate()
    out = auth.api.sign_up_email(body={"email": "bench@example.com", "name": "Bench",
                                       "password": "correct-horse-1"}, return_headers=True)
    cookies = [line.split(";", 1)[0] for line in out.headers.get_all("set-cookie")]
    return auth, "; ".join(c for c in cookies if not c.endswith("="))


# -- WSGI ----------------------------------------------------------------------------------


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def wsgi_rate(app: Any, cookie: str, requests: int) -> float:
    base = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/dashboard",
            "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "3000",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "localhost:3000", "HTTP_COOKIE": cookie,
            "HTTP_ACCEPT": "text/html", "wsgi.url_scheme": "http"}
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    def one() -> None:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(b"")
        b"".join(app(environ, start_response))

    one()
    assert statuses[-1].startswith("200"), f"protected route answered {statuses[-1]}"
    return _rate(one, requests)


# -- ASGI ----------------------------------------------------------------------------------


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def asgi_rate(app: Any, cookie: str, requests: int) -> float:
    headers = [(b"host", b"localhost:3000"), (b"cookie", cookie.encode()),
               (b"accept", b"text/html")]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> float:
        async def one() -> None:
            scope = {"type": "http", "method": "GET", "path": "/dashboard", "root_path": "",
                     "query_string": b"", "headers": headers, "scheme": "http",
                     "client": ("127.0.0.1", 50000)}
            await app(scope, receive, send)

        await one()
        assert statuses[-1] == 200, f"protected route answered {statuses[-1]}"
        start = time.perf_counter()
        for _ in range(requests):
            await one()
        return requests / (time.perf_counter() - start)

    return asyncio.run(run())


def _rate(call: Callable[[], None], requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        call()
    return requests / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=3000,
                        help="requests per measurement (default 3000)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the dev-secret and similar notices are not the point
    n = args.requests
    print(f"AuthMiddleware overhead, protected route with a valid session, {n} requests each")
    print(f"{'interface':<10} {'cookie cache':<14} {'bare req/s':>12} {'wrapped req/s':>14} "
          f"{'ratio':>7} {'added per request':>18}")
    with tempfile.TemporaryDirectory() as tmp:
        for cache in (False, True):
            auth, cookie = make_auth(Path(tmp), cookie_cache=cache)
            assert not cache or ".session_data=" in cookie, "the cache cookie was not issued"
            label = "on" if cache else "off"
            wrapped_w = WSGIAuthMiddleware(wsgi_app, auth, protect=["/dashboard"])
            wrapped_a = ASGIAuthMiddleware(asgi_app, auth, protect=["/dashboard"])
            for name, rate, bare, wrapped in (("WSGI", wsgi_rate, wsgi_app, wrapped_w),
                                              ("ASGI", asgi_rate, asgi_app, wrapped_a)):
                bare_rps = rate(bare, cookie, n)
                wrapped_rps = rate(wrapped, cookie, n)
                ratio = wrapped_rps / bare_rps
                # The bare app does nothing, so the ratio mostly says how little that is; the
                # middleware's own cost per request is the figure an application adds.
                added_us = (1 / wrapped_rps - 1 / bare_rps) * 1e6
                print(f"{name:<10} {label:<14} {bare_rps:>12,.0f} {wrapped_rps:>14,.0f} "
                      f"{ratio:>7.1%} {added_us:>15,.1f} µs")
            auth.storage.engine.dispose()
        print(f"target: wrapped >= {TARGET:.0%} of bare with the cookie cache on")


if __name__ == "__main__":
    main()
