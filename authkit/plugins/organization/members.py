"""Member routes: add-member (server only), list-members, get-active-member(-role),
update-member-role, remove-member, leave, has-permission."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...errors import APIError
from ...storage.query import Condition, QueryError, Sort
from ...validation import Body
from .access import join_roles, parse_roles
from .common import active_organization_id, caller_member, organization_id, session, store, writer
from .errors import CodeFirstError, bad, empty, forbidden, org_error
from .records import (
    BY_AGE,
    Row,
    add_team_member,
    member_json,
    member_of,
    remove_team_members,
    set_active,
    users_by_id,
)

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...models import SessionWithUser
    from ...storage.rows import RowOps
    from . import OrganizationPlugin


class AddMemberBody(Body):
    """Body of ``auth.api.add_member``."""

    userId: str
    role: str | list[str]
    organizationId: str | None = None
    teamId: str | None = None


class ListMembersQuery(Body):
    """Query of ``/organization/list-members`` (numbers may come as strings)."""

    limit: Any = None
    offset: Any = None
    sortBy: str | None = None
    sortDirection: str | None = None
    filterField: str | None = None
    filterOperator: str | None = None
    filterValue: Any = None
    organizationId: str | None = None
    organizationSlug: str | None = None


class ActiveRoleQuery(Body):
    """Query of ``/organization/get-active-member-role``."""

    userId: str | None = None
    organizationId: str | None = None
    organizationSlug: str | None = None


class UpdateRoleBody(Body):
    """Body of ``/organization/update-member-role``."""

    memberId: str
    role: Any
    organizationId: str | None = None


class RemoveMemberBody(Body):
    """Body of ``/organization/remove-member``."""

    memberIdOrEmail: str
    organizationId: str | None = None


class LeaveBody(Body):
    """Body of ``/organization/leave``."""

    organizationId: str


class HasPermissionBody(Body):
    """Body of ``/organization/has-permission``: exactly one of ``permissions`` (or the
    deprecated ``permission``)."""

    organizationId: str | None = None
    permission: Any = None
    permissions: Any = None


def owner_count(plugin: OrganizationPlugin, db: RowOps, org_id: str) -> int:
    """How many members of the organization hold the creator role."""
    rows = db.find_rows("member", {"organizationId": org_id})
    return sum(1 for r in rows if plugin.is_creator(r))


def remove_membership(plugin: OrganizationPlugin, db: RowOps, member: Row) -> None:
    """Delete a member row and the user's seats in that organization's teams."""
    if plugin.options.teams.enabled:
        for team in db.find_rows("team", {"organizationId": member["organizationId"]}):
            remove_team_members(db, team["id"], [member["userId"]])
    db.delete_rows("member", {"id": member["id"]})


def add_member(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """``auth.api.add_member(body={userId, role, organizationId?, teamId?})`` → Member.

    Server only: no permission check and no role validation (trusted callers only).
    """
    body: AddMemberBody = ctx.body
    found = ctx.auth.sessions.resolve(ctx) if ctx.has_headers else None
    org_id = body.organizationId or (active_organization_id(found) if found else None)
    if not org_id:
        raise bad("NO_ACTIVE_ORGANIZATION")
    db = store(ctx)
    user = ctx.auth.db.get_user_by_id(body.userId)
    if user is None:
        raise org_error(400, "USER_NOT_FOUND", "User not found")
    if member_of(db, org_id, user.id) is not None:
        raise bad("USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    if body.teamId is not None and (not plugin.options.teams.enabled or db.find_row(
            "team", {"id": body.teamId, "organizationId": org_id}) is None):
        raise bad("TEAM_NOT_FOUND")
    org = db.find_row("organization", {"id": org_id})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    if db.count_rows("member", {"organizationId": org_id}) >= plugin.options.membership_limit:
        raise forbidden("ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
    now = ctx.auth.now()
    data: Row = {"organizationId": org_id, "userId": user.id, "role": join_roles(body.role),
                 "createdAt": now}
    data.update(plugin.hook("before_add_member", member=data, user=user, organization=org) or {})
    with ctx.auth.storage.transaction() as tx:
        member = tx.create_row("member", data)
        if body.teamId is not None:
            add_team_member(tx, body.teamId, user.id, now,
                            plugin.options.teams.maximum_members_per_team)
    plugin.hook("after_add_member", member=member, user=user, organization=org)
    return member_json(member)


def _org_from_query(ctx: Context, found: SessionWithUser, org_id: str | None,
                    slug: str | None) -> str:
    if slug:
        org = store(ctx).find_row("organization", {"slug": slug})
        if org is None:
            raise bad("ORGANIZATION_NOT_FOUND")
        return str(org["id"])
    resolved = organization_id(found, org_id)
    if resolved is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    return resolved


def _number(value: Any) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and abs(number) < 2**53 else None


def list_members(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """GET /organization/list-members → ``{members: [MemberWithUser], total}``."""
    found = session(ctx)
    query: ListMembersQuery = ctx.query
    org_id = _org_from_query(ctx, found, query.organizationId, query.organizationSlug)
    caller_member(ctx, found, org_id, forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"))
    db = store(ctx)
    where: list[Condition] = [Condition("organizationId", "eq", org_id)]
    if query.filterField:
        value = query.filterValue
        operator = query.filterOperator or "eq"
        if operator in ("in", "not_in") and not isinstance(value, list):
            value = [value]
        where.append(Condition(query.filterField, operator, value))
    limit = _number(query.limit) or plugin.options.membership_limit
    offset = max(_number(query.offset) or 0, 0)
    sort = BY_AGE
    if query.sortBy:
        sort = Sort(query.sortBy, "desc" if query.sortDirection == "desc" else "asc")
    try:
        rows = db.find_rows("member", where, sort=sort, limit=max(limit, 0), offset=offset)
        total = db.count_rows("member", where)
    except QueryError as exc:
        # An unknown column or operator: Better Auth's adapter throws and the route answers
        # 500; authkit names the mistake with a 400 instead (bad input is never a 500).
        raise APIError(400, "VALIDATION_ERROR", str(exc)) from None
    users = users_by_id(db, [m["userId"] for m in rows])
    return {"members": [member_json(m, users.get(m["userId"])) for m in rows
                        if m["userId"] in users],
            "total": total}


def get_active_member(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """GET /organization/get-active-member → MemberWithUser."""
    found = session(ctx)
    org_id = active_organization_id(found)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    member = caller_member(ctx, found, org_id, bad("MEMBER_NOT_FOUND"))
    return member_json(member, found.user)


def get_active_member_role(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """GET /organization/get-active-member-role → ``{role}`` (any member may read any role)."""
    found = session(ctx)
    query: ActiveRoleQuery = ctx.query
    org_id = _org_from_query(ctx, found, query.organizationId, query.organizationSlug)
    not_member = forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    member = caller_member(ctx, found, org_id, not_member)
    if query.userId:
        member = member_of(store(ctx), org_id, query.userId) or _raise(not_member)
    return {"role": member["role"]}


def _raise(error: APIError) -> Row:
    raise error


def update_member_role(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/update-member-role → the updated Member."""
    found = writer(ctx)
    body: UpdateRoleBody = ctx.body
    if not body.role or not isinstance(body.role, (str, list)):
        raise empty(400)
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    roles = parse_roles(body.role)
    if not roles:
        raise empty(400)
    db = store(ctx)
    caller = caller_member(ctx, found, org_id, bad("MEMBER_NOT_FOUND"))
    target = db.find_row("member", {"id": body.memberId})
    if target is None:
        raise bad("MEMBER_NOT_FOUND")
    if target["organizationId"] != org_id:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    creator = plugin.options.creator_role
    caller_is_owner = plugin.is_creator(caller)
    if (plugin.is_creator(target) and not caller_is_owner) or (
            creator in roles and not caller_is_owner):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    if (caller_is_owner and target["id"] == caller["id"] and creator not in roles
            and owner_count(plugin, db, org_id) <= 1):
        raise bad("YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
    if not plugin.member_allows(db, caller, {"member": ["update"]}, allow_creator=True):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
    known = plugin.roles_of_organization(db, org_id)
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise CodeFirstError(400, "ROLE_NOT_FOUND", f"ROLE_NOT_FOUND: {', '.join(unknown)}")
    org = db.find_row("organization", {"id": org_id})
    new_role = ",".join(roles)
    changed = plugin.hook("before_update_member_role", member=target, new_role=new_role,
                          user=found.user, organization=org) or {}
    if isinstance(changed.get("role"), (str, list)):
        new_role = join_roles(changed["role"])
    db.update_rows("member", {"id": target["id"]}, {"role": new_role})
    updated = {**target, "role": new_role}
    plugin.hook("after_update_member_role", member=updated, previous_role=target["role"],
                user=found.user, organization=org)
    return member_json(updated)


def remove_member(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/remove-member → ``{member}`` (with ``user`` when named by e-mail)."""
    found = writer(ctx)
    body: RemoveMemberBody = ctx.body
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    db = store(ctx)
    caller = caller_member(ctx, found, org_id, bad("MEMBER_NOT_FOUND"))
    by_email = "@" in body.memberIdOrEmail
    target: Row | None
    target_user: Any = None
    if by_email:
        target_user = ctx.auth.db.get_user_by_email(body.memberIdOrEmail.lower())
        target = None if target_user is None else member_of(db, org_id, target_user.id)
    else:
        target = db.find_row("member", {"id": body.memberIdOrEmail})
    if target is None:
        raise bad("MEMBER_NOT_FOUND")
    if plugin.is_creator(target) and (not plugin.is_creator(caller)
                                      or owner_count(plugin, db, org_id) <= 1):
        raise bad("YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    if not plugin.member_allows(db, caller, {"member": ["delete"]}):
        raise org_error(401, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER")
    if target["organizationId"] != org_id:
        raise bad("MEMBER_NOT_FOUND")
    org = db.find_row("organization", {"id": org_id})
    plugin.hook("before_remove_member", member=target, user=found.user, organization=org)
    with ctx.auth.storage.transaction() as tx:
        remove_membership(plugin, tx, target)
    if target["userId"] == found.user.id and active_organization_id(found) == org_id:
        set_active(ctx, found, {"activeOrganizationId": None}, cookie=False)
    plugin.hook("after_remove_member", member=target, user=found.user, organization=org)
    return {"member": member_json(target, target_user)}


def leave(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/leave → the caller's former MemberWithUser."""
    found = writer(ctx)
    body: LeaveBody = ctx.body
    db = store(ctx)
    member = caller_member(ctx, found, body.organizationId, bad("MEMBER_NOT_FOUND"))
    if plugin.is_creator(member) and owner_count(plugin, db, body.organizationId) <= 1:
        raise bad("YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    with ctx.auth.storage.transaction() as tx:
        remove_membership(plugin, tx, member)
    if active_organization_id(found) == body.organizationId:
        set_active(ctx, found, {"activeOrganizationId": None}, cookie=False)
    return member_json(member, found.user)


def _is_permission_record(value: Any) -> bool:
    # ``{}`` is a valid record (it grants nothing): Better Auth answers success false.
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(a, str) for a in v)
        for k, v in value.items())


def has_permission(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/has-permission → ``{error: null, success}``."""
    body: HasPermissionBody = ctx.body
    present = [k for k in ("permission", "permissions") if k in body.model_fields_set]
    valid = [k for k in present if _is_permission_record(getattr(body, k))]
    if len(valid) == 2:
        raise APIError(400, "VALIDATION_ERROR", "[body] Invalid input: more than one option "
                                                "matched")
    if len(valid) != 1:
        raise APIError(400, "VALIDATION_ERROR", "[body] Invalid input")
    found = session(ctx)
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    db = store(ctx)
    member = caller_member(ctx, found, org_id,
                           org_error(401, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
    # The deprecated ``permission`` key never grants anything in Better Auth 1.7.25.
    success = valid == ["permissions"] and plugin.member_allows(db, member, body.permissions)
    return {"error": None, "success": success}
