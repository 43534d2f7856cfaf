"""Fixtures of the organization plugin tests: two organizations and their people.

``Acme`` (owner ``olivia``, admin ``adam``, member ``mia``) and ``Globex`` (owner ``gus``,
admin ``gail``); ``oscar`` belongs to neither. Each signed-in client's active organization is
its own. The plugin is configured as `authkit serve` configures it (teams with a default
team, dynamic roles, a ``project`` resource), with options overridable per test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from authkit import AuthKit
from authkit.plugins.organization import OrganizationPlugin, extend_roles, organization

from ...support.clients import HTTPClient, Result, make_client
from ...support.fixtures import Clock

PASSWORD = "correct-horse-1"
PROJECT = ["create", "read", "update", "delete"]
AC, ROLES = extend_roles({"project": PROJECT},
                         {"owner": {"project": PROJECT}, "admin": {"project": PROJECT},
                          "member": {"project": ["read"]}})
API = "/api/auth/organization"


@dataclass
class World:
    """An AuthKit with the plugin, the people, their clients and the organizations' ids."""

    auth: AuthKit
    plugin: OrganizationPlugin
    clock: Clock
    kind: str
    ids: dict[str, str] = field(default_factory=dict)
    clients: dict[str, HTTPClient] = field(default_factory=dict)
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    mail: list[dict[str, Any]] = field(default_factory=list)

    def person(self, name: str) -> HTTPClient:
        """Sign ``name@example.com`` up (first time) and return its client."""
        if name not in self.clients:
            client = make_client(self.kind, self.auth)
            res = client.post("/api/auth/sign-up/email", json={
                "email": f"{name}@example.com", "password": PASSWORD, "name": name.title()})
            assert res.status == 200, res.body
            self.ids[name] = res.json["user"]["id"]
            self.clients[name] = client
        return self.clients[name]

    def call(self, who: str, route: str, body: Any = None, **query: str) -> Result:
        """POST ``body`` (or GET with ``query`` when body is None) to /organization/<route>."""
        client = self.person(who)
        if body is None:
            return client.get(f"{API}/{route}", query=query or None)
        return client.post(f"{API}/{route}", json=body)

    def ok(self, who: str, route: str, body: Any = None, **query: str) -> Any:
        res = self.call(who, route, body, **query)
        assert res.status == 200, (route, res.status, res.body)
        return res.json

    def join(self, org: str, name: str, role: str) -> str:
        """Add ``name`` to ``org`` with ``role`` (server-side add_member); its member id."""
        self.person(name)
        member = self.auth.api.add_member(body={
            "userId": self.ids[name], "role": role, "organizationId": self.orgs[org]["id"]})
        self.members[f"{org}:{name}"] = member["id"]
        self.ok(name, "set-active", {"organizationId": self.orgs[org]["id"]})
        return str(member["id"])

    def create(self, org: str, owner: str, slug: str) -> dict[str, Any]:
        created = self.ok(owner, "create", {"name": org, "slug": slug})
        self.orgs[org] = created
        self.members[f"{org}:{owner}"] = created["members"][0]["id"]
        return dict(created)


MakeWorld = Callable[..., World]


@pytest.fixture
def make_world(make_auth: Callable[..., AuthKit], clock: Clock) -> MakeWorld:
    """``make_world(kind="wsgi", **organization_options)``: Acme and Globex, peopled."""

    def make(kind: str = "wsgi", auth_options: dict[str, Any] | None = None,
             **options: Any) -> World:
        mail: list[dict[str, Any]] = []
        options.setdefault("ac", AC)
        options.setdefault("roles", ROLES)
        options.setdefault("teams", {"enabled": True})
        options.setdefault("dynamic_access_control", {"enabled": True})
        options.setdefault("send_invitation_email", mail.append)
        plugin = organization(**options)
        auth = make_auth(plugins=[plugin], **(auth_options or {}))
        world = World(auth, plugin, clock, kind, mail=mail)
        world.create("Acme", "olivia", "acme")
        world.join("Acme", "adam", "admin")
        world.join("Acme", "mia", "member")
        world.create("Globex", "gus", "globex")
        world.join("Globex", "gail", "admin")
        world.person("oscar")
        return world

    return make


@pytest.fixture
def world(make_world: MakeWorld) -> World:
    return make_world()


def refused(res: Result, status: int, code: str | None, message: str | None = None) -> None:
    """Assert an error's exact status and code (and message, when given)."""
    assert res.status == status, (res.status, res.body)
    body = res.json if res.body else None
    if code is None:
        assert body is None or "code" not in body, body
    else:
        assert body is not None and body.get("code") == code, body
    if message is not None:
        assert body is not None and body["message"] == message, body
