"""Fixtures of the admin plugin tests: the admin tests' cast of users.

``alice`` and ``bob`` (role user), ``root`` (role admin), ``support`` (custom role
``{user: [list, get]}``), ``editor`` (``{user: [update]}``, to show that update-user checks
each kind of field) and ``owner`` (role user, but listed in ``admin_user_ids``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from authkit import AuthKit
from authkit.plugins.admin import (
    ADMIN_ROLE,
    DEFAULT_STATEMENTS,
    USER_ROLE,
    admin,
    create_access_control,
)

from ...support.clients import HTTPClient, make_client

PASSWORD = "correct-horse-1"
AC = create_access_control(DEFAULT_STATEMENTS)
ROLES = {
    "admin": ADMIN_ROLE,
    "user": USER_ROLE,
    "support": AC.new_role({"user": ["list", "get"]}),
    "editor": AC.new_role({"user": ["update"]}),
    "creator": AC.new_role({"user": ["create"]}),
}


@dataclass
class Cast:
    """An AuthKit with the admin plugin, its users, and a signed-in client per user."""

    auth: AuthKit
    kind: str
    ids: dict[str, str] = field(default_factory=dict)
    clients: dict[str, HTTPClient] = field(default_factory=dict)

    def user(self, name: str, role: str | list[str] | None = "user", **data: Any) -> str:
        """Create ``name@example.com`` in-process (no session needed) and return its id."""
        body: dict[str, Any] = {"email": f"{name}@example.com", "password": PASSWORD,
                                "name": name.title()}
        if role is not None:
            body["role"] = role
        if data:
            body["data"] = data
        user = self.auth.api.create_user(body=body)["user"]
        self.ids[name] = user.id
        return str(user.id)

    def client(self, name: str) -> HTTPClient:
        """A client signed in as ``name`` (created on first use)."""
        if name not in self.clients:
            client = make_client(self.kind, self.auth)
            res = client.post("/api/auth/sign-in/email",
                              json={"email": f"{name}@example.com", "password": PASSWORD})
            assert res.status == 200, res.body
            self.clients[name] = client
        return self.clients[name]

    def anonymous(self) -> HTTPClient:
        """A client without a session."""
        return make_client(self.kind, self.auth)


MakeCast = Callable[..., Cast]


def _builder(make_auth: Callable[..., AuthKit], kind: str) -> MakeCast:
    def make(*, auth_options: dict[str, Any] | None = None, **options: Any) -> Cast:
        options.setdefault("roles", ROLES)
        plugin = admin(**options)
        auth = make_auth(plugins=[plugin], **(auth_options or {}))
        cast = Cast(auth, kind)
        cast.user("root", "admin")
        cast.user("alice")
        cast.user("bob")
        cast.user("support", "support")
        cast.user("editor", "editor")
        cast.user("creator", "creator")
        owner = cast.user("owner")
        plugin.admin_user_ids = frozenset({owner})
        return cast

    return make


@pytest.fixture
def make_cast(make_auth: Callable[..., AuthKit], kind: str) -> MakeCast:
    """``make_cast(**admin_options)``: the B0 users on a fresh AuthKit, HTTP over ``kind``."""
    return _builder(make_auth, kind)


@pytest.fixture
def make_api_cast(make_auth: Callable[..., AuthKit]) -> MakeCast:
    """``make_cast`` for tests that call ``auth.api`` only (run once, not per interface)."""
    return _builder(make_auth, "wsgi")


@pytest.fixture
def cast(make_cast: MakeCast) -> Cast:
    return make_cast()
