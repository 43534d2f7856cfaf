"""AuthMiddleware over WSGI and ASGI: every case runs on both (``kind``), plus the sans-IO core.

docs/security.md#redirects, docs/security.md#middleware of docs/security.md are here, each named in
its test.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import shutil
import socketserver
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from authkit import AuthKit, FieldSpec
from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.errors import APIError, ConfigError
from authkit.helpers import require_session
from authkit.middleware import (
    AuthMiddlewareWarning,
    AuthRules,
    RequestAuth,
    canonical_path,
    compile_pattern,
    local_target,
    merge_set_cookies,
    safe_redirect_path,
    user_roles,
)
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware
from tests.support import fixtures
from tests.support.clients import HTTPClient
from tests.support.fixtures import Clock, MakeAuth

# The shared fixtures, bound here so this module runs whatever the root conftest registers.
clock, kind, make_auth = fixtures.clock, fixtures.kind, fixtures.make_auth

ROLE = FieldSpec("role", "string", input=False, default="user")
HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


# -- apps and a raw-request harness ----------------------------------------------------------


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A catch-all app: 200 for every path, reporting the session it sees."""
    state = environ.get("authkit.auth")
    session = state.session if isinstance(state, RequestAuth) else None
    body = json.dumps({"app": True, "path": environ.get("PATH_INFO"),
                       "user": session.user.email if session else None}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same catch-all app over ASGI (plus a WebSocket echo of the user)."""
    if scope["type"] == "lifespan":
        message = await receive()
        await send({"type": "lifespan.startup.complete", "seen": message["type"]})
        return
    state = scope.get("authkit.auth")
    session = await state.load() if isinstance(state, RequestAuth) else None
    user = session.user.email if session else None
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": f"hello {user}"})
        await send({"type": "websocket.close", "code": 1000})
        return
    body = json.dumps({"app": True, "path": scope["path"], "user": user}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@dataclass
class Raw:
    """A response from the raw harness."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def raw_call(kind: str, app: Any, method: str, target: str,
             headers: dict[str, str] | None = None, *, script_name: str = "") -> Raw:
    """Send a request-target exactly as a server hands it on: the path percent-decoded
    (``PATH_INFO`` / ``scope["path"]``), nothing else normalized; no client in between."""
    raw_path, _, query = target.partition("?")
    decoded = unquote(raw_path)
    hdrs = {"Host": "localhost:3000", **(headers or {})}
    if kind == "wsgi":
        import io

        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": script_name,
            "PATH_INFO": decoded.encode("utf-8").decode("latin-1"), "QUERY_STRING": query,
            "SERVER_NAME": "localhost", "SERVER_PORT": "3000", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
            "REQUEST_URI": script_name + target,
        }
        for key, value in hdrs.items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        out: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> None:
            out["status"], out["headers"] = int(status.split()[0]), headers

        body = b"".join(app(environ, start_response))
        return Raw(out["status"], out["headers"], body)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": script_name + decoded, "root_path": script_name,
        "raw_path": (script_name + raw_path).encode(), "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in hdrs.items()],
        "client": ("127.0.0.1", 50000), "server": ("localhost", 3000),
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in messages if m["type"] == "http.response.start")
    return Raw(start["status"],
               [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]],
               b"".join(m.get("body", b"") for m in messages
                        if m["type"] == "http.response.body"))


def wrap(kind: str, auth: AuthKit, **options: Any) -> Any:
    """The catch-all app of ``kind`` behind the middleware of ``kind``."""
    if kind == "wsgi":
        return WSGIAuthMiddleware(wsgi_app, auth, **options)
    return ASGIAuthMiddleware(asgi_app, auth, **options)


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(user={"additional_fields": [ROLE]})


def signed_up(kind: str, app: Any, email: str = "alice@example.com") -> HTTPClient:
    """A client with a session cookie for a new user (signed up through the middleware)."""
    client = HTTPClient(kind, app)
    res = client.post("/api/auth/sign-up/email",
                      json={"email": email, "password": "correct-horse-1", "name": "Alice"})
    assert res.status == 200, res.body
    return client


def set_role(auth: AuthKit, email: str, role: str) -> None:
    user = auth.storage.get_user_by_email(email)
    assert user is not None
    auth.storage.update_user(user.id, {"role": role})


# -- mounting and the lazy session -----------------------------------------------------------


def test_auth_handler_is_mounted_at_base_path(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/:path*"], public=["/"])
    client = HTTPClient(kind, app)
    assert client.get("/api/auth/ok").json == {"ok": True}
    signed = signed_up(kind, app)
    session = signed.get("/api/auth/get-session").json
    assert session["user"]["email"] == "alice@example.com"


def test_no_database_work_unless_asked(kind: str, auth: AuthKit,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = auth.db.get_session_with_user
    monkeypatch.setattr(auth.db, "get_session_with_user",
                        lambda token: calls.append(token) or real(token))

    def quiet_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"ok"]

    async def quiet_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    inner = quiet_wsgi if kind == "wsgi" else quiet_asgi
    mw = (WSGIAuthMiddleware if kind == "wsgi" else ASGIAuthMiddleware)(
        inner, auth, protect=["/dashboard"])
    client = signed_up(kind, mw)
    calls.clear()
    assert client.get("/about").body == b"ok"
    assert calls == []
    assert client.get("/dashboard").status == 200
    assert len(calls) == 1


def test_app_sees_its_session(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/dashboard/:path*"])
    client = signed_up(kind, app)
    assert client.get("/dashboard/x").json == {"app": True, "path": "/dashboard/x",
                                               "user": "alice@example.com"}
    assert HTTPClient(kind, app).get("/open").json["user"] is None


# -- protect, public, auth pages, roles ------------------------------------------------------


def test_protected_html_redirects_with_callback(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/dashboard/:path*"])
    res = raw_call(kind, app, "GET", "/dashboard/reports?year=2026&q=a%20b", HTML)
    assert res.status == 302
    assert res.header("Location") == (
        "/sign-in?callbackURL=%2Fdashboard%2Freports%3Fyear%3D2026%26q%3Da%2520b")
    assert res.header("Cache-Control") == "no-store"


def test_protected_api_gets_401_envelope(kind: str, auth: AuthKit) -> None:
    """docs/security.md#middleware: anonymous ``Accept: application/json`` → 401 JSON envelope."""
    app = wrap(kind, auth, protect=["/dashboard/:path*"])
    res = raw_call(kind, app, "GET", "/dashboard", JSON)
    assert res.status == 401
    assert res.header("Content-Type") == "application/json"
    assert res.json == {"message": "Unauthorized", "code": "UNAUTHORIZED"}
    assert res.header("Location") is None


def test_api_paths_always_get_401(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/api/:path*"])
    res = raw_call(kind, app, "GET", "/api/reports", HTML)
    assert res.status == 401


def test_api_detection_is_configurable(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/:path*"], public=["/"],
               is_api_request=lambda request: request.path.endswith(".json"))
    assert raw_call(kind, app, "GET", "/data.json", HTML).status == 401
    assert raw_call(kind, app, "GET", "/page", JSON).status == 302


def test_sec77_head_is_protected_like_get_and_options_passes(kind: str, auth: AuthKit) -> None:
    """docs/security.md#middleware: HEAD is protected like GET; OPTIONS reaches the app (CORS
    preflight)."""
    app = wrap(kind, auth, protect=["/admin/*"])
    assert raw_call(kind, app, "HEAD", "/admin/x", HTML).status == 302
    assert raw_call(kind, app, "HEAD", "/admin/x", JSON).status == 401
    res = raw_call(kind, app, "OPTIONS", "/admin/x",
                   {"Origin": "https://app.example.com",
                    "Access-Control-Request-Method": "POST"})
    assert res.status == 200 and res.json["app"] is True


def test_public_exceptions(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/:path*"], public=["/", "/static/*", "/health"])
    for path in ("/", "/static/app.css", "/static/img/a.png", "/health", "/sign-in"):
        assert raw_call(kind, app, "GET", path, HTML).status == 200, path
    for path in ("/dashboard", "/healthz", "/static2/x"):
        assert raw_call(kind, app, "GET", path, HTML).status == 302, path


def test_auth_pages_send_signed_in_users_onwards(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, auth_pages=["/sign-in", "/sign-up"],
               after_sign_in_path="/dashboard")
    assert HTTPClient(kind, app).get("/sign-in").status == 200
    client = signed_up(kind, app)
    res = client.get("/sign-up")
    assert res.status == 302 and res.header("Location") == "/dashboard"
    res = client.get("/sign-in", query={"callbackURL": "/reports?x=1"})
    assert res.header("Location") == "/reports?x=1"
    for evil in ("//evil.com", "https://evil.com/", "/\\evil.com", "/%2F%2Fevil.com"):
        res = client.get("/sign-in", query={"callbackURL": evil})
        assert res.header("Location") == "/dashboard", evil


def test_roles(kind: str, auth: AuthKit) -> None:
    """docs/security.md#middleware: signed in without the role of ``roles={"/admin/*": "admin"}`` →
    403."""
    app = wrap(kind, auth, roles={"/admin/*": "admin", "/ops/*": ["ops", "admin"]})
    client = signed_up(kind, app)
    res = client.get("/admin/users", headers=JSON)
    assert res.status == 403
    assert res.json == {"message": "Forbidden", "code": "FORBIDDEN"}
    html = client.get("/admin", headers=HTML)
    assert html.status == 403 and b"Forbidden" in html.body
    assert raw_call(kind, app, "GET", "/admin/users", HTML).status == 302  # anonymous
    set_role(auth, "alice@example.com", "user,admin")
    assert client.get("/admin/users").json["user"] == "alice@example.com"
    assert client.get("/ops/x").status == 200
    set_role(auth, "alice@example.com", "ops")
    assert client.get("/ops/x").status == 200
    assert client.get("/admin/users").status == 403


def test_role_rules_take_callables(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, roles={"/reports/*": lambda s: s.user.email.endswith("@corp.com")})
    assert signed_up(kind, app).get("/reports/1").status == 403
    assert signed_up(kind, app, "bob@corp.com").get("/reports/1").status == 200


# -- docs/security.md#middleware: path canonicalization
# -----------------------------------------------------------

BYPASS_ATTEMPTS = ["/admin", "/admin/", "/admin/x", "/ADMIN/x", "/Admin", "/admin//x",
                   "//admin/x", "/admin/./x", "/static/../admin/x", "/admin%2Fx",
                   "/adm%69n/x", "/adm%2569n/x", "/admin;x=1/y", "/admin;x", "/./admin",
                   "/admin\\x", "/%2e/admin", "/static/..%2Fadmin/x", "/static%2F..%2Fadmin"]


@pytest.mark.parametrize("target", BYPASS_ATTEMPTS)
def test_sec76_path_canonicalization(kind: str, auth: AuthKit, target: str) -> None:
    """docs/security.md#middleware: no spelling of /admin reaches the (catch-all) app
    anonymously."""
    app = wrap(kind, auth, protect=["/admin/*"], public=["/static/*"])
    html = raw_call(kind, app, "GET", target, HTML)
    api = raw_call(kind, app, "GET", target, JSON)
    assert html.status == 302 and api.status == 401, (target, html.status, api.status)


def test_sec76_rules_read_path_info_under_script_name(kind: str, auth: AuthKit) -> None:
    """Mounted under a prefix, rules match the app-relative path, the redirect keeps it."""
    app = wrap(kind, auth, protect=["/admin/*"])
    res = raw_call(kind, app, "GET", "/admin/x", HTML, script_name="/shop")
    assert res.status == 302
    assert res.header("Location") == "/shop/sign-in?callbackURL=%2Fshop%2Fadmin%2Fx"
    assert raw_call(kind, app, "GET", "/shop/admin", HTML, script_name="/shop").status == 200


def test_public_never_widens(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/:path*"], public=["/static/*", "/"])
    for target in ("/static/../dashboard", "/STATIC/x", "/static%2F..%2Fdashboard"):
        assert raw_call(kind, app, "GET", target, HTML).status == 302, target


# -- docs/security.md#redirects: open redirects
# ------------------------------------------------------------------


@pytest.mark.parametrize("target", ["//evil.com/x", "/\\evil.com", "/%2F%2Fevil.com",
                                    "///evil.com", "/%5Cevil.com", "/\\/evil.com",
                                    "//evil.com%2F..", "/%09/evil.com"])
def test_sec44_callback_never_leaves_the_site(kind: str, auth: AuthKit,
                                              target: str) -> None:
    """docs/security.md#redirects: the callbackURL of a refused request leads back on-site, through
    the sign-in
    page's validator and through authkit's own callbackURL check."""
    app = wrap(kind, auth, protect=["/:path*"], public=["/"])
    res = raw_call(kind, app, "GET", target, HTML)
    assert res.status == 302
    location = res.header("Location") or ""
    assert location.startswith("/sign-in?callbackURL=")
    assert not location.startswith("//")
    callback = parse_qs(urlsplit(location).query)["callbackURL"][0]
    assert safe_redirect_path(callback, "/fallback") == callback
    parts = urlsplit(callback)
    assert not parts.scheme and not parts.netloc and callback.startswith("/")
    assert not callback.startswith(("//", "/\\")) and "\\" not in callback
    # Fed back to authkit: the sign-in endpoint accepts it and redirects on-site.
    client = signed_up(kind, app)
    res2 = client.post("/api/auth/sign-in/email",
                       json={"email": "alice@example.com", "password": "correct-horse-1",
                             "callbackURL": callback})
    assert res2.status == 200, res2.body
    url = res2.json.get("url")
    assert url is None or not urlsplit(url).netloc or urlsplit(url).netloc == "localhost:3000"


def test_sec44_after_sign_in_path_takes_only_site_paths(auth: AuthKit) -> None:
    for bad in ("https://evil.com", "//evil.com", "/\\evil.com", "evil.com", "/%2F%2Fx",
                "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1"):
        with pytest.raises(ConfigError):
            WSGIAuthMiddleware(wsgi_app, auth, after_sign_in_path=bad)
        with pytest.raises(ConfigError):
            WSGIAuthMiddleware(wsgi_app, auth, sign_in_path=bad)
    WSGIAuthMiddleware(wsgi_app, auth, after_sign_in_path="/dashboard?tab=1")


@pytest.mark.parametrize("value", [
    "https://evil.com", "//evil.com", "/\\evil.com", "\\\\evil.com", "/%2F%2Fevil.com",
    "/%5Cevil.com", "/%252F%252Fevil.com", "javascript:alert(1)", " /x", "/x\r\nA: b",
    "http:/evil.com", "///evil.com", "", None, 42, "/" + "a" * 3000, "evil.com/x",
])
def test_safe_redirect_path_refuses(value: Any) -> None:
    assert safe_redirect_path(value, "/home") == "/home"


@pytest.mark.parametrize("value", ["/", "/dashboard", "/a/b?x=1&y=%2F", "/r#frag",
                                   "/caf%C3%A9"])
def test_safe_redirect_path_keeps_site_paths(value: str) -> None:
    assert safe_redirect_path(value, "/home") == value


def test_local_target_collapses_authorities() -> None:
    assert local_target("//evil.com/x") == "/evil.com/x"
    assert local_target("/\\evil.com") == "/evil.com"
    assert local_target("/a b/ü", "q=1 2") == "/a%20b/%C3%BC?q=1%202"
    assert local_target("/x?#", "") == "/x%3F%23"


# -- cookies forwarded from the core ---------------------------------------------------------


def test_sliding_refresh_cookie_is_forwarded(kind: str, make_auth: MakeAuth,
                                             clock: Clock) -> None:
    auth = make_auth(session={"expires_in": 120, "update_age": 60})
    app = wrap(kind, auth, protect=["/dashboard"])
    client = signed_up(kind, app)
    assert client.get("/dashboard").header_all("set-cookie") == []
    clock.advance(61)
    res = client.get("/dashboard")
    assert res.status == 200
    cookie = next(c for c in res.set_cookies if c.startswith("better-auth.session_token="))
    assert "Max-Age=120" in cookie


def test_dead_session_cookie_is_cleared(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/dashboard"])
    client = signed_up(kind, app)
    token = client.get("/api/auth/get-session").json["session"]["token"]
    auth.storage.delete_session(token)
    res = client.get("/dashboard", headers=HTML)
    assert res.status == 302
    assert any(c.startswith("better-auth.session_token=;") and "Max-Age=0" in c
               for c in res.set_cookies)
    # On a page the app renders, the clearing rides on the app's own response.
    client2 = signed_up(kind, app, "bob@example.com")
    token2 = client2.get("/api/auth/get-session").json["session"]["token"]
    auth.storage.delete_session(token2)
    res2 = client2.get("/somewhere")  # the app asks for the session
    assert res2.json["user"] is None
    assert any("Max-Age=0" in c for c in res2.set_cookies)


def test_app_cookie_wins_over_a_queued_deletion() -> None:
    ours = ["better-auth.session_token=; Max-Age=0; Path=/", "other=; Max-Age=0"]
    app = ["better-auth.session_token=new.sig; Max-Age=604800; Path=/"]
    assert merge_set_cookies(app, ours) == ["other=; Max-Age=0"]


# -- docs/security.md#middleware: outage
# --------------------------------------------------------------------------


def test_sec79_database_down_is_503_not_signed_out(kind: str, make_auth: MakeAuth,
                                                   tmp_path: Path) -> None:
    """docs/security.md#middleware: the database goes away under a signed-in user: 503 HTML or JSON,
    no
    redirect to sign-in, no cookie cleared; service resumes when it returns."""
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    auth = make_auth(database=f"sqlite:///{db_dir}/auth.db")
    app = wrap(kind, auth, protect=["/dashboard"], auth_pages=["/sign-in"])
    client = signed_up(kind, app)
    assert client.get("/dashboard").status == 200
    auth.storage.engine.dispose()
    shutil.move(db_dir, tmp_path / "gone")  # the file is unreachable: "unable to open"
    try:
        for headers, ctype in ((HTML, "text/html"), (JSON, "application/json")):
            res = client.get("/dashboard", headers=headers)
            assert res.status == 503, res.body
            assert (res.header("Content-Type") or "").startswith(ctype)
            assert res.header("Location") is None and res.set_cookies == []
            assert res.header("Retry-After")
        assert client.get("/dashboard", headers=JSON).json["code"] == "SERVICE_UNAVAILABLE"
        assert client.jar  # the browser keeps its cookie
        # An auth page passes the middleware; the app's own look-up still answers 503.
        page = client.get("/sign-in")
        assert page.status == 503 and page.set_cookies == []
    finally:
        shutil.move(tmp_path / "gone", db_dir)
    assert client.get("/dashboard").json["user"] == "alice@example.com"


# -- docs/security.md#middleware: isolation
# -----------------------------------------------------------------------


def _three_clients(kind: str, app: Any) -> list[tuple[str | None, dict[str, str]]]:
    alice = signed_up(kind, app, "alice@example.com")
    bob = signed_up(kind, app, "bob@example.com")
    return [("alice@example.com", {"Cookie": alice.cookie_header()}),
            ("bob@example.com", {"Cookie": bob.cookie_header()}),
            (None, {})]


def test_sec80_concurrent_asgi_requests_are_isolated(auth: AuthKit) -> None:
    """docs/security.md#middleware: 200 concurrent ASGI requests alternating alice, bob and
    anonymous."""
    app = ASGIAuthMiddleware(asgi_app, auth, protect=["/private"])
    who = _three_clients("asgi", app)

    async def one(index: int, gate: asyncio.Event) -> tuple[str | None, Any]:
        expected, headers = who[index % 3]
        scope = {"type": "http", "method": "GET", "path": "/page", "root_path": "",
                 "query_string": b"", "headers": [(k.lower().encode(), v.encode())
                                                  for k, v in headers.items()],
                 "client": ("127.0.0.1", 1), "scheme": "http"}
        out: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            out.append(message)

        await gate.wait()
        await app(scope, receive, send)
        body = json.loads(b"".join(m.get("body", b"") for m in out
                                   if m["type"] == "http.response.body"))
        return expected, body["user"]

    async def run() -> list[tuple[str | None, Any]]:
        gate = asyncio.Event()
        tasks = [asyncio.create_task(one(i, gate)) for i in range(200)]
        await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(*tasks)

    for _ in range(3):
        results = asyncio.run(run())
        assert all(expected == seen for expected, seen in results)
        assert {seen for _, seen in results} == {"alice@example.com", "bob@example.com", None}
    assert not any(isinstance(v, RequestAuth) for v in vars(app).values())


class _ThreadedWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_sec80_threaded_wsgi_server_isolation(auth: AuthKit) -> None:
    """docs/security.md#middleware: the same mix under a real threaded WSGI server, released by a
    barrier."""
    app = WSGIAuthMiddleware(wsgi_app, auth, protect=["/private"])
    who = _three_clients("wsgi", app)
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadedWSGIServer,
                         handler_class=_QuietHandler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    count = 30
    barrier = threading.Barrier(count)
    results: list[tuple[str | None, Any]] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        expected, headers = who[index % 3]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        conn.request("GET", "/page", headers=headers)
        seen = json.loads(conn.getresponse().read())["user"]
        conn.close()
        with lock:
            results.append((expected, seen))

    try:
        for _ in range(3):
            results.clear()
            threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert len(results) == count
            assert all(expected == seen for expected, seen in results)
    finally:
        server.shutdown()
        server.server_close()


# -- WebSockets and lifespan (ASGI only) -----------------------------------------------------


def _ws(app: Any, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    scope = {"type": "websocket", "path": path, "root_path": "", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "scheme": "ws", "subprotocols": []}
    inbox = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_websockets_follow_the_rules(make_auth: MakeAuth, tmp_path: Path) -> None:
    auth = make_auth(user={"additional_fields": [ROLE]})
    app = ASGIAuthMiddleware(asgi_app, auth, protect=["/ws/*"], roles={"/ws/admin": "admin"})
    cookie = {"Cookie": signed_up("asgi", app).cookie_header()}
    assert _ws(app, "/ws/feed", {})[-1] == {"type": "websocket.close", "code": 4401}
    assert _ws(app, "/ws/admin", cookie)[-1] == {"type": "websocket.close", "code": 4403}
    sent = _ws(app, "/ws/feed", cookie)
    assert {"type": "websocket.send", "text": "hello alice@example.com"} in sent
    assert _ws(app, "/open", {})[1] == {"type": "websocket.send", "text": "hello None"}


def test_websocket_outage_is_try_again_later(make_auth: MakeAuth, tmp_path: Path) -> None:
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    auth = make_auth(database=f"sqlite:///{db_dir}/auth.db")
    app = ASGIAuthMiddleware(asgi_app, auth, protect=["/ws/*"])
    cookie = {"Cookie": signed_up("asgi", app).cookie_header()}
    auth.storage.engine.dispose()
    shutil.move(db_dir, tmp_path / "gone")
    assert _ws(app, "/ws/feed", cookie)[-1] == {"type": "websocket.close", "code": 1013}


def test_lifespan_passes_through(auth: AuthKit) -> None:
    app = ASGIAuthMiddleware(asgi_app, auth, protect=["/:path*"], public=["/"])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == [{"type": "lifespan.startup.complete", "seen": "lifespan.startup"}]


def test_asgi_session_is_looked_up_off_the_event_loop(auth: AuthKit,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = auth.db.get_session_with_user

    def spy(token: str) -> Any:
        threads.append(threading.current_thread().name)
        return real(token)

    monkeypatch.setattr(auth.db, "get_session_with_user", spy)
    app = ASGIAuthMiddleware(asgi_app, auth, protect=["/dashboard"])
    client = signed_up("asgi", app)
    threads.clear()
    assert client.get("/dashboard").status == 200
    assert threads and threading.main_thread().name not in threads


def test_sync_session_access_on_the_loop_is_refused(auth: AuthKit) -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            _ = scope["authkit.auth"].session
        except RuntimeError as exc:
            seen.append(str(exc))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    raw_call("asgi", ASGIAuthMiddleware(app, auth), "GET", "/x")
    assert seen and "await scope['authkit.auth'].load()" in seen[0]


# -- errors raised by handlers ---------------------------------------------------------------


def test_api_errors_from_handlers_are_rendered(kind: str, auth: AuthKit) -> None:
    def guarded_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        session = require_session(environ)
        start_response("200 OK", [])
        return [session.user.email.encode()]

    async def guarded_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await scope["authkit.auth"].load()
        session = require_session(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": session.user.email.encode()})

    inner = guarded_wsgi if kind == "wsgi" else guarded_asgi
    app = (WSGIAuthMiddleware if kind == "wsgi" else ASGIAuthMiddleware)(inner, auth)
    res = raw_call(kind, app, "GET", "/report?x=1")
    assert res.status == 401 and res.json["code"] == "UNAUTHORIZED"
    assert res.header("Location") == "/sign-in?callbackURL=%2Freport%3Fx%3D1"
    assert signed_up(kind, app).get("/report").body == b"alice@example.com"


# -- the sans-IO core ------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "matches", "misses"), [
    ("/dashboard/:path*", ["/dashboard", "/dashboard/", "/dashboard/a/b"], ["/dashboards"]),
    ("/docs/:rest+", ["/docs/a", "/docs/a/b"], ["/docs", "/docs/"]),
    ("/u/:id", ["/u/1", "/u/1/"], ["/u", "/u/1/2"]),
    ("/u/:id?", ["/u", "/u/1"], ["/u/1/2"]),
    ("/admin/*", ["/admin", "/admin/", "/admin/x/y"], ["/administrator", "/"]),
    ("/a/*/c", ["/a/b/c"], ["/a/c", "/a/b/d/c"]),
    ("/a/**", ["/a", "/a/b/c"], ["/b"]),
    ("/img/*.png", ["/img/x.png"], ["/img/x.jpg", "/img/a/x.png"]),
    ("/health", ["/health", "/health/"], ["/healthz", "/health/x"]),
])
def test_compile_pattern(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = compile_pattern(pattern)
    assert all(regex.match(p) for p in matches), pattern
    assert not any(regex.match(p) for p in misses), pattern


@pytest.mark.parametrize("bad", ["dashboard", "/((?!api).*)", "/a?b", "/a/:", "/a#b", ""])
def test_bad_patterns_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        compile_pattern(bad)


def test_rule_lists_must_be_lists() -> None:
    with pytest.raises(ConfigError, match="list of patterns"):
        AuthRules(protect="/admin/*")  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "canonical"), [
    ("/admin//x", "/admin/x"), ("//admin/x", "/admin/x"), ("/admin/./x", "/admin/x"),
    ("/static/../admin/x", "/admin/x"), ("/../../admin", "/admin"), ("/adm%2569n", "/admin"),
    ("/admin;x=1/y", "/admin/y"), ("/a\\b", "/a/b"), ("/admin/", "/admin"), ("/", "/"),
])
def test_canonical_path(raw: str, canonical: str) -> None:
    assert canonical_path(raw) == canonical


def test_catch_all_warning() -> None:
    with pytest.warns(AuthMiddlewareWarning, match="match every path"):
        AuthRules(protect=["/:path*"])
    with pytest.warns(AuthMiddlewareWarning, match="never apply"):
        AuthRules(protect=["/admin/*"], public=["/*"])
    with pytest.warns(AuthMiddlewareWarning, match="redirected from every page"):
        AuthRules(auth_pages=["/**"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AuthRules(protect=["/:path*"], public=["/", "/static/*"])
        AuthRules(protect=["/admin/*"], auth_pages=["/sign-in"])


def test_sign_in_page_is_never_protected(kind: str, auth: AuthKit) -> None:
    app = wrap(kind, auth, protect=["/:path*"], public=["/"], sign_in_path="/login")
    assert raw_call(kind, app, "GET", "/login", HTML).status == 200
    assert raw_call(kind, app, "GET", "/login2", HTML).status == 302


def test_user_roles_reads_the_comma_joined_role() -> None:
    from datetime import UTC, datetime

    from authkit import User

    # Split as Better Auth splits (no trimming); no stored role is the default role "user".
    now = datetime.now(UTC)
    user = User("u1", "A", "a@x.com", False, None, now, now, {"role": "user,admin"})
    assert user_roles(user) == {"user", "admin"}
    assert user_roles(User("u2", "B", "b@x.com", False, None, now, now)) == {"user"}


def test_a_fault_in_the_session_lookup_is_not_a_signed_out_visitor(
        kind: str, auth: AuthKit, monkeypatch: pytest.MonkeyPatch) -> None:
    # get-session answers 500 FAILED_TO_GET_SESSION on an unexpected error
    # (docs/wire-compatibility.md#get-session). The
    # middleware must let that fault surface (the server's 500) rather than send a signed-in
    # user to the sign-in page as if the session were gone.
    app = wrap(kind, auth, protect=["/dashboard"])
    cookie = signed_up(kind, app).jar

    def broken(token: str) -> Any:
        raise RuntimeError("a bug in the session query")

    monkeypatch.setattr(auth.storage, "get_session_with_user", broken)
    header = "; ".join(f"{k}={v}" for k, v in cookie.items())
    with pytest.raises(APIError) as raised:
        raw_call(kind, app, "GET", "/dashboard", {**HTML, "Cookie": header})
    assert (raised.value.status, raised.value.code) == (500, "FAILED_TO_GET_SESSION")
