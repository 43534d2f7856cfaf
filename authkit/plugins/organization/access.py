"""The organization plugin's statements, default roles and permission check.

Better Auth's defaults::

    organization  update, delete
    member        create, update, delete
    invitation    create, cancel
    team          create, update, delete
    ac            create, read, update, delete     (dynamic roles)

``owner`` holds everything, ``admin`` everything but ``organization:delete``, ``member``
only ``ac:read``. Add your own resources with ``create_access_control({**DEFAULT_STATEMENTS,
"project": [...]})`` and pass ``roles=``; ``extend_roles`` merges grants over the defaults.

A member's ``role`` column is a comma-joined list; the check passes when **any** of its
roles grants the whole request. With dynamic access control, the organization's own
``organizationRole`` rows are read on every check (no cache: an edited role applies at
once), each adding to a static role of the same name or standing alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...access_control import AccessControl, PermissionRequest, Role, create_access_control
from ...errors import APIError

DEFAULT_STATEMENTS: dict[str, tuple[str, ...]] = {
    "organization": ("update", "delete"),
    "member": ("create", "update", "delete"),
    "invitation": ("create", "cancel"),
    "team": ("create", "update", "delete"),
    "ac": ("create", "read", "update", "delete"),
}
DEFAULT_AC: AccessControl = create_access_control(DEFAULT_STATEMENTS)
OWNER_ROLE = DEFAULT_AC.new_role({k: list(v) for k, v in DEFAULT_STATEMENTS.items()})
ADMIN_ROLE = DEFAULT_AC.new_role({
    "organization": ["update"], "member": ["create", "update", "delete"],
    "invitation": ["create", "cancel"], "team": ["create", "update", "delete"],
    "ac": ["create", "read", "update", "delete"],
})
MEMBER_ROLE = DEFAULT_AC.new_role({
    "organization": [], "member": [], "invitation": [], "team": [], "ac": ["read"],
})
DEFAULT_ROLES: dict[str, Role] = {"owner": OWNER_ROLE, "admin": ADMIN_ROLE,
                                  "member": MEMBER_ROLE}


def parse_roles(role: str | Sequence[str] | None) -> list[str]:
    """Role names from a string or list: each split on ``,``, trimmed, empty parts dropped."""
    if role is None:
        return []
    items = [role] if isinstance(role, str) else list(role)
    return [part.strip() for item in items if isinstance(item, str)
            for part in item.split(",") if part.strip()]


def join_roles(role: str | Sequence[str] | None) -> str:
    """The stored form: names joined by ``,`` without spaces (``"member,admin"``)."""
    return ",".join(parse_roles(role))


def extend_roles(statements: Mapping[str, Sequence[str]],
                 grants: Mapping[str, Mapping[str, Sequence[str]]],
                 base: Mapping[str, Role] = DEFAULT_ROLES) -> tuple[AccessControl, dict[str, Role]]:
    """Statements and roles from ``base`` with ``statements`` added and ``grants`` merged in.

    ``extend_roles({"project": ["read"]}, {"member": {"project": ["read"]}})`` keeps every
    default grant and adds ``project:read`` to ``member``; a role not in ``base`` is new.
    """
    ac = create_access_control({**DEFAULT_STATEMENTS, **statements})
    names = list(base) + [name for name in grants if name not in base]
    roles: dict[str, Role] = {}
    for name in names:
        granted: dict[str, list[str]] = {}
        if name in base:
            granted.update({r: sorted(a) for r, a in base[name].statements.items()})
        granted.update({r: list(a) for r, a in grants.get(name, {}).items()})
        roles[name] = ac.new_role(granted)
    return ac, roles


def permission_from_text(role: str, text: str | None) -> dict[str, list[str]]:
    """A stored ``permission`` column; anything but ``{string: [string]}`` is a 500."""
    try:
        value: Any = json.loads(text or "")
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(a, str) for a in v)
            for k, v in value.items()):
        raise APIError(500, None, f"Invalid permissions for role {role}", body_kind="message")
    return value


def permission_text(permission: Mapping[str, Sequence[str]]) -> str:
    """``JSON.stringify`` of a permission set: compact, insertion order."""
    return json.dumps(permission, separators=(",", ":"), ensure_ascii=False)


def effective_roles(static: Mapping[str, Role],
                    rows: Iterable[Mapping[str, Any]]) -> dict[str, Role]:
    """Static roles plus an organization's ``organizationRole`` rows (each unioned with the
    static role of its name, if any)."""
    roles = dict(static)
    for row in rows:
        name = str(row["role"])
        granted: dict[str, set[str]] = {
            r: set(a) for r, a in (static[name].statements.items() if name in static else ())}
        for resource, actions in permission_from_text(name, row.get("permission")).items():
            granted.setdefault(resource, set()).update(actions)
        roles[name] = Role({r: sorted(a) for r, a in granted.items()})
    return roles


def role_grants(roles: Mapping[str, Role], role: str | None,
                permissions: PermissionRequest | None) -> bool:
    """Does any role named in ``role`` grant all of ``permissions``? ``{}`` never passes."""
    if not permissions:
        return False
    for name in parse_roles(role):
        granted = roles.get(name)
        if granted is not None and granted.authorize(permissions).success:
            return True
    return False
