"""The Starlette/FastAPI adapter: request.user, @requires, dependencies, mount, websockets."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from starlette_authkit import (
    AuthKitUser,
    api_error_response,
    auth_mount,
    authkit_middleware,
    current_session,
    optional_session,
    require_role,
)

from authkit import APIError, AuthKit, FieldSpec, SessionWithUser
from authkit.helpers import require_session, with_auth
from tests.support import fixtures
from tests.support.clients import HTTPClient
from tests.support.fixtures import MakeAuth

clock, make_auth = fixtures.clock, fixtures.make_auth
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
ROLE = FieldSpec("role", "string", input=False, default="user")
admin_only = require_role("admin")  # module level: FastAPI resolves annotations in globals


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(user={"additional_fields": [ROLE]})


def starlette_app(auth: AuthKit, **rules: Any) -> Starlette:
    async def whoami(request: Request) -> JSONResponse:
        user = request.user
        return JSONResponse({"authenticated": user.is_authenticated,
                             "name": user.display_name, "scopes": request.auth.scopes})

    @requires("authenticated")
    async def members(request: Request) -> PlainTextResponse:
        assert isinstance(request.user, AuthKitUser)
        return PlainTextResponse(f"members {request.user.user.email}")

    @requires("admin", status_code=403)
    async def admin(request: Request) -> PlainTextResponse:
        return PlainTextResponse("admin area")

    def sync_helper(request: Request) -> PlainTextResponse:
        return PlainTextResponse(require_session(request).user.email)

    @with_auth
    async def plain(request: Request, session: SessionWithUser) -> PlainTextResponse:
        return PlainTextResponse(f"plain {session.user.name}")

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(f"hi {websocket.user.display_name}")
        await websocket.close()

    return Starlette(
        routes=[Route("/whoami", whoami), Route("/members", members),
                Route("/admin", admin), Route("/helper", sync_helper),
                Route("/plain", plain), WebSocketRoute("/ws/feed", socket)],
        middleware=authkit_middleware(auth, **rules),
    )


def signed_up(app: Any, email: str = "alice@example.com") -> HTTPClient:
    client = HTTPClient("asgi", app)
    res = client.post("/api/auth/sign-up/email",
                      json={"email": email, "password": "correct-horse-1", "name": "Alice"})
    assert res.status == 200, res.body
    return client


def make_admin(auth: AuthKit, email: str = "alice@example.com") -> None:
    user = auth.storage.get_user_by_email(email)
    assert user is not None
    auth.storage.update_user(user.id, {"role": "user,admin"})


def test_request_user_and_auth(auth: AuthKit) -> None:
    app = starlette_app(auth)
    anon = HTTPClient("asgi", app)
    assert anon.get("/api/auth/ok").json == {"ok": True}
    assert anon.get("/whoami").json == {"authenticated": False, "name": "", "scopes": []}
    client = signed_up(app)
    assert client.get("/whoami").json == {"authenticated": True, "name": "Alice",
                                          "scopes": ["authenticated", "user"]}


def test_requires_decorator(auth: AuthKit) -> None:
    app = starlette_app(auth)
    assert HTTPClient("asgi", app).get("/members").status == 403  # Starlette's own answer
    client = signed_up(app)
    assert client.get("/members").body == b"members alice@example.com"
    assert client.get("/admin").status == 403
    make_admin(auth)
    assert client.get("/admin").body == b"admin area"


def test_rules_apply_before_starlette(auth: AuthKit) -> None:
    app = starlette_app(auth, protect=["/members"], roles={"/admin": "admin"})
    anon = HTTPClient("asgi", app)
    res = anon.get("/members", headers=HTML)
    assert res.status == 302 and res.header("Location") == "/sign-in?callbackURL=%2Fmembers"
    assert anon.get("/members", headers=JSON).json["code"] == "UNAUTHORIZED"
    assert signed_up(app).get("/admin", headers=JSON).json["code"] == "FORBIDDEN"


def test_helpers_take_starlette_requests(auth: AuthKit) -> None:
    app = starlette_app(auth)
    anon = HTTPClient("asgi", app)
    assert anon.get("/helper").status == 401
    assert anon.get("/plain").status == 401
    client = signed_up(app)
    assert client.get("/helper").body == b"alice@example.com"
    assert client.get("/plain").body == b"plain Alice"


def _ws(app: Any, path: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """One WebSocket handshake against the ASGI app; the messages it sent back."""
    scope = {"type": "websocket", "path": path, "root_path": "", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "scheme": "ws", "subprotocols": []}
    inbox = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_websocket_through_the_adapter(auth: AuthKit) -> None:
    app = starlette_app(auth, protect=["/ws/*"])
    assert _ws(app, "/ws/feed", {})[-1] == {"type": "websocket.close", "code": 4401}
    cookie = signed_up(app).cookie_header()
    sent = _ws(app, "/ws/feed", {"Cookie": cookie})
    assert any(m.get("text") == "hi Alice" for m in sent)


def test_backend_outage_is_503(make_auth: MakeAuth, tmp_path: Path) -> None:
    """docs/security.md#middleware through the adapter: request.user on an unreachable database is a
    503."""
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    auth = make_auth(database=f"sqlite:///{db_dir}/auth.db")
    app = starlette_app(auth)
    client = signed_up(app)
    auth.storage.engine.dispose()
    shutil.move(db_dir, tmp_path / "gone")
    res = client.get("/whoami", headers=JSON)
    assert res.status == 503 and res.json["code"] == "SERVICE_UNAVAILABLE"
    assert res.set_cookies == []


def fastapi_app(auth: AuthKit) -> FastAPI:
    api = FastAPI(middleware=authkit_middleware(auth))

    @api.get("/me")
    async def me(session: Annotated[SessionWithUser, Depends(current_session)]) -> Any:
        return {"email": session.user.email}

    @api.get("/maybe")
    async def maybe(session: Annotated[SessionWithUser | None,
                                       Depends(optional_session)]) -> Any:
        return {"email": session.user.email if session else None}

    @api.get("/admin/stats")
    async def stats(session: Annotated[SessionWithUser, Depends(admin_only)]) -> Any:
        return {"admin": session.user.email}

    return api


def test_fastapi_dependencies(auth: AuthKit) -> None:
    api = fastapi_app(auth)
    anon = HTTPClient("asgi", api)
    res = anon.get("/me?x=1")
    assert res.status == 401 and res.json == {"message": "Unauthorized",
                                              "code": "UNAUTHORIZED"}
    assert res.header("Location") == "/sign-in?callbackURL=%2Fme%3Fx%3D1"
    assert anon.get("/maybe").json == {"email": None}
    assert anon.get("/admin/stats").status == 401
    client = signed_up(api)
    assert client.get("/me").json == {"email": "alice@example.com"}
    assert client.get("/maybe").json == {"email": "alice@example.com"}
    res = client.get("/admin/stats")
    assert res.status == 403 and res.json["code"] == "FORBIDDEN"
    make_admin(auth)
    assert client.get("/admin/stats").json == {"admin": "alice@example.com"}


def test_mount_and_error_handler_without_middleware(auth: AuthKit) -> None:
    async def boom(request: Request) -> PlainTextResponse:
        raise APIError(409, "CONFLICT", "Already there")

    app = Starlette(routes=[auth_mount(auth), Route("/boom", boom)],
                    exception_handlers={APIError: api_error_response})
    client = HTTPClient("asgi", app)
    assert client.get("/api/auth/ok").json == {"ok": True}
    res = client.get("/boom")
    assert res.status == 409 and res.json == {"message": "Already there", "code": "CONFLICT"}


def test_missing_starlette_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "starlette.authentication", None)
    monkeypatch.delitem(sys.modules, "starlette_authkit")
    with pytest.raises(ImportError, match=r"pip install 'authkit-server\[starlette\]'"):
        importlib.import_module("starlette_authkit")
