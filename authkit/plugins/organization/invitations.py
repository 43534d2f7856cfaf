"""Invitation routes: invite-member (with resend), accept, reject, cancel, get-invitation,
list-invitations, list-user-invitations; and the invitation mail.

The invitation id is the secret of the accept link, so it is a fresh random 32-character id
and a route never shows an invitation to anyone but its recipient or the organization's
members allowed to invite.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ...storage.query import Condition
from ...validation import Body, is_valid_email
from .access import parse_roles
from .common import caller_member, organization_id, session, session_or, store, writer
from .errors import bad, forbidden, message_only, org_error
from .records import (
    BY_AGE,
    Row,
    add_team_member,
    invitation_json,
    member_json,
    member_of,
    set_active,
    team_full,
    user_brief,
)

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...models import SessionWithUser, User
    from ...storage.rows import RowOps
    from . import OrganizationPlugin


class InviteBody(Body):
    """Body of ``/organization/invite-member``."""

    email: str
    role: Any
    organizationId: str | None = None
    resend: bool | None = None
    teamId: str | list[str] | None = None


class InvitationIdBody(Body):
    """``{invitationId}``."""

    invitationId: str


class GetInvitationQuery(Body):
    """Query of ``/organization/get-invitation``."""

    id: str


class ListInvitationsQuery(Body):
    """Query of ``/organization/list-invitations``."""

    organizationId: str | None = None


class UserInvitationsQuery(Body):
    """Query of ``/organization/list-user-invitations``."""

    email: str | None = None


def _pending(row: Row | None, now: Any, *, check_expiry: bool = True) -> bool:
    return row is not None and row["status"] == "pending" and (
        not check_expiry or row["expiresAt"] >= now)


def _holds_creator(plugin: OrganizationPlugin, role: Any) -> bool:
    return plugin.options.creator_role in parse_roles(role)


def send_mail(plugin: OrganizationPlugin, invitation: Row, organization: Row,
              inviter: Row, inviter_user: User) -> None:
    """Hand the invitation to ``send_invitation_email`` (awaited before the response)."""
    sender = plugin.options.send_invitation_email
    if sender is None:
        return
    from .records import organization_json

    sender({
        "id": invitation["id"],
        "role": invitation["role"],
        "email": invitation["email"],
        "organization": organization_json(organization),
        "invitation": invitation_json(invitation),
        "inviter": {**member_json(inviter), "user": user_brief(inviter_user)},
    })


def invite_member(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/invite-member → Invitation (new, or the resent one)."""
    found = writer(ctx)
    body: InviteBody = ctx.body
    opts = plugin.options
    org_id = organization_id(found, body.organizationId)
    if org_id is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    email = body.email.lower()
    # invitation.email is indexed: varchar(255) on MySQL/MariaDB.
    if not is_valid_email(email) or len(email) > 255:
        raise org_error(400, "INVALID_EMAIL", "Invalid email")
    db = store(ctx)
    inviter = caller_member(ctx, found, org_id, bad("MEMBER_NOT_FOUND"))
    if not plugin.member_allows(db, inviter, {"invitation": ["create"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
    roles = parse_roles(body.role if isinstance(body.role, (str, list)) else None)
    if not roles:
        raise bad("ROLE_NOT_FOUND")
    known = plugin.roles_of_organization(db, org_id)
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise message_only(400, f"ROLE_NOT_FOUND: {', '.join(unknown)}")
    caller_is_owner = plugin.is_creator(inviter)
    if opts.creator_role in roles and not caller_is_owner:
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    invitee = ctx.auth.db.get_user_by_email(email)
    if invitee is not None and member_of(db, org_id, invitee.id) is not None:
        raise bad("USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    now = ctx.auth.now()
    pending = [r for r in db.find_rows("invitation", {"email": email, "organizationId": org_id,
                                                      "status": "pending"})
               if r["expiresAt"] >= now]
    if pending and not body.resend and not opts.cancel_pending_invitations_on_re_invite:
        raise bad("USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION")
    org = db.find_row("organization", {"id": org_id})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    expires = now + timedelta(seconds=opts.invitation_expires_in)
    if pending and body.resend:
        existing = pending[0]
        if _holds_creator(plugin, existing["role"]) and not caller_is_owner:
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
        db.update_rows("invitation", {"id": existing["id"]}, {"expiresAt": expires})
        updated = {**existing, "expiresAt": expires}
        send_mail(plugin, updated, org, inviter, found.user)
        return invitation_json(updated)
    if pending and opts.cancel_pending_invitations_on_re_invite:
        db.update_rows("invitation", [Condition("id", "in", [p["id"] for p in pending])],
                       {"status": "canceled"})
    open_count = db.count_rows("invitation", [
        Condition("organizationId", "eq", org_id), Condition("status", "eq", "pending"),
        Condition("expiresAt", "gte", now)])
    if open_count >= opts.invitation_limit:
        raise forbidden("INVITATION_LIMIT_REACHED")
    team_ids = _team_ids(plugin, db, org_id, body.teamId)
    data: Row = {"organizationId": org_id, "email": email, "role": ",".join(roles),
                 "teamId": ",".join(team_ids) if team_ids else None, "status": "pending",
                 "expiresAt": expires, "createdAt": now, "inviterId": found.user.id}
    data.update(plugin.hook("before_create_invitation", invitation=data, inviter=found.user,
                            organization=org) or {})
    invitation = db.create_row("invitation", data)
    send_mail(plugin, invitation, org, inviter, found.user)
    plugin.hook("after_create_invitation", invitation=invitation, inviter=found.user,
                organization=org)
    return invitation_json(invitation)


def _team_ids(plugin: OrganizationPlugin, db: RowOps, org_id: str,
              given: str | list[str] | None) -> list[str]:
    ids = [given] if isinstance(given, str) else list(given or [])
    if not ids:
        return []
    if any("," in t for t in ids):
        raise bad("INVALID_TEAM_ID")
    limit = plugin.options.teams.maximum_members_per_team
    for team_id in ids:
        team = (db.find_row("team", {"id": team_id, "organizationId": org_id})
                if plugin.options.teams.enabled else None)
        if team is None:
            raise bad("TEAM_NOT_FOUND")
        if team_full(db, team, limit):
            raise forbidden("TEAM_MEMBER_LIMIT_REACHED")
    return ids


def _recipient_checks(plugin: OrganizationPlugin, found: SessionWithUser, invitation: Row,
                      verification_code: str) -> None:
    if invitation["email"].lower() != found.user.email.lower():
        raise forbidden("YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    if plugin.options.require_email_verification_on_invitation and not found.user.email_verified:
        raise forbidden(verification_code)


def accept_invitation(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/accept-invitation → ``{invitation, member}``."""
    found = writer(ctx)
    body: InvitationIdBody = ctx.body
    db = store(ctx)
    now = ctx.auth.now()
    invitation = db.find_row("invitation", {"id": body.invitationId})
    if invitation is None or not _pending(invitation, now):
        raise bad("INVITATION_NOT_FOUND")
    _recipient_checks(plugin, found, invitation,
                      "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION")
    org_id = invitation["organizationId"]
    org = db.find_row("organization", {"id": org_id})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    if db.count_rows("member", {"organizationId": org_id}) >= plugin.options.membership_limit:
        raise forbidden("ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
    plugin.hook("before_accept_invitation", invitation=invitation, user=found.user,
                organization=org)
    # The status moves first, conditionally: of two concurrent accepts only one proceeds.
    if not db.update_rows("invitation", {"id": invitation["id"], "status": "pending"},
                          {"status": "accepted"}):
        raise bad("INVITATION_NOT_FOUND")
    team_ids = [t for t in (invitation.get("teamId") or "").split(",") if t]
    try:
        with ctx.auth.storage.transaction() as tx:
            for team_id in team_ids:
                if (not plugin.options.teams.enabled
                        or tx.find_row("team", {"id": team_id, "organizationId": org_id})
                        is None):
                    raise bad("TEAM_NOT_FOUND")
                add_team_member(tx, team_id, found.user.id, now,
                                plugin.options.teams.maximum_members_per_team)
            member = tx.create_row("member", {
                "organizationId": org_id, "userId": found.user.id,
                "role": invitation["role"] or "member", "createdAt": now})
    except Exception:
        db.update_rows("invitation", {"id": invitation["id"]}, {"status": "pending"})
        raise
    values: Row = {"activeOrganizationId": org_id}
    if len(team_ids) == 1:
        values["activeTeamId"] = team_ids[0]
    set_active(ctx, found, values, cookie=len(team_ids) == 1)
    accepted = {**invitation, "status": "accepted"}
    plugin.hook("after_accept_invitation", invitation=accepted, member=member, user=found.user,
                organization=org)
    return {"invitation": invitation_json(accepted), "member": member_json(member)}


def reject_invitation(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/reject-invitation → ``{invitation, member: null}`` (expiry ignored)."""
    found = writer(ctx)
    body: InvitationIdBody = ctx.body
    db = store(ctx)
    invitation = db.find_row("invitation", {"id": body.invitationId})
    if invitation is None or invitation["status"] != "pending":
        raise org_error(400, "INVITATION_NOT_FOUND", "Invitation not found!")
    _recipient_checks(plugin, found, invitation,
                      "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION")
    org = db.find_row("organization", {"id": invitation["organizationId"]})
    plugin.hook("before_reject_invitation", invitation=invitation, user=found.user,
                organization=org)
    db.update_rows("invitation", {"id": invitation["id"]}, {"status": "rejected"})
    rejected = {**invitation, "status": "rejected"}
    plugin.hook("after_reject_invitation", invitation=rejected, user=found.user,
                organization=org)
    return {"invitation": invitation_json(rejected), "member": None}


def cancel_invitation(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """POST /organization/cancel-invitation → the Invitation, status ``canceled``."""
    found = writer(ctx)
    body: InvitationIdBody = ctx.body
    db = store(ctx)
    invitation = db.find_row("invitation", {"id": body.invitationId})
    if invitation is None:
        raise bad("INVITATION_NOT_FOUND")
    member = caller_member(ctx, found, invitation["organizationId"], bad("MEMBER_NOT_FOUND"))
    if not plugin.member_allows(db, member, {"invitation": ["cancel"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION")
    org = db.find_row("organization", {"id": invitation["organizationId"]})
    plugin.hook("before_cancel_invitation", invitation=invitation, cancelled_by=found.user,
                organization=org)
    db.update_rows("invitation", {"id": invitation["id"]}, {"status": "canceled"})
    canceled = {**invitation, "status": "canceled"}
    plugin.hook("after_cancel_invitation", invitation=canceled, cancelled_by=found.user,
                organization=org)
    return invitation_json(canceled)


def get_invitation(plugin: OrganizationPlugin, ctx: Context) -> Row:
    """GET /organization/get-invitation?id= → Invitation + organization name/slug, inviter."""
    found = session_or(ctx, message_only(401, "Not authenticated"))
    query: GetInvitationQuery = ctx.query
    db = store(ctx)
    invitation = db.find_row("invitation", {"id": query.id})
    if invitation is None or not _pending(invitation, ctx.auth.now()):
        raise bad("INVITATION_NOT_FOUND")
    _recipient_checks(plugin, found, invitation, "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    org = db.find_row("organization", {"id": invitation["organizationId"]})
    if org is None:
        raise bad("ORGANIZATION_NOT_FOUND")
    if member_of(db, org["id"], invitation["inviterId"]) is None:
        raise bad("INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION")
    inviter = ctx.auth.db.get_user_by_id(invitation["inviterId"])
    out = invitation_json(invitation)
    out.update(organizationName=org["name"], organizationSlug=org["slug"],
               inviterEmail=inviter.email if inviter is not None else None)
    return out


def list_invitations(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list-invitations → every invitation of the organization."""
    found = session(ctx)
    query: ListInvitationsQuery = ctx.query
    org_id = organization_id(found, query.organizationId)
    if org_id is None:
        raise message_only(400, "Organization ID is required")
    db = store(ctx)
    member = caller_member(ctx, found, org_id,
                           message_only(403, "You are not a member of this organization"))
    if not plugin.member_allows(db, member, {"invitation": ["create"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS")
    rows = db.find_rows("invitation", {"organizationId": org_id}, sort=BY_AGE)
    if not plugin.is_creator(member):
        # Only owners see invitations that would make someone an owner.
        rows = [r for r in rows if not _holds_creator(plugin, r.get("role"))]
    return [invitation_json(r) for r in rows]


def list_user_invitations(plugin: OrganizationPlugin, ctx: Context) -> list[Row]:
    """GET /organization/list-user-invitations → the caller's pending invitations."""
    query: UserInvitationsQuery = ctx.query
    found = ctx.auth.sessions.resolve(ctx)
    if query.email is not None and (found is not None or ctx.request is not None
                                    or ctx.has_headers):
        raise message_only(400, "User email cannot be passed for client side API calls.")
    if found is not None:
        ctx.session = found
        if not found.user.email_verified:
            raise forbidden("EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
        email = found.user.email.lower()
    elif query.email is not None:
        email = query.email.lower()
    else:
        raise message_only(400, "Missing session headers, or email query parameter.")
    db = store(ctx)
    rows = db.find_rows("invitation", {"email": email, "status": "pending"}, sort=BY_AGE)
    orgs = {o["id"]: o for o in db.find_rows(
        "organization", [Condition("id", "in", sorted({r["organizationId"] for r in rows}))])
    } if rows else {}
    out = []
    for row in rows:
        item = invitation_json(row)
        org = orgs.get(row["organizationId"])
        item["organizationName"] = org["name"] if org else None
        out.append(item)
    return out
