"""One role model through every entry point (authkit.roles).

A stored role is split as Better Auth splits it (on ``,``, no trimming) and an empty one means
the admin plugin's default role. The core (the admin plugin's has-permission), the WSGI and
ASGI middleware's role rules, the ``require_role`` helper, the Flask decorator and the
Starlette ``@requires`` scopes and dependency must all give the same answer for one user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, request
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from authkit import ASGIAuthMiddleware, AuthKit, User, WSGIAuthMiddleware
from authkit.helpers import require_role
from authkit.plugins.admin import admin
from authkit.roles import split_roles, user_roles
from tests.support import fixtures
from tests.support.clients import HTTPClient
from tests.support.fixtures import MakeAuth

clock, make_auth = fixtures.clock, fixtures.make_auth
PASSWORD = "correct-horse-1"
JSON = {"Accept": "application/json"}

# (stored role, admin plugin's default_role, is an admin, holds the default role)
CASES = [
    ("user,admin", "user", True, True),
    ("user, admin", "user", False, True),   # holds " admin", which is not "admin"
    (None, "user", False, True),
    ("", "user", False, True),
    (None, "member", False, True),
    ("user,admin", "member", True, False),
    ("", "member", False, True),
]


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


async def _asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"app"})


def flask_app(auth: AuthKit, default_role: str) -> Flask:
    from flask_authkit import FlaskAuthKit, role_required

    app = Flask(__name__)
    app.config["AUTHKIT_ROLES"] = {"/rule/admin": "admin", "/rule/default": default_role}
    FlaskAuthKit(app, auth=auth)

    @app.get("/deco/admin")
    @role_required("admin")
    def deco_admin() -> str:
        return "ok"

    @app.get("/deco/default")
    @role_required(default_role)
    def deco_default() -> str:
        return "ok"

    @app.get("/helper/<role>")
    def helper(role: str) -> str:
        return require_role(request, role).user.email

    @app.get("/current/<role>")
    def current(role: str) -> tuple[str, int]:
        from flask_authkit import current_user

        return ("ok", 200) if role in current_user.roles else ("no", 403)

    for path in ("/rule/admin", "/rule/default"):
        app.add_url_rule(path, path, lambda: "ok")
    return app


def starlette_app(auth: AuthKit, default_role: str) -> Starlette:
    from starlette_authkit import authkit_middleware
    from starlette_authkit import require_role as depends_role

    def gate(role: str) -> Any:
        @requires(role, status_code=403)
        async def scoped(request: Request) -> PlainTextResponse:
            return PlainTextResponse("ok")
        return scoped

    def dependency(role: str) -> Any:
        check = depends_role(role)

        async def endpoint(request: Request) -> PlainTextResponse:
            await check(request)
            return PlainTextResponse("ok")
        return endpoint

    async def plain(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    routes = [Route("/scope/admin", gate("admin")), Route("/scope/default", gate(default_role)),
              Route("/dep/admin", dependency("admin")),
              Route("/dep/default", dependency(default_role)),
              Route("/rule/admin", plain), Route("/rule/default", plain)]
    return Starlette(routes=routes, middleware=authkit_middleware(
        auth, roles={"/rule/admin": "admin", "/rule/default": default_role}))


def signed_in(kind: str, app: Any) -> HTTPClient:
    client = HTTPClient(kind, app)
    res = client.post("/api/auth/sign-in/email",
                      json={"email": "pat@example.com", "password": PASSWORD})
    assert res.status == 200, res.body
    return client


def status(client: HTTPClient, path: str) -> int:
    return client.get(path, headers=JSON).status


@pytest.mark.parametrize(("stored", "default_role", "is_admin", "has_default"), CASES)
def test_every_entry_point_reads_one_role_model(
        make_auth: MakeAuth, stored: str | None, default_role: str, is_admin: bool,
        has_default: bool) -> None:
    auth = make_auth(plugins=[admin(default_role=default_role)])
    created = auth.api.create_user(body={"email": "pat@example.com", "password": PASSWORD,
                                         "name": "Pat", "role": "user"})["user"]
    auth.db.update_user(None, created.id, {"role": stored})
    want = {"admin": 200 if is_admin else 403, "default": 200 if has_default else 403}

    # The core: the admin plugin's own permission check, over HTTP with the user's session.
    core = signed_in("wsgi", auth.wsgi_app())
    res = core.post("/api/auth/admin/has-permission", json={"permissions": {"user": ["list"]}})
    assert res.status == 200 and res.json["success"] is is_admin

    seen: dict[str, int] = {}
    for kind, middleware, inner in (("wsgi", WSGIAuthMiddleware, _wsgi_app),
                                    ("asgi", ASGIAuthMiddleware, _asgi_app)):
        client = signed_in(kind, middleware(inner, auth, roles={
            "/rule/admin": "admin", "/rule/default": default_role}))
        for gate in ("admin", "default"):
            seen[f"{kind} middleware rule {gate}"] = status(client, f"/rule/{gate}")

    flask = signed_in("wsgi", flask_app(auth, default_role))
    for gate, role in (("admin", "admin"), ("default", default_role)):
        seen[f"flask AUTHKIT_ROLES {gate}"] = status(flask, f"/rule/{gate}")
        seen[f"flask role_required {gate}"] = status(flask, f"/deco/{gate}")
        seen[f"require_role helper {gate}"] = status(flask, f"/helper/{role}")
        seen[f"flask current_user.roles {gate}"] = status(flask, f"/current/{role}")

    star = signed_in("asgi", starlette_app(auth, default_role))
    for gate in ("admin", "default"):
        seen[f"starlette rule {gate}"] = status(star, f"/rule/{gate}")
        seen[f"starlette @requires {gate}"] = status(star, f"/scope/{gate}")
        seen[f"starlette require_role {gate}"] = status(star, f"/dep/{gate}")

    expected = {name: want[name.rsplit(" ", 1)[1]] for name in seen}
    assert seen == expected


def test_without_the_admin_plugin_the_default_role_is_user() -> None:
    now = datetime.now(UTC)
    user = User("u1", "A", "a@x.com", False, None, now, now, {"role": "user, admin"})
    assert user_roles(user) == {"user", " admin"}
    assert user_roles(User("u2", "B", "b@x.com", False, None, now, now)) == {"user"}
    assert split_roles("", "member") == ["member"]
