"""starlette_authkit.install: one call wires FastAPI (and Starlette); /docs shows the
security schemes; a dependency in an app without it says the line to add."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette_authkit import current_session, install, require_role

from authkit import AuthKit, SessionWithUser
from authkit.plugins import bearer
from authkit.plugins.admin import admin
from tests.support import fixtures
from tests.support.fixtures import MakeAuth

clock, make_auth = fixtures.clock, fixtures.make_auth
admin_only = require_role("admin")
Session = Annotated[SessionWithUser, Depends(current_session)]
Admin = Annotated[SessionWithUser, Depends(admin_only)]


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(plugins=[bearer(), admin()])


def fastapi_app(auth: AuthKit | None) -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me(session: Session) -> dict[str, Any]:
        return {"email": session.user.email}

    @app.get("/admin/stats")
    async def stats(session: Admin) -> dict[str, Any]:
        return {"admin": session.user.email}

    @app.get("/open")
    async def open_page() -> dict[str, Any]:
        return {"open": True}

    if auth is not None:
        install(app, auth, protect=["/me"])
    return app


async def call(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as c:
        return await c.request(method, path, **kw)


def run(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    import asyncio

    return asyncio.run(call(app, method, path, **kw))


def sign_up(app: Any, email: str) -> str:
    res = run(app, "POST", "/api/auth/sign-up/email",
              json={"email": email, "password": "pass-word-1", "name": "N"})
    assert res.status_code == 200, res.text
    return res.headers["set-auth-token"]


def test_one_call_wires_handler_dependencies_and_roles(auth: AuthKit) -> None:
    app = fastapi_app(auth)
    assert run(app, "GET", "/api/auth/ok").json() == {"ok": True}
    assert run(app, "GET", "/open").json() == {"open": True}
    refused = run(app, "GET", "/me", headers={"Accept": "application/json"})
    assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED"
    token = sign_up(app, "user@example.com")
    bearer_header = {"Authorization": f"Bearer {token}"}
    assert run(app, "GET", "/me", headers=bearer_header).json() == {"email": "user@example.com"}
    forbidden = run(app, "GET", "/admin/stats", headers=bearer_header)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "FORBIDDEN"
    user = auth.storage.get_user_by_email("user@example.com")
    assert user is not None
    auth.storage.update_user(user.id, {"role": "admin"})  # as `authkit set-role` would
    again = run(app, "GET", "/admin/stats", headers=bearer_header)
    assert again.json() == {"admin": "user@example.com"}


def test_docs_show_cookie_and_bearer_schemes(auth: AuthKit) -> None:
    schema = run(fastapi_app(auth), "GET", "/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {
        "type": "apiKey", "in": "cookie", "name": "better-auth.session_token",
        "description": schemes["sessionCookie"]["description"]}
    assert schemes["bearerAuth"]["type"] == "http" and schemes["bearerAuth"]["scheme"] == "bearer"
    me = schema["paths"]["/me"]["get"]
    assert {"sessionCookie": []} in me["security"] and {"bearerAuth": []} in me["security"]
    assert "security" not in schema["paths"]["/open"]["get"]
    # The documented parameters are not query parameters a client must send.
    assert not me.get("parameters")


def test_dependency_without_install_names_the_line_to_add(caplog) -> None:
    res = run(fastapi_app(None), "GET", "/me")
    assert res.status_code == 500
    assert "starlette_authkit.install(app, auth)" in res.json()["detail"]
    assert any("starlette_authkit.install(app, auth)" in r.getMessage() for r in caplog.records)


def test_install_on_starlette_and_twice_is_refused(auth: AuthKit) -> None:
    @requires("authenticated")
    async def members(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"hi {request.user.display_name}")

    app = Starlette(routes=[Route("/members", members)])
    install(app, auth)
    token = sign_up(app, "s@example.com")
    res = run(app, "GET", "/members", headers={"Authorization": f"Bearer {token}"})
    assert res.text == "hi N"
    with pytest.raises(RuntimeError, match="already called"):
        install(app, auth)


def test_forbidden_page_callback(auth: AuthKit) -> None:
    from authkit.http import Response

    app = FastAPI()

    @app.get("/admin/panel")
    async def panel() -> dict[str, Any]:
        return {"panel": True}

    install(app, auth, roles={"/admin/*": "admin"},
            forbidden_page=lambda request: f"<p>not for you: {request.path}</p>")
    token = sign_up(app, "f@example.com")
    res = run(app, "GET", "/admin/panel",
              headers={"Authorization": f"Bearer {token}", "Accept": "text/html"})
    assert res.status_code == 403 and res.text == "<p>not for you: /admin/panel</p>"
    assert res.headers["cache-control"] == "no-store"

    other = FastAPI()
    other.get("/admin/panel")(panel)
    install(other, auth, roles={"/admin/*": "admin"},
            forbidden_page=lambda request: Response(403, [("X-Page", "own")], b"own page"))
    res = run(other, "GET", "/admin/panel",
              headers={"Authorization": f"Bearer {token}", "Accept": "text/html"})
    assert (res.status_code, res.text, res.headers["x-page"]) == (403, "own page", "own")
