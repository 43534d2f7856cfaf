"""Dynamic access control routes (``dynamic_access_control={"enabled": True}`` and an
``ac``): create-role, list-roles, get-role, update-role, delete-role.

A stored role may grant only what its creator holds (``missingPermissions`` names the rest),
only resources the ``ac`` declares, and never takes a static role's name. Names are
lower-cased when created or renamed and compared exactly otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ...errors import APIError
from ...validation import Body
from .access import parse_roles, permission_text
from .common import caller_member, organization_id, session, store, writer
from .errors import MissingPermissionsError, bad, forbidden, org_error
from .records import BY_AGE, Row, role_json

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...models import SessionWithUser
    from ...storage.rows import RowOps
    from . import OrganizationPlugin

Permission = dict[str, list[str]]
# organizationRole.role is indexed: varchar(255) on MySQL/MariaDB.
RoleName = Annotated[str, Field(max_length=255)]
# The role named in update-role / delete-role (upstream: a non-empty string).
RoleRef = Annotated[str, Field(min_length=1)]


class CreateRoleBody(Body):
    """Body of ``/organization/create-role``."""

    role: RoleName
    permission: dict[str, list[str]]
    organizationId: str | None = None
    additionalFields: dict[str, Any] | None = None


class RoleQuery(Body):
    """Query of ``/organization/get-role`` (and ``list-roles``)."""

    roleName: RoleRef | None = None
    roleId: RoleRef | None = None
    organizationId: str | None = None


class UpdateRoleData(Body):
    """``data`` of ``/organization/update-role``."""

    permission: dict[str, list[str]] | None = None
    roleName: RoleName | None = None


class UpdateRoleBody(Body):
    """Body of ``/organization/update-role``."""

    roleName: RoleRef | None = None
    roleId: RoleRef | None = None
    data: UpdateRoleData
    organizationId: str | None = None


class DeleteRoleBody(Body):
    """Body of ``/organization/delete-role``."""

    roleName: RoleRef | None = None
    roleId: RoleRef | None = None
    organizationId: str | None = None


def _need_ac(plugin: OrganizationPlugin) -> None:
    if plugin.options.ac is None:
        raise org_error(501, "MISSING_AC_INSTANCE")


def _caller(plugin: OrganizationPlugin, ctx: Context, found: SessionWithUser,
            org_id: str, permission: str, refused: str) -> Row:
    db = store(ctx)
    member = caller_member(ctx, found, org_id,
                           forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"))
    if not plugin.member_allows(db, member, {"ac": [permission]}):
        raise forbidden(refused)
    return member


def _check_permission(plugin: OrganizationPlugin, db: RowOps, member: Row,
                      permission: Permission, refused: str) -> None:
    """Only declared resources, and only what the caller holds itself."""
    assert plugin.options.ac is not None
    declared = plugin.options.ac.statements
    if any(resource not in declared for resource in permission):
        raise bad("INVALID_RESOURCE")
    missing = [f"{resource}:{action}" for resource, actions in permission.items()
               for action in actions
               if not plugin.member_allows(db, member, {resource: [action]})]
    if missing:
        raise MissingPermissionsError(refused, missing)


def _find(db: RowOps, org_id: str, name: str | None, role_id: str | None) -> Row | None:
    where: Row = {"organizationId": org_id}
    if name is not None:
        where["role"] = name
    else:
        where["id"] = role_id
    return db.find_row("organizationRole", where)


def create_role(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/create-role → ``{success, roleData, statements}``."""
    found = writer(ctx)
    body: CreateRoleBody = ctx.body
    _need_ac(plugin)
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("YOU_MUST_BE_IN_AN_ORGANIZATION_TO_CREATE_A_ROLE")
    name = body.role.lower()
    if name in plugin.roles:
        raise bad("ROLE_NAME_IS_ALREADY_TAKEN")
    member = _caller(plugin, ctx, found, org_id, "create", "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE")
    db = store(ctx)
    limit = plugin.options.dynamic_access_control.maximum_roles_per_organization
    if limit is not None and db.count_rows("organizationRole",
                                           {"organizationId": org_id}) >= limit:
        raise bad("TOO_MANY_ROLES")
    _check_permission(plugin, db, member, body.permission, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE")
    if _find(db, org_id, name, None) is not None:
        raise bad("ROLE_NAME_IS_ALREADY_TAKEN")
    row = db.create_row("organizationRole", {
        "organizationId": org_id, "role": name, "permission": permission_text(body.permission),
        "createdAt": ctx.auth.now(), "updatedAt": None})
    return {"success": True, "roleData": role_json(row), "statements": body.permission}


def _org(found: SessionWithUser, given: str | None) -> str:
    org_id = organization_id(found, given)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    return org_id


def list_roles(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list-roles → the organization's stored roles."""
    found = session(ctx)
    query: RoleQuery = ctx.query
    _need_ac(plugin)
    org_id = _org(found, query.organizationId)
    _caller(plugin, ctx, found, org_id, "read", "YOU_ARE_NOT_ALLOWED_TO_LIST_A_ROLE")
    rows = store(ctx).find_rows("organizationRole", {"organizationId": org_id}, sort=BY_AGE)
    return [role_json(r) for r in rows]


def get_role(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """GET /organization/get-role?roleName= | ?roleId= → OrganizationRole."""
    query: RoleQuery = ctx.query
    if query.roleName is None and query.roleId is None:
        raise APIError(400, "VALIDATION_ERROR", "[query] Invalid input")
    found = session(ctx)
    _need_ac(plugin)
    org_id = _org(found, query.organizationId)
    _caller(plugin, ctx, found, org_id, "read", "YOU_ARE_NOT_ALLOWED_TO_READ_A_ROLE")
    row = _find(store(ctx), org_id, query.roleName, query.roleId)
    if row is None:
        raise bad("ROLE_NOT_FOUND")
    return role_json(row)


def update_role(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/update-role → ``{success, roleData}``.

    ``roleData.updatedAt`` is the value before this update, as Better Auth returns it.
    """
    body: UpdateRoleBody = ctx.body
    if body.roleName is None and body.roleId is None:
        raise APIError(400, "VALIDATION_ERROR", "[body] Invalid input")
    found = writer(ctx)
    _need_ac(plugin)
    org_id = _org(found, body.organizationId)
    refused = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE"
    member = _caller(plugin, ctx, found, org_id, "update", refused)
    db = store(ctx)
    row = _find(db, org_id, body.roleName, body.roleId)
    if row is None:
        raise bad("ROLE_NOT_FOUND")
    values: Row = {}
    if body.data.permission is not None:
        _check_permission(plugin, db, member, body.data.permission, refused)
        values["permission"] = permission_text(body.data.permission)
    if body.data.roleName is not None:
        name = body.data.roleName.lower()
        if name in plugin.roles or _find(db, org_id, name, None) is not None:
            raise bad("ROLE_NAME_IS_ALREADY_TAKEN")
        values["role"] = name
    db.update_rows("organizationRole", {"id": row["id"]},
                   {**values, "updatedAt": ctx.auth.now()})
    return {"success": True, "roleData": role_json({**row, **values})}


def delete_role(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/delete-role → ``{success: true}``."""
    body: DeleteRoleBody = ctx.body
    if body.roleName is None and body.roleId is None:
        raise APIError(400, "VALIDATION_ERROR", "[body] Invalid input")
    found = writer(ctx)
    _need_ac(plugin)
    org_id = _org(found, body.organizationId)
    _caller(plugin, ctx, found, org_id, "delete", "YOU_ARE_NOT_ALLOWED_TO_DELETE_A_ROLE")
    if body.roleName is not None and body.roleName in plugin.roles:
        raise bad("CANNOT_DELETE_A_PRE_DEFINED_ROLE")
    db = store(ctx)
    row = _find(db, org_id, body.roleName, body.roleId)
    if row is None:
        raise bad("ROLE_NOT_FOUND")
    members = db.find_rows("member", {"organizationId": org_id})
    if any(row["role"] in parse_roles(m["role"]) for m in members):
        raise bad("ROLE_IS_ASSIGNED_TO_MEMBERS")
    db.delete_rows("organizationRole", {"id": row["id"]})
    return {"success": True}
