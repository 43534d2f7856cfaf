"""Access control: statements, roles, the OR connector, comma-joined roles, admin_user_ids
(docs/wire-compatibility.md#roles)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from authkit.errors import ConfigError
from authkit.models import User
from authkit.plugins.admin import (
    ADMIN_ROLE,
    DEFAULT_ROLES,
    DEFAULT_STATEMENTS,
    USER_ROLE,
    admin,
    create_access_control,
    has_permission,
)

AC = create_access_control({**DEFAULT_STATEMENTS, "report": ["read", "export"]})
SUPPORT = AC.new_role({"user": ["list", "get"], "report": ["read"]})


def test_default_roles() -> None:
    for action in DEFAULT_STATEMENTS["user"]:
        expected = action != "impersonate-admins"
        assert ADMIN_ROLE.authorize({"user": [action]}).success is expected
        assert USER_ROLE.authorize({"user": [action]}).success is False
    assert ADMIN_ROLE.authorize({"session": ["list", "revoke", "delete"]}).success


def test_all_actions_are_needed_unless_or() -> None:
    assert SUPPORT.authorize({"user": ["list", "get"]}).success
    assert not SUPPORT.authorize({"user": ["list", "ban"]}).success
    assert SUPPORT.authorize({"user": {"actions": ["list", "ban"], "connector": "OR"}}).success
    assert not SUPPORT.authorize({"user": {"actions": ["ban"], "connector": "OR"}}).success
    # Resources: AND by default, OR on request.
    assert not SUPPORT.authorize({"user": ["list"], "session": ["list"]}).success
    assert SUPPORT.authorize({"user": ["list"], "session": ["list"]}, "OR").success


@pytest.mark.parametrize("request_", [
    {"user": []}, {"nothing": ["read"]}, {"user": "list"}, {"user": [1]}, {},
    {"user": {"actions": "list"}},
])
def test_what_never_passes(request_: dict[str, object]) -> None:
    assert not ADMIN_ROLE.authorize(request_).success
    assert not has_permission(user_id="x", role="admin", permissions=request_)


def test_unknown_resource_reason() -> None:
    result = SUPPORT.authorize({"billing": ["read"]})
    assert result.error == "You are not allowed to access resource: billing"


def test_comma_joined_roles_pass_if_any_role_does() -> None:
    roles = {**DEFAULT_ROLES, "support": SUPPORT}
    ask = {"report": ["read"]}
    assert has_permission(user_id="u", role="user,support", permissions=ask, roles=roles)
    assert not has_permission(user_id="u", role="user", permissions=ask, roles=roles)
    # Better Auth splits without trimming: " support" is another (unknown) role.
    assert not has_permission(user_id="u", role="user, support", permissions=ask, roles=roles)
    # No role at all: the default role decides.
    assert has_permission(user_id="u", role=None, permissions=ask, roles=roles,
                          default_role="support")


def test_admin_user_ids_pass_everything() -> None:
    assert has_permission(user_id="root", role="user", permissions={"user": ["delete"]},
                          admin_user_ids={"root"})
    assert not has_permission(user_id="", role="user", permissions={"user": ["delete"]},
                              admin_user_ids={""})


def test_new_role_refuses_undeclared_actions() -> None:
    with pytest.raises(ConfigError, match="unknown user action"):
        AC.new_role({"user": ["fly"]})
    with pytest.raises(ConfigError, match="unknown resource"):
        AC.new_role({"billing": ["read"]})


def test_admin_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="Invalid admin roles: owner"):
        admin(admin_roles=["owner"])
    with pytest.raises(ConfigError, match="Invalid admin roles: chief"):
        admin(roles={"boss": SUPPORT}, admin_roles="boss,chief")
    assert admin(roles={"Boss": SUPPORT}, admin_roles=["boss"]).admin_roles == {"boss"}
    with pytest.raises(ConfigError, match="Role objects"):
        admin(roles={"support": {"user": ["list"]}})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="positive"):
        admin(impersonation_session_duration=0)


def test_plugin_role_model() -> None:
    plugin = admin(roles={**DEFAULT_ROLES, "support": SUPPORT}, admin_user_ids=["o"])
    now = datetime.now(UTC)

    def user(uid: str, role: str | None) -> User:
        return User(uid, "n", "e@x.y", False, None, now, now, extra={"role": role})

    assert plugin.roles_of(user("a", None)) == ["user"]
    assert plugin.roles_of(user("a", "user,admin")) == ["user", "admin"]
    assert plugin.is_admin(user("a", "user,admin")) and plugin.is_admin(user("o", "user"))
    assert not plugin.is_admin(user("a", "support"))
    assert plugin.allows(user("a", "support"), {"report": ["read"]})
    assert plugin.allows(user("o", None), {"report": ["export"]})
