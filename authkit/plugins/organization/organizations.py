"""Organization routes: create, check-slug, update, delete, list, get, get-full, set-active."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ... import jsjson
from ...errors import APIError
from ...storage.query import Condition
from ...validation import Body
from .common import (
    active_organization_id,
    caller_member,
    expected_string,
    organization_id,
    session,
    session_or,
    store,
)
from .errors import bad, empty, forbidden, message_only, org_error
from .records import (
    BY_AGE,
    Row,
    add_team_member,
    invitation_json,
    member_json,
    member_of,
    organization_json,
    set_active,
    team_json,
    users_by_id,
)

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...models import SessionWithUser, User
    from ...storage.rows import RowOps
    from . import OrganizationPlugin

NonEmpty = Annotated[str, Field(min_length=1)]
# The slug is a unique column: varchar(255) on MySQL/MariaDB, which refuse longer values.
Slug = Annotated[str, Field(min_length=1, max_length=255)]


class CreateBody(Body):
    """Body of ``/organization/create``."""

    name: NonEmpty
    slug: Slug
    logo: Any = None
    metadata: dict[str, Any] | None = None
    userId: Any = None
    keepCurrentActiveOrganization: bool | None = None


class SlugBody(Body):
    """Body of ``/organization/check-slug``."""

    slug: Annotated[str, Field(max_length=255)]


class UpdateData(Body):
    """``data`` of ``/organization/update``."""

    name: NonEmpty | None = None
    slug: Slug | None = None
    logo: Any = None
    metadata: dict[str, Any] | None = None


class UpdateBody(Body):
    """Body of ``/organization/update``."""

    data: UpdateData
    organizationId: str | None = None


class DeleteBody(Body):
    """Body of ``/organization/delete``."""

    organizationId: str


class GetQuery(Body):
    """Query of ``/organization/get-organization`` and ``get-full-organization``."""

    organizationId: str | None = None
    organizationSlug: str | None = None
    membersLimit: Any = None


class SetActiveBody(Body):
    """Body of ``/organization/set-active``."""

    organizationId: Any = None
    organizationSlug: str | None = None


def metadata_text(value: Any) -> str | None:
    """``JSON.stringify`` of the metadata object, as Better Auth stores it."""
    return None if value is None else jsjson.stringify(value)


def _creator(ctx: Context, body: CreateBody) -> tuple[User, SessionWithUser | None]:
    found = ctx.auth.sessions.resolve(ctx, disable_cookie_cache=True)
    if found is not None:
        ctx.session = found
        return found.user, found
    # Only a trusted in-process call without headers may name the user (no HTTP route can).
    if ctx.request is None and not ctx.has_headers and isinstance(body.userId, str):
        user = ctx.auth.db.get_user_by_id(body.userId)
        if user is not None:
            return user, None
    raise empty(401)


def create(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/create → Organization + ``members``."""
    body: CreateBody = ctx.body
    user, found = _creator(ctx, body)
    opts = plugin.options
    allowed = opts.allow_user_to_create_organization
    if not (allowed(user) if callable(allowed) else allowed):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION")
    db = store(ctx)
    limit = opts.organization_limit
    if callable(limit):
        reached = bool(limit(user))
    else:
        reached = limit is not None and db.count_rows("member", {"userId": user.id}) >= limit
    if reached:
        raise forbidden("YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS")
    if db.find_row("organization", {"slug": body.slug}) is not None:
        raise bad("ORGANIZATION_ALREADY_EXISTS")
    if body.logo is not None and not isinstance(body.logo, str):
        raise expected_string("body.logo", body.logo)
    now = ctx.auth.now()
    data: Row = {"name": body.name, "slug": body.slug, "logo": body.logo,
                 "metadata": body.metadata, "createdAt": now}
    data.update(plugin.hook("before_create_organization", organization=data, user=user) or {})
    team: Row | None = None
    with ctx.auth.storage.transaction() as tx:
        org = tx.create_row("organization", {**data, "metadata": metadata_text(data["metadata"])})
        member_data: Row = {"organizationId": org["id"], "userId": user.id,
                            "role": opts.creator_role, "createdAt": now}
        member_data.update(plugin.hook("before_add_member", member=member_data, user=user,
                                       organization=org) or {})
        member = tx.create_row("member", member_data)
        plugin.hook("after_add_member", member=member, user=user, organization=org)
        if opts.teams.enabled and opts.teams.default_team:
            team_data: Row = {"name": org["name"], "organizationId": org["id"],
                              "createdAt": now, "memberCount": 0}
            team_data.update(plugin.hook("before_create_team", team=team_data, user=user,
                                         organization=org) or {})
            team = tx.create_row("team", team_data)
            add_team_member(tx, team["id"], user.id, now, None)
            plugin.hook("after_create_team", team=team, user=user, organization=org)
    plugin.hook("after_create_organization", organization=org, member=member, user=user)
    if found is not None and not body.keepCurrentActiveOrganization:
        values: Row = {"activeOrganizationId": org["id"]}
        if team is not None:
            values["activeTeamId"] = team["id"]
        set_active(ctx, found, values, cookie=False)
    out = organization_json(org, parsed_metadata=True)
    out["members"] = [member_json(member)]
    return out


def check_slug(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/check-slug → ``{status: true}`` or 400 when taken."""
    session(ctx)
    body: SlugBody = ctx.body
    if store(ctx).find_row("organization", {"slug": body.slug}) is not None:
        raise bad("ORGANIZATION_SLUG_ALREADY_TAKEN")
    return {"status": True}


def update(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/update → the updated Organization (metadata parsed)."""
    body: UpdateBody = ctx.body
    found = session_or(ctx, message_only(401, "User not found"), from_store=True)
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    member = caller_member(ctx, found, org_id, bad("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
    db = store(ctx)
    if not plugin.member_allows(db, member, {"organization": ["update"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION")
    given = body.data.model_fields_set
    data: Row = {k: getattr(body.data, k) for k in ("name", "slug", "logo", "metadata")
                 if k in given}
    if "logo" in data and data["logo"] is not None and not isinstance(data["logo"], str):
        raise expected_string("body.data.logo", data["logo"])
    if isinstance(data.get("slug"), str):
        taken = db.find_row("organization", {"slug": data["slug"]})
        if taken is not None and taken["id"] != org_id:
            raise bad("ORGANIZATION_SLUG_ALREADY_TAKEN")
    data.update(plugin.hook("before_update_organization", organization=data,
                            user=found.user, member=member) or {})
    if "metadata" in data:
        data["metadata"] = metadata_text(data["metadata"])
    values = {k: v for k, v in data.items() if k in ("name", "slug", "logo", "metadata")}
    if not values:
        # Better Auth runs an UPDATE with nothing to set, which its adapter refuses with a
        # 500; authkit answers the caller's mistake with a 400 (bad input is never a 500).
        raise APIError(400, None, "No fields to update", body_kind="message")
    if not db.update_rows("organization", {"id": org_id}, values):
        raise bad("ORGANIZATION_NOT_FOUND")
    org = db.find_row("organization", {"id": org_id})
    assert org is not None
    plugin.hook("after_update_organization", organization=org, user=found.user, member=member)
    return organization_json(org, parsed_metadata=True)


def delete_organization(db: RowOps, org_id: str) -> None:
    """Delete an organization and everything that belongs to it.

    The foreign keys would cascade on PostgreSQL, MySQL and on SQLite with foreign keys on;
    deleting explicitly leaves nothing behind on a SQLite database opened without them.
    """
    tables = db.table("organization").metadata.tables
    if "team" in tables:
        team_ids = [t["id"] for t in db.find_rows("team", {"organizationId": org_id})]
        if team_ids:
            db.delete_rows("teamMember", [Condition("teamId", "in", team_ids)])
        db.delete_rows("team", {"organizationId": org_id})
    if "organizationRole" in tables:
        db.delete_rows("organizationRole", {"organizationId": org_id})
    db.delete_rows("invitation", {"organizationId": org_id})
    db.delete_rows("member", {"organizationId": org_id})
    db.delete_rows("organization", {"id": org_id})


def delete(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/delete → the deleted Organization."""
    if plugin.options.disable_organization_deletion:
        raise org_error(404, "ORGANIZATION_DELETION_DISABLED")
    body: DeleteBody = ctx.body
    found = session_or(ctx, empty(401), from_store=True)
    member = caller_member(ctx, found, body.organizationId,
                           bad("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"))
    db = store(ctx)
    if not plugin.member_allows(db, member, {"organization": ["delete"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
    org = db.find_row("organization", {"id": body.organizationId})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    plugin.hook("before_delete_organization", organization=org, user=found.user)
    with ctx.auth.storage.transaction() as tx:
        delete_organization(tx, org["id"])
    if active_organization_id(found) == org["id"]:
        set_active(ctx, found, {"activeOrganizationId": None}, cookie=False)
    plugin.hook("after_delete_organization", organization=org, user=found.user)
    return organization_json(org)


def list_organizations(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list → every organization the caller belongs to."""
    found = session(ctx)
    db = store(ctx)
    ids = [m["organizationId"] for m in db.find_rows("member", {"userId": found.user.id})]
    if not ids:
        return []
    # In creation order, as Better Auth lists them (an id lookup alone comes back in id order).
    rows = db.find_rows("organization", [Condition("id", "in", ids)], sort=BY_AGE)
    return [organization_json(r) for r in rows]


def _lookup(plugin: OrganizationPlugin, ctx: Context, query: GetQuery,
            found: SessionWithUser) -> Row | None:
    """The organization named by slug / id / the active one, checked for membership; a
    refused caller loses the active organization (Better Auth clears it the same way)."""
    db = store(ctx)
    if query.organizationSlug:
        org = db.find_row("organization", {"slug": query.organizationSlug})
    else:
        org_id = organization_id(found, query.organizationId)
        if org_id is None:
            return None
        org = db.find_row("organization", {"id": org_id})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    if member_of(db, org["id"], found.user.id) is None:
        set_active(ctx, found, {"activeOrganizationId": None}, cookie=False)
        raise forbidden("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    return org


def get_organization(plugin: OrganizationPlugin, ctx: Context) -> Row | None:
    """GET /organization/get-organization → Organization, or ``null`` when none is named."""
    found = session(ctx)
    org = _lookup(plugin, ctx, ctx.query, found)
    return None if org is None else organization_json(org)


def _members_limit(value: Any) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number > 0 else None


def get_full_organization(plugin: OrganizationPlugin, ctx: Context) -> Row | None:
    """GET /organization/get-full-organization → Organization + invitations, members, teams."""
    found = session(ctx)
    query: GetQuery = ctx.query
    org = _lookup(plugin, ctx, query, found)
    if org is None:
        return None
    db = store(ctx)
    caller = member_of(db, org["id"], found.user.id)
    assert caller is not None
    members = db.find_rows("member", {"organizationId": org["id"]}, sort=BY_AGE,
                           limit=_members_limit(query.membersLimit))
    users = users_by_id(db, [m["userId"] for m in members])
    invitations: list[Row] = []
    if plugin.member_allows(db, caller, {"invitation": ["create"]}):
        rows = db.find_rows("invitation", {"organizationId": org["id"]}, sort=BY_AGE)
        if not plugin.is_creator(caller):
            rows = [r for r in rows if plugin.options.creator_role
                    not in (r.get("role") or "").split(",")]
        invitations = [invitation_json(r) for r in rows]
    out = organization_json(org)
    out["invitations"] = invitations
    out["members"] = [member_json(m, users.get(m["userId"])) for m in members
                      if m["userId"] in users]
    if plugin.options.teams.enabled:
        out["teams"] = [team_json(t, with_count=True)
                        for t in db.find_rows("team", {"organizationId": org["id"]}, sort=BY_AGE)]
    return out


def set_active_organization(plugin: OrganizationPlugin, ctx: Context) -> Row | None:
    """POST /organization/set-active → the Organization (cookie re-sent), or ``null``."""
    found = session(ctx)
    body: SetActiveBody = ctx.body
    db = store(ctx)
    given = body.model_fields_set
    if "organizationId" in given and body.organizationId is None:
        if active_organization_id(found) is not None:
            set_active(ctx, found, {"activeOrganizationId": None}, cookie=True)
        return None
    if body.organizationId is not None and not isinstance(body.organizationId, str):
        raise expected_string("body.organizationId", body.organizationId)
    org_id: str | None = body.organizationId
    if org_id is None and body.organizationSlug is not None:
        by_slug = db.find_row("organization", {"slug": body.organizationSlug})
        if by_slug is None:
            raise bad("ORGANIZATION_NOT_FOUND")
        org_id = by_slug["id"]
    if org_id is None:
        org_id = active_organization_id(found)
        if org_id is None:
            return None
    if member_of(db, org_id, found.user.id) is None:
        set_active(ctx, found, {"activeOrganizationId": None}, cookie=False)
        raise forbidden("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    org = db.find_row("organization", {"id": org_id})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    set_active(ctx, found, {"activeOrganizationId": org_id}, cookie=True)
    return organization_json(org)
