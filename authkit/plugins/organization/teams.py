"""Team routes (``teams={"enabled": True}``): create, list, update, remove, set-active-team,
list-user-teams, list-team-members, add/remove-team-member.

Team lookups are always scoped by organization id, so a team id of another organization is
simply "not found".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ...storage.query import Condition
from ...validation import Body
from .common import (
    active_organization_id,
    active_team_id,
    caller_member,
    expected_string,
    organization_id,
    session,
    session_or,
    store,
    writer,
)
from .errors import bad, empty, forbidden
from .records import (
    BY_AGE,
    Row,
    add_team_member,
    member_of,
    remove_team_members,
    set_active,
    team_json,
    team_member_json,
)

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import OrganizationPlugin


class CreateTeamBody(Body):
    """Body of ``/organization/create-team`` (an empty name is accepted, as upstream)."""

    name: str
    organizationId: str | None = None


class OrgQuery(Body):
    """``?organizationId=``."""

    organizationId: str | None = None


class UpdateTeamData(Body):
    """``data`` of ``/organization/update-team``."""

    name: Annotated[str, Field(min_length=1)] | None = None
    organizationId: str | None = None


class UpdateTeamBody(Body):
    """Body of ``/organization/update-team``."""

    teamId: str
    data: UpdateTeamData


class RemoveTeamBody(Body):
    """Body of ``/organization/remove-team``."""

    teamId: str
    organizationId: str | None = None


class SetActiveTeamBody(Body):
    """Body of ``/organization/set-active-team`` (``teamId: null`` unsets)."""

    teamId: Any = None


class UserTeamsQuery(Body):
    """Query of ``/organization/list-user-teams``."""

    userId: str | None = None
    organizationId: str | None = None


class TeamQuery(Body):
    """Query of ``/organization/list-team-members``."""

    teamId: str | None = None


class TeamMemberBody(Body):
    """Body of ``/organization/add-team-member`` and ``remove-team-member``."""

    teamId: str
    userId: str
    organizationId: str | None = None


def create_team(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/create-team → Team."""
    found = session_or(ctx, empty(401), from_store=True)
    body: CreateTeamBody = ctx.body
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    db = store(ctx)
    member = caller_member(ctx, found, org_id,
                           forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"))
    if not plugin.member_allows(db, member, {"team": ["create"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION")
    limit = plugin.options.teams.maximum_teams
    if limit is not None and db.count_rows("team", {"organizationId": org_id}) >= limit:
        raise bad("YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS")
    org = db.find_row("organization", {"id": org_id})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    now = ctx.auth.now()
    data: Row = {"name": body.name, "organizationId": org_id, "createdAt": now,
                 "updatedAt": now, "memberCount": 0}
    data.update(plugin.hook("before_create_team", team=data, user=found.user,
                            organization=org) or {})
    team = db.create_row("team", data)
    plugin.hook("after_create_team", team=team, user=found.user, organization=org)
    return team_json(team)


def list_teams(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list-teams → the organization's teams."""
    found = session(ctx)
    query: OrgQuery = ctx.query
    org_id = organization_id(found, query.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    caller_member(ctx, found, org_id, forbidden("YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION"))
    rows = store(ctx).find_rows("team", {"organizationId": org_id}, sort=BY_AGE)
    return [team_json(t) for t in rows]


def update_team(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/update-team → the updated Team."""
    found = writer(ctx)
    body: UpdateTeamBody = ctx.body
    org_id = organization_id(found, body.data.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    db = store(ctx)
    refused = forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM")
    member = caller_member(ctx, found, org_id, refused)
    if not plugin.member_allows(db, member, {"team": ["update"]}):
        raise refused
    team = db.find_row("team", {"id": body.teamId, "organizationId": org_id})
    if team is None:
        raise bad("TEAM_NOT_FOUND")
    org = db.find_row("organization", {"id": org_id})
    updates: Row = {"updatedAt": ctx.auth.now()}
    if body.data.name is not None:
        updates["name"] = body.data.name
    updates.update(plugin.hook("before_update_team", team=team, updates=updates,
                               user=found.user, organization=org) or {})
    updates = {k: v for k, v in updates.items() if k in ("name", "updatedAt")}
    db.update_rows("team", {"id": team["id"]}, updates)
    updated = {**team, **updates}
    plugin.hook("after_update_team", team=updated, user=found.user, organization=org)
    return team_json(updated)


def remove_team(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/remove-team → ``{message}``; pending invitations forget the team."""
    body: RemoveTeamBody = ctx.body
    found = ctx.auth.sessions.resolve(ctx, disable_cookie_cache=True)
    org_id = body.organizationId or (active_organization_id(found) if found else None)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    if found is None:
        raise empty(401)
    ctx.session = found
    db = store(ctx)
    member = member_of(db, org_id, found.user.id)
    if member is None or active_team_id(found) == body.teamId:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM")
    if not plugin.member_allows(db, member, {"team": ["delete"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_DELETE_TEAMS_IN_THIS_ORGANIZATION")
    team = db.find_row("team", {"id": body.teamId, "organizationId": org_id})
    if team is None:
        raise bad("TEAM_NOT_FOUND")
    if (not plugin.options.teams.allow_removing_all_teams
            and db.count_rows("team", {"organizationId": org_id}) <= 1):
        raise bad("UNABLE_TO_REMOVE_LAST_TEAM")
    org = db.find_row("organization", {"id": org_id})
    plugin.hook("before_delete_team", team=team, user=found.user, organization=org)
    with ctx.auth.storage.transaction() as tx:
        tx.delete_rows("teamMember", {"teamId": team["id"]})
        tx.delete_rows("team", {"id": team["id"]})
        pending = tx.find_rows("invitation", [
            Condition("organizationId", "eq", org_id), Condition("status", "eq", "pending"),
            Condition("teamId", "contains", team["id"])])
        for invitation in pending:
            ids = [t for t in (invitation["teamId"] or "").split(",") if t and t != team["id"]]
            tx.update_rows("invitation", {"id": invitation["id"]},
                           {"teamId": ",".join(ids) or None})
    plugin.hook("after_delete_team", team=team, user=found.user, organization=org)
    return {"message": "Team removed successfully."}


def set_active_team(plugin: OrganizationPlugin, ctx: Context) -> Row | None:
    """POST /organization/set-active-team → Team (cookie re-sent), or ``null``."""
    found = session(ctx)
    body: SetActiveTeamBody = ctx.body
    if "teamId" in body.model_fields_set and body.teamId is None:
        if active_team_id(found) is not None:
            set_active(ctx, found, {"activeTeamId": None}, cookie=True)
        return None
    if body.teamId is not None and not isinstance(body.teamId, str):
        raise expected_string("body.teamId", body.teamId)
    org_id = active_organization_id(found)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    team_id = body.teamId or active_team_id(found)
    if team_id is None:
        return None
    db = store(ctx)
    team = db.find_row("team", {"id": team_id, "organizationId": org_id})
    if team is None:
        raise bad("TEAM_NOT_FOUND")
    if db.find_row("teamMember", {"teamId": team_id, "userId": found.user.id}) is None:
        raise forbidden("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    set_active(ctx, found, {"activeTeamId": team_id}, cookie=True)
    return team_json(team)


def list_user_teams(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list-user-teams → the teams of the caller (or of ``userId``)."""
    found = session(ctx)
    query: UserTeamsQuery = ctx.query
    db = store(ctx)
    not_member = forbidden("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
    user_id = found.user.id
    if query.userId and query.userId != found.user.id:
        org_id = organization_id(found, query.organizationId)
        if org_id is None:
            raise bad("NO_ACTIVE_ORGANIZATION")
        caller = caller_member(ctx, found, org_id, not_member)
        if not plugin.member_allows(db, caller, {"member": ["update"]}):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER")
        if member_of(db, org_id, query.userId) is None:
            raise bad("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
        user_id, org_ids = query.userId, [org_id]
    elif query.organizationId:
        caller_member(ctx, found, query.organizationId, not_member)
        org_ids = [query.organizationId]
    else:
        org_ids = [m["organizationId"] for m in db.find_rows("member", {"userId": user_id})]
    team_ids = [t["teamId"] for t in db.find_rows("teamMember", {"userId": user_id})]
    if not team_ids or not org_ids:
        return []
    rows = db.find_rows("team", [Condition("id", "in", team_ids),
                                 Condition("organizationId", "in", org_ids)],
                        sort=BY_AGE)
    return [team_json(t) for t in rows]


def list_team_members(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list-team-members → the team's TeamMember rows."""
    found = session(ctx)
    query: TeamQuery = ctx.query
    team_id = query.teamId or active_team_id(found)
    if team_id is None:
        raise bad("YOU_DO_NOT_HAVE_AN_ACTIVE_TEAM")
    db = store(ctx)
    team = db.find_row("team", {"id": team_id})
    if team is None:
        raise bad("TEAM_NOT_FOUND")
    not_in_team = bad("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    caller_member(ctx, found, team["organizationId"], not_in_team)
    if db.find_row("teamMember", {"teamId": team_id, "userId": found.user.id}) is None:
        raise not_in_team
    rows = db.find_rows("teamMember", {"teamId": team_id}, sort=BY_AGE)
    return [team_member_json(r) for r in rows]


def _team_member_checks(plugin: OrganizationPlugin, ctx: Context, permission: str,
                        refused: str) -> tuple[Any, Row, Row, Row | None]:
    found = writer(ctx)
    body: TeamMemberBody = ctx.body
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("NO_ACTIVE_ORGANIZATION")
    db = store(ctx)
    not_member = bad("USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    caller = caller_member(ctx, found, org_id, not_member)
    if not plugin.member_allows(db, caller, {"member": [permission]}):
        raise forbidden(refused)
    if member_of(db, org_id, body.userId) is None:
        raise not_member
    team = db.find_row("team", {"id": body.teamId, "organizationId": org_id})
    if team is None:
        raise bad("TEAM_NOT_FOUND")
    return found, caller, team, db.find_row("organization", {"id": org_id})


def add_team_member_route(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/add-team-member → TeamMember (the existing one when already in)."""
    found, _, team, org = _team_member_checks(plugin, ctx, "update",
                                              "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_TEAM_MEMBER")
    body: TeamMemberBody = ctx.body
    db = store(ctx)
    existing = db.find_row("teamMember", {"teamId": team["id"], "userId": body.userId})
    if existing is not None:
        return team_member_json(existing)
    data: Row = {"teamId": team["id"], "userId": body.userId}
    plugin.hook("before_add_team_member", team_member=data, team=team, user=found.user,
                organization=org)
    with ctx.auth.storage.transaction() as tx:
        row = add_team_member(tx, team["id"], body.userId, ctx.auth.now(),
                              plugin.options.teams.maximum_members_per_team)
    plugin.hook("after_add_team_member", team_member=row, team=team, user=found.user,
                organization=org)
    return team_member_json(row)


def remove_team_member_route(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/remove-team-member → ``{message}``."""
    found, _, team, org = _team_member_checks(plugin, ctx, "delete",
                                              "YOU_ARE_NOT_ALLOWED_TO_REMOVE_A_TEAM_MEMBER")
    body: TeamMemberBody = ctx.body
    db = store(ctx)
    row = db.find_row("teamMember", {"teamId": team["id"], "userId": body.userId})
    if row is None:
        raise bad("USER_IS_NOT_A_MEMBER_OF_THE_TEAM")
    plugin.hook("before_remove_team_member", team_member=row, team=team, user=found.user,
                organization=org)
    with ctx.auth.storage.transaction() as tx:
        remove_team_members(tx, team["id"], [body.userId])
    plugin.hook("after_remove_team_member", team_member=row, team=team, user=found.user,
                organization=org)
    return {"message": "Team member removed successfully."}
