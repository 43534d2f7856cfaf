"""Middleware rules on the active organization, decided from the store (also with the
cookie cache on, whose cached session may still name an organization the user left)."""

from __future__ import annotations

from typing import Any

import pytest

from authkit.asgi_middleware import AuthMiddleware as ASGIAuthMiddleware
from authkit.errors import ConfigError
from authkit.plugins.organization import organization
from authkit.plugins.organization.guards import active_membership, requires_member
from authkit.wsgi_middleware import ENVIRON_KEY
from authkit.wsgi_middleware import AuthMiddleware as WSGIAuthMiddleware

from ...support.clients import HTTPClient
from .conftest import MakeWorld, World


def _wsgi_app(world: World) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        found = active_membership(world.auth, environ[ENVIRON_KEY].session)
        text = f"{found.organization['slug']}:{found.role}" if found else "none"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return WSGIAuthMiddleware(app, world.auth, roles={
        "/org/*": requires_member(world.auth),
        "/projects/*": requires_member(world.auth, {"project": ["update"]}),
    })


async def _asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _as(world: World, who: str, app: Any, kind: str = "wsgi") -> HTTPClient:
    source = world.person(who)
    return HTTPClient(kind, app, jar=dict(source.jar))


@pytest.mark.parametrize("cache", [False, True], ids=["store", "cookie-cache"])
def test_membership_and_permission_rules(make_world: MakeWorld, cache: bool) -> None:
    options = {"session": {"cookie_cache": {"enabled": True}}} if cache else {}
    w = make_world(auth_options=options)
    app = _wsgi_app(w)
    for who, org, projects in [("olivia", 200, 200), ("adam", 200, 200), ("mia", 200, 403),
                               ("oscar", 403, 403)]:
        client = _as(w, who, app)
        assert client.get("/org/home", headers={"Accept": "application/json"}).status == org
        assert client.get("/projects/1", headers={"Accept": "application/json"}).status == (
            projects)
    assert _as(w, "adam", app).get("/org/home").body == b"acme:admin"
    # mia creates an organization: the store's session now names it, a cached cookie still
    # names Acme (create re-sends no cookie). The rule follows the store: owner there.
    mine = w.ok("mia", "create", {"name": "Mine", "slug": "mine"})
    cached = w.person("mia").get("/api/auth/get-session").json["session"]
    assert cached["activeOrganizationId"] == (w.orgs["Acme"]["id"] if cache else mine["id"])
    assert _as(w, "mia", app).get("/projects/1", headers={"Accept": "application/json"}
                                  ).status == 200
    w.ok("mia", "set-active", {"organizationId": w.orgs["Acme"]["id"]})
    assert HTTPClient("wsgi", app).get("/org/home",
                                       headers={"Accept": "application/json"}).status == 401
    # Leaving clears the active organization in the store; a cached cookie would still name
    # it, but the rule reads the store.
    w.ok("mia", "leave", {"organizationId": w.orgs["Acme"]["id"]})
    assert _as(w, "mia", app).get("/org/home",
                                  headers={"Accept": "application/json"}).status == 403
    # A member removed by someone else keeps a dangling active organization: still refused.
    w.ok("olivia", "remove-member", {"memberIdOrEmail": "adam@example.com"})
    assert _as(w, "adam", app).get("/org/home",
                                   headers={"Accept": "application/json"}).status == 403


def test_a_dynamic_role_counts_at_once(world: World) -> None:
    app = _wsgi_app(world)
    mia = _as(world, "mia", app)
    assert mia.get("/projects/1", headers={"Accept": "application/json"}).status == 403
    world.ok("olivia", "create-role", {"role": "pm", "permission": {"project": ["update"]}})
    world.ok("olivia", "update-member-role", {"memberId": world.members["Acme:mia"],
                                              "role": "member,pm"})
    assert mia.get("/projects/1", headers={"Accept": "application/json"}).status == 200


def test_the_asgi_middleware_takes_the_same_rules(world: World) -> None:
    app = ASGIAuthMiddleware(_asgi_app, world.auth,
                             roles={"/projects/*": requires_member(world.auth,
                                                                   {"project": ["update"]})})
    headers = {"Accept": "application/json"}
    assert _as(world, "adam", app, "asgi").get("/projects/1", headers=headers).status == 200
    assert _as(world, "mia", app, "asgi").get("/projects/1", headers=headers).status == 403


def test_rules_need_the_plugin(make_auth: Any) -> None:
    with pytest.raises(ConfigError, match="organization plugin"):
        requires_member(make_auth())
    with pytest.raises(ConfigError):
        requires_member(make_auth(plugins=[organization()]), {})
