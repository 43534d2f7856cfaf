"""The freshness rule: only "who is signed in" may be answered from the cookie cache.

Every endpoint declares where its session may come from (``Endpoint.freshness``); the
registry test walks every endpoint of an AuthKit built with every plugin authkit ships, so a
plugin added later is covered without editing this file. The behaviour tests replay, over
HTTP and on SQLite, PostgreSQL and MariaDB, the cases where a cached copy granted what the
store refused: listing sessions and accounts, the middleware's role rules, ``require_role``
and the adapters' role guards, after a sign-out, a revocation or a demotion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from authkit import AuthKit, FieldSpec
from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.endpoints.context import Context
from authkit.endpoints.registry import Endpoint, endpoint
from authkit.errors import ConfigError
from authkit.helpers import require_role
from authkit.plugins.base import Plugin
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware
from tests.support.all_plugins import shipped_plugins
from tests.support.clients import HTTPClient, make_client
from tests.support.fixtures import MakeAuth

CACHE = {"cookie_cache": {"enabled": True, "max_age": 300}}
ROLE = FieldSpec("role", "string", input=False, default="user")
JSON = {"Accept": "application/json"}
# The endpoints that may answer from the cookie cache, each with why. Anything else reads the
# store; adding a name here is a security decision to be reviewed.
CACHE_ALLOWED = {
    "get_session": "reports the caller's own session; ?disableCookieCache=true reads the store",
}


# -- the registry --------------------------------------------------------------------------


def test_plugins_are_found() -> None:
    ids = {p.id for p in shipped_plugins()}
    assert {"admin", "bearer"} <= ids


def test_every_endpoint_declares_its_freshness(make_auth: MakeAuth) -> None:
    """Core and every shipped plugin: "store" unless listed in ``CACHE_ALLOWED``."""
    auth = make_auth(plugins=shipped_plugins())
    endpoints = list(auth.registry)
    assert len(endpoints) > 20
    for ep in endpoints:
        expected = "cache" if ep.name in CACHE_ALLOWED else "store"
        assert ep.freshness == expected, f"{ep.name} ({ep.plugin or 'core'}): {ep.freshness}"
    for name in CACHE_ALLOWED:
        assert auth.registry.get(name) is not None, f"{name} is no longer registered"


def test_unknown_freshness_is_refused() -> None:
    with pytest.raises(ConfigError, match="freshness"):
        endpoint("x", "/x", "GET", lambda ctx: None, freshness="cookie")


class _Secrets(Plugin):
    """A plugin endpoint written without a word about freshness."""

    id = "secrets-demo"

    def endpoints(self) -> Sequence[Endpoint]:
        def reveal(ctx: Context) -> dict[str, Any]:
            return {"user": ctx.require_session().user.id, "secret": "s3cret"}

        return [endpoint("reveal_secret", "/reveal-secret", "GET", reveal)]


def test_undeclared_plugin_endpoint_reads_the_store(make_auth: MakeAuth, kind: str) -> None:
    """A plugin endpoint that never mentions freshness refuses a signed-out cached session."""
    auth = make_auth(session=CACHE, plugins=[_Secrets()])
    assert auth.registry.get("reveal_secret").freshness == "store"  # type: ignore[union-attr]
    client = make_client(kind, auth)
    _sign_up(client)
    stolen = dict(client.jar)
    assert client.get("/api/auth/reveal-secret").status == 200
    assert client.post("/api/auth/sign-out").status == 200
    old = HTTPClient(kind, client.app, jar=stolen)
    assert old.get("/api/auth/get-session").json is not None  # the cache's window
    assert old.get("/api/auth/reveal-secret").status == 401


# -- finding 1: list-sessions and list-accounts --------------------------------------------


def _sign_up(client: HTTPClient, email: str = "alice@example.com") -> None:
    res = client.post("/api/auth/sign-up/email",
                      json={"email": email, "password": "correct-horse-1", "name": "Alice"})
    assert res.status == 200, res.body


def _sign_in(client: HTTPClient, email: str = "alice@example.com") -> None:
    res = client.post("/api/auth/sign-in/email",
                      json={"email": email, "password": "correct-horse-1"})
    assert res.status == 200, res.body


@pytest.mark.parametrize("ending", ["sign-out", "revoke-sessions", "revoke-other-sessions"])
def test_ended_session_lists_nothing_from_its_cache(make_auth: MakeAuth, db_url: str,
                                                    kind: str, ending: str) -> None:
    """A session ended in the store gets 401 from list-sessions and list-accounts while its
    ``session_data`` cookie is still valid, and learns no live token."""
    auth = make_auth(database=db_url, session=CACHE)
    old = make_client(kind, auth)
    _sign_up(old)
    assert old.get("/api/auth/list-sessions").status == 200
    stolen = dict(old.jar)
    other = make_client(kind, auth)
    _sign_in(other)
    if ending == "sign-out":
        assert old.post("/api/auth/sign-out").status == 200
    else:
        assert other.post(f"/api/auth/{ending}").status == 200
    old = HTTPClient(kind, old.app, jar=stolen)
    assert old.get("/api/auth/get-session").json is not None  # still inside the window
    for path in ("/api/auth/list-sessions", "/api/auth/list-accounts"):
        res = old.get(path)
        assert res.status == 401, (path, res.body)
        if ending == "revoke-other-sessions":
            assert other.jar["better-auth.session_token"].split(".")[0].encode() not in res.body


# -- finding 2: the middleware's role rules, require_role, the adapters -------------------


def _app(kind: str, auth: AuthKit, **options: Any) -> Any:
    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"admin page"]

    async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"admin page"})

    if kind == "wsgi":
        return WSGIAuthMiddleware(wsgi_app, auth, **options)
    return ASGIAuthMiddleware(asgi_app, auth, **options)


def _set_role(auth: AuthKit, email: str, role: str) -> None:
    user = auth.storage.get_user_by_email(email)
    assert user is not None
    auth.storage.update_user(user.id, {"role": role})


@pytest.mark.parametrize("change", ["demoted", "revoked"])
def test_middleware_roles_decide_from_the_store(make_auth: MakeAuth, db_url: str, kind: str,
                                                change: str) -> None:
    auth = make_auth(database=db_url, session=CACHE, user={"additional_fields": [ROLE]})
    app = _app(kind, auth, roles={"/admin/*": "admin"})
    client = HTTPClient(kind, app)
    _sign_up(client)
    _set_role(auth, "alice@example.com", "admin")
    _sign_in(client)  # a cache that says "admin"
    assert client.get("/admin/users", headers=JSON).status == 200
    if change == "demoted":
        _set_role(auth, "alice@example.com", "user")
        expected = 403
    else:
        stolen = dict(client.jar)
        assert client.post("/api/auth/sign-out").status == 200
        client = HTTPClient(kind, app, jar=stolen)
        expected = 401
    assert client.get("/api/auth/get-session").json is not None  # the cache still answers
    assert client.get("/admin/users", headers=JSON).status == expected


def test_require_role_decides_from_the_store(make_auth: MakeAuth, kind: str) -> None:
    auth = make_auth(session=CACHE, user={"additional_fields": [ROLE]})

    def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        session = require_role(environ, "admin")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [session.user.email.encode()]

    client = HTTPClient("wsgi", WSGIAuthMiddleware(page, auth))
    _sign_up(client)
    _set_role(auth, "alice@example.com", "admin")
    _sign_in(client)
    assert client.get("/page", headers=JSON).status == 200
    _set_role(auth, "alice@example.com", "user")
    assert client.get("/page", headers=JSON).status == 403


def test_flask_role_required_decides_from_the_store(make_auth: MakeAuth) -> None:
    flask = pytest.importorskip("flask")
    from flask_authkit import FlaskAuthKit, role_required

    auth = make_auth(session=CACHE, user={"additional_fields": [ROLE]})
    app = flask.Flask(__name__)

    @app.get("/admin")
    @role_required("admin")
    def admin_page() -> str:
        return "admin page"

    FlaskAuthKit(app, auth=auth)
    client = HTTPClient("wsgi", app)
    _sign_up(client)
    _set_role(auth, "alice@example.com", "admin")
    _sign_in(client)
    assert client.get("/admin", headers=JSON).status == 200
    _set_role(auth, "alice@example.com", "user")
    assert client.get("/admin", headers=JSON).status == 403


def test_starlette_role_guards_decide_from_the_store(make_auth: MakeAuth) -> None:
    pytest.importorskip("starlette")
    pytest.importorskip("fastapi")
    from fastapi import Depends, FastAPI
    from starlette.authentication import requires
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette_authkit import authkit_middleware
    from starlette_authkit import require_role as role_dependency

    auth = make_auth(session=CACHE, user={"additional_fields": [ROLE]})
    app = FastAPI(middleware=authkit_middleware(auth))

    @app.get("/dep", dependencies=[Depends(role_dependency("admin"))])
    async def dep() -> dict[str, bool]:
        return {"ok": True}

    @requires("admin")
    async def scope(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.add_route("/scope", scope)  # a plain Starlette route: request passed as is

    client = HTTPClient("asgi", app)
    _sign_up(client)
    _set_role(auth, "alice@example.com", "admin")
    _sign_in(client)
    assert client.get("/dep").status == 200
    assert client.get("/scope").status == 200
    _set_role(auth, "alice@example.com", "user")
    assert client.get("/dep").status == 403
    assert client.get("/scope").status == 403
