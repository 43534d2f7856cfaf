"""The middleware's role and permission rules read the admin plugin's role model
(issue 5 item 5): comma-joined roles, the default role, custom roles, admin_user_ids."""

from __future__ import annotations

from typing import Any

import pytest

from authkit import ASGIAuthMiddleware, WSGIAuthMiddleware, require_role
from authkit.errors import APIError, ConfigError
from authkit.http import Headers
from authkit.middleware import RequestAuth
from authkit.plugins.admin import DEFAULT_STATEMENTS, create_access_control
from authkit.tokens import sign

from ...support.clients import HTTPClient
from .conftest import PASSWORD, ROLES, Cast


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"app"})


RULES = {"/admin/*": "admin", "/reports/*": {"report": ["read"]},
         "/people/*": {"user": ["list"]}, "/members/*": "user"}


def client_for(cast: Cast, name: str | None) -> HTTPClient:
    middleware = WSGIAuthMiddleware if cast.kind == "wsgi" else ASGIAuthMiddleware
    app = middleware(wsgi_app if cast.kind == "wsgi" else asgi_app, cast.auth, roles=RULES)
    client = HTTPClient(cast.kind, app)
    if name is not None:
        res = client.post("/api/auth/sign-in/email",
                          json={"email": f"{name}@example.com", "password": PASSWORD})
        assert res.status == 200, res.body
    return client


def status(client: HTTPClient, path: str) -> int:
    return client.get(path, headers={"Accept": "application/json"}).status


def test_role_and_permission_rules(make_cast: Any) -> None:
    ac = create_access_control({**DEFAULT_STATEMENTS, "report": ["read"]})
    cast = make_cast(roles={**ROLES, "analyst": ac.new_role({"report": ["read"]})})
    cast.user("both", ["user", "admin"])
    cast.user("analyst", "analyst")
    cast.user("legacy", None)
    cast.auth.db.update_user(None, cast.ids["legacy"], {"role": None})
    expected = {
        # who: (/admin/x, /reports/x, /people/x, /members/x)
        "both": (200, 403, 200, 200),   # "user,admin" passes an admin rule
        "root": (200, 403, 200, 403),
        "alice": (403, 403, 403, 200),
        "analyst": (403, 200, 403, 403),
        "support": (403, 403, 200, 403),
        "owner": (403, 200, 200, 200),  # admin_user_ids pass every permission rule
        "legacy": (403, 403, 403, 200),  # no stored role: the default role "user"
    }
    paths = ("/admin/x", "/reports/x", "/people/x", "/members/x")
    for who, statuses in expected.items():
        client = client_for(cast, who)
        assert tuple(status(client, p) for p in paths) == statuses, who
    anonymous = client_for(cast, None)
    assert status(anonymous, "/reports/x") == 401


def test_guards_read_the_role_model(cast: Cast) -> None:
    cast.user("legacy", None)
    cast.auth.db.update_user(None, cast.ids["legacy"], {"role": None})
    token = cast.auth.api.sign_in_email(body={"email": "legacy@example.com",
                                              "password": PASSWORD}).token
    cookie = f"better-auth.session_token={sign(token, cast.auth.secrets)}"
    state = RequestAuth(cast.auth, lambda: Headers({"cookie": cookie}))
    assert state.roles() == frozenset({"user"})
    assert require_role(state, "user").user.id == cast.ids["legacy"]
    with pytest.raises(APIError) as err:
        require_role(state, "admin")
    assert err.value.status == 403


def test_permission_rules_need_the_admin_plugin(make_auth: Any) -> None:
    with pytest.raises(ConfigError, match="needs the admin"):
        WSGIAuthMiddleware(wsgi_app, make_auth(), roles={"/r/*": {"report": ["read"]}})
