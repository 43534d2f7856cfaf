"""authkit's middleware against the frameworks' own authentication, per request, in-process.

    pip install -e '.[bench]'            # Flask-Login and Starlette, for this benchmark only
    python bench/middleware_vs_frameworks.py                # 7 interleaved rounds of 2,000
    python bench/middleware_vs_frameworks.py --rounds 9 --requests 5000

A trivial protected route (``GET /dashboard`` answering ``ok``) called in-process with a
signed-in user's cookies, bare and behind each authentication stack; the figure is the
overhead per request (wrapped minus bare, in µs of this process's CPU time, all threads):

* ASGI: authkit's ``AuthMiddleware`` with the compact cookie cache, against Starlette's
  ``SessionMiddleware`` + ``AuthenticationMiddleware`` with a backend reading the user id
  from the signed session and ``@requires("authenticated")`` on the route.
* WSGI: authkit's ``AuthMiddleware`` with the compact cookie cache, against Flask's session
  + Flask-Login's ``login_required``, its ``user_loader`` reading the user from the same
  SQLite database (one held ``sqlite3`` connection: the cheapest load there is).

Every stack is measured in the same rounds (bare, A, B, bare, A, B, ...) so that load from
other processes falls on all alike; the median round is reported, with the ratio
authkit/framework (the target: at most 1.5). Never run from a test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authkit import AuthKit
from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
TARGET = 1.5


def make_auth(db: Path, *, cookie_cache: bool) -> tuple[AuthKit, str, str]:
    """A migrated AuthKit with one user: it, the user's Cookie header, the user id."""
    session: dict[str, Any] = {"cookie_cache": {"enabled": True}} if cookie_cache else {}
    auth = AuthKit(secret=SECRET, database=f"sqlite:///{db}", base_url="http://localhost:3000",
                   email_and_password={"enabled": True}, session=session)
    auth.migrate()
    email = f"bench-{time.time_ns()}@example.com"
    out = auth.api.sign_up_email(body={"email": email, "name": "Bench",
                                       "password": "correct-horse-1"}, return_headers=True)
    cookies = [line.split(";", 1)[0] for line in out.headers.get_all("set-cookie")]
    return auth, "; ".join(c for c in cookies if not c.endswith("=")), out.response.user.id


def cpu_per_call(call: Callable[[], None], n: int) -> float:
    """Seconds of process CPU time (every thread: the ASGI hand-off runs in one) per call."""
    start = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - start) / n


# -- ASGI ------------------------------------------------------------------------------------


def starlette_apps(user_id: str) -> tuple[Any, Any, str]:
    """(bare app, app behind SessionMiddleware + AuthenticationMiddleware, its cookie)."""
    from starlette.applications import Starlette
    from starlette.authentication import (
        AuthCredentials,
        AuthenticationBackend,
        SimpleUser,
        requires,
    )
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    class SessionUser(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> Any:
            uid = conn.session.get("user_id")
            if uid is None:
                return None
            return AuthCredentials(["authenticated"]), SimpleUser(uid)

    async def bare(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    @requires("authenticated")
    async def protected(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def login(request: Request) -> PlainTextResponse:
        request.session["user_id"] = user_id
        return PlainTextResponse("ok")

    bare_app = Starlette(routes=[Route("/dashboard", bare)])
    wrapped = Starlette(
        routes=[Route("/dashboard", protected), Route("/login", login)],
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET),
                    Middleware(AuthenticationMiddleware, backend=SessionUser())])
    with TestClient(wrapped) as client:
        res = client.get("/login")
        cookie = "session=" + res.cookies["session"]
    return bare_app, wrapped, cookie


def asgi_caller(app: Any, cookie: str, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    headers = [(b"host", b"localhost:3000"), (b"cookie", cookie.encode()),
               (b"accept", b"text/html"), (b"user-agent", b"bench")]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def one() -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "path": "/dashboard", "raw_path": b"/dashboard",
                 "root_path": "", "query_string": b"", "headers": headers, "scheme": "http",
                 "client": ("127.0.0.1", 50000), "server": ("localhost", 3000)}
        await app(scope, receive, send)

    def call() -> None:
        loop.run_until_complete(one())

    call()
    assert statuses[-1] == 200, f"the protected route answered {statuses[-1]}"
    return call


# -- WSGI ------------------------------------------------------------------------------------


def flask_apps(db: Path, user_id: str) -> tuple[Any, Any, str]:
    """(bare Flask app, Flask app with Flask-Login's login_required, its session cookie)."""
    import flask_login
    from flask import Flask

    bare = Flask("bare")

    @bare.get("/dashboard")
    def bare_dashboard() -> str:
        return "ok"

    app = Flask("flask_login_app")
    app.secret_key = SECRET
    manager = flask_login.LoginManager(app)
    conn = sqlite3.connect(db, check_same_thread=False)

    class User(flask_login.UserMixin):
        def __init__(self, row: tuple[Any, ...]) -> None:
            self.id, self.name, self.email = row

    @manager.user_loader
    def load_user(uid: str) -> User | None:
        row = conn.execute('SELECT id, name, email FROM "user" WHERE id = ?', (uid,)).fetchone()
        return None if row is None else User(row)

    @app.get("/dashboard")
    @flask_login.login_required
    def dashboard() -> str:
        return "ok"

    @app.get("/login")
    def login() -> str:
        user = load_user(user_id)
        assert user is not None
        flask_login.login_user(user)
        return "ok"

    client = app.test_client()
    client.get("/login", environ_base={"REMOTE_ADDR": "127.0.0.1"},
               headers={"User-Agent": "bench"})
    cookie = client.get_cookie("session")
    assert cookie is not None
    return bare, app, f"session={cookie.value}"


def wsgi_caller(app: Any, cookie: str) -> Callable[[], None]:
    base = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/dashboard",
            "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "3000",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost:3000", "HTTP_COOKIE": cookie, "HTTP_ACCEPT": "text/html",
            "HTTP_USER_AGENT": "bench", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "wsgi.version": (1, 0)}
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    def call() -> None:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(b"")
        body = app(environ, start_response)
        b"".join(body)
        close = getattr(body, "close", None)
        if close is not None:
            close()

    call()
    assert statuses[-1].startswith("200"), f"the protected route answered {statuses[-1]}"
    return call


# -- the run ---------------------------------------------------------------------------------


def measure(cases: dict[str, Callable[[], None]], rounds: int, n: int) -> dict[str, float]:
    """Median CPU seconds per call of each case, over interleaved rounds."""
    for call in cases.values():
        cpu_per_call(call, max(50, n // 10))  # warm-up
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            times[name].append(cpu_per_call(call, n))
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, medians: dict[str, float], ours: str, theirs: str) -> None:
    bare = medians["bare"]
    print(title)
    for name, value in medians.items():
        extra = "" if name == "bare" else f"   overhead {(value - bare) * 1e6:7.1f} us"
        print(f"  {name:<34} {value * 1e6:8.1f} us/request{extra}")
    ratio = (medians[ours] - bare) / (medians[theirs] - bare)
    verdict = "meets" if ratio <= TARGET else "misses"
    print(f"  overhead ratio {ours} / {theirs} = {ratio:.2f} ({verdict} the <= {TARGET} target)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round (2000)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (7)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{args.rounds} rounds of {args.requests} requests, CPU time per request")
    with tempfile.TemporaryDirectory(prefix="authkit-mw-") as tmp:
        db = Path(tmp) / "bench.db"
        cached, cached_cookie, user_id = make_auth(db, cookie_cache=True)
        plain, plain_cookie, _ = make_auth(Path(tmp) / "plain.db", cookie_cache=False)

        loop = asyncio.new_event_loop()
        try:
            bare_s, starlette_auth, starlette_cookie = starlette_apps(user_id)
            asgi = measure({
                "bare": asgi_caller(bare_s, starlette_cookie, loop),
                "authkit (cookie cache)": asgi_caller(
                    ASGIAuthMiddleware(bare_s, cached, protect=["/dashboard"]), cached_cookie,
                    loop),
                "starlette session+authentication": asgi_caller(
                    starlette_auth, starlette_cookie, loop),
                "authkit (no cache, database)": asgi_caller(
                    ASGIAuthMiddleware(bare_s, plain, protect=["/dashboard"]), plain_cookie,
                    loop),
            }, args.rounds, args.requests)
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
        report("ASGI: Starlette route, in-process", asgi, "authkit (cookie cache)",
               "starlette session+authentication")

        bare_f, flask_login_app, flask_cookie = flask_apps(db, user_id)
        wsgi = measure({
            "bare": wsgi_caller(bare_f, flask_cookie),
            "authkit (cookie cache)": wsgi_caller(
                WSGIAuthMiddleware(bare_f, cached, protect=["/dashboard"]), cached_cookie),
            "flask session+flask-login": wsgi_caller(flask_login_app, flask_cookie),
            "authkit (no cache, database)": wsgi_caller(
                WSGIAuthMiddleware(bare_f, plain, protect=["/dashboard"]), plain_cookie),
        }, args.rounds, args.requests)
        report("WSGI: Flask route, in-process", wsgi, "authkit (cookie cache)",
               "flask session+flask-login")
        for auth in (cached, plain):
            auth.storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
