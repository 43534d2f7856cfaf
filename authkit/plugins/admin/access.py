"""Access control: statements, roles and the permission check (docs/wire-compatibility.md#roles).

A *statement* set names every action of every resource (``{"user": ["create", "list", …]}``);
a *role* grants a subset; a *permission request* asks for actions on resources::

    ac = create_access_control({**DEFAULT_STATEMENTS, "report": ["read", "export"]})
    support = ac.new_role({"user": ["list", "get"], "report": ["read"]})
    admin(roles={"admin": ADMIN_ROLE, "user": USER_ROLE, "support": support})

A user's ``role`` column is a comma-joined list (``"user,admin"``); the check passes when
**any** of those roles authorizes the whole request, or when the user's id is one of
``admin_user_ids``. Requests are ``{resource: [actions]}`` (all actions needed) or
``{resource: {"actions": [...], "connector": "OR"}}`` (any one). An unknown resource or an
empty action list never passes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

# The generic classes live in authkit.access_control (shared with the organization plugin);
# re-exported here, where they were first defined.
from ...access_control import (
    AccessControl,
    AuthorizeResult,
    PermissionRequest,
    Role,
    Statements,
    create_access_control,
)
from ...roles import DEFAULT_ROLE, split_roles

__all__ = [
    "ADMIN_ROLE", "DEFAULT_AC", "DEFAULT_ROLES", "DEFAULT_STATEMENTS", "USER_ROLE",
    "AccessControl", "AuthorizeResult", "PermissionRequest", "Role", "Statements",
    "create_access_control", "has_permission", "split_roles",
]

DEFAULT_STATEMENTS: dict[str, tuple[str, ...]] = {
    "user": ("create", "list", "set-role", "ban", "impersonate", "impersonate-admins",
             "delete", "set-password", "set-email", "set-phone", "get", "update"),
    "session": ("list", "revoke", "delete"),
}


DEFAULT_AC = create_access_control(DEFAULT_STATEMENTS)
#: Every default statement except ``impersonate-admins``.
ADMIN_ROLE = DEFAULT_AC.new_role({
    "user": [a for a in DEFAULT_STATEMENTS["user"] if a != "impersonate-admins"],
    "session": list(DEFAULT_STATEMENTS["session"]),
})
#: Nothing at all.
USER_ROLE = DEFAULT_AC.new_role({"user": [], "session": []})
DEFAULT_ROLES: dict[str, Role] = {"admin": ADMIN_ROLE, "user": USER_ROLE}


def has_permission(*, user_id: str | None, role: str | None, permissions: PermissionRequest,
                   roles: Mapping[str, Role] = DEFAULT_ROLES,
                   admin_user_ids: Collection[str] = (), default_role: str = DEFAULT_ROLE) -> bool:
    """Better Auth's admin check: an ``admin_user_ids`` member, or any role granting it all."""
    if user_id and user_id in admin_user_ids:
        return True
    if not permissions:
        return False
    for name in split_roles(role, default_role):
        granted = roles.get(name)
        if granted is not None and granted.authorize(permissions).success:
            return True
    return False
