"""``AUTHKIT_PLUGINS=organization``: the organization plugin as the reference deployment
configures it (teams with a default team, dynamic roles, invitation mail), each knob read
from ``AUTHKIT_ORG_*`` with the reference's defaults.

Two choices the reference makes in code are knobs here: ``AUTHKIT_ORG_ACCESS_CONTROL``, a
JSON object ``{"statements": {resource: [actions]}, "roles": {role: {resource: [actions]}}}``
merged over Better Auth's default statements and owner/admin/member roles, and
``AUTHKIT_ORG_RESERVED_SLUGS``, slugs refused on create and update (default: none).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ...errors import APIError, ConfigError
from ...mail.message import Mail
from ..serve_registry import ServeContext, ServeResult
from . import organization
from .access import extend_roles

log = logging.getLogger("authkit.mail")

KNOBS: dict[str, str] = {
    "AUTHKIT_ORG_ORGANIZATION_LIMIT": "organizations a user may belong to when creating one "
                                      "(default unlimited)",
    "AUTHKIT_ORG_MEMBERSHIP_LIMIT": "members per organization (default 100)",
    "AUTHKIT_ORG_INVITATION_LIMIT": "pending invitations per organization (default 100)",
    "AUTHKIT_ORG_INVITATION_EXPIRES_IN": "invitation lifetime in seconds (default 172800)",
    "AUTHKIT_ORG_CANCEL_PENDING_ON_REINVITE": "on/off: a new invitation cancels the pending "
                                              "one (default off)",
    "AUTHKIT_ORG_REQUIRE_EMAIL_VERIFICATION_ON_INVITATION": "on/off: only verified e-mails "
                                                            "may view/accept (default off)",
    "AUTHKIT_ORG_DISABLE_DELETION": "on/off: refuse /organization/delete (default off)",
    "AUTHKIT_ORG_ALLOW_CREATE": "who may create organizations: all, verified or none "
                                "(default all)",
    "AUTHKIT_ORG_RESERVED_SLUGS": "comma list of slugs refused with ORGANIZATION_SLUG_RESERVED "
                                  "(default none)",
    "AUTHKIT_ORG_MAX_TEAMS": "teams per organization (default unlimited)",
    "AUTHKIT_ORG_MAX_MEMBERS_PER_TEAM": "members per team (default unlimited)",
    "AUTHKIT_ORG_ALLOW_REMOVING_ALL_TEAMS": "on/off: allow removing the last team (default off)",
    "AUTHKIT_ORG_DEFAULT_TEAM": "on/off: each new organization gets a team (default on)",
    "AUTHKIT_ORG_MAX_ROLES": "dynamic roles per organization (default unlimited)",
    "AUTHKIT_ORG_ACCESS_CONTROL": 'JSON {"statements": {...}, "roles": {...}} merged over the '
                                  "default statements and roles",
}


def _optional(ctx: ServeContext, name: str) -> int | None:
    return None if ctx.text(name) is None else ctx.num(name, 0)


def _access_control(text: str | None) -> tuple[Any, Any]:
    value: Any = {}
    if text is not None:
        try:
            value = json.loads(text)
        except ValueError:
            value = None
    statements: Any = value.get("statements", {}) if isinstance(value, dict) else None
    grants: Any = value.get("roles", {}) if isinstance(value, dict) else None
    if not _is_grants(statements, depth=1) or not _is_grants(grants, depth=2):
        raise ConfigError('AUTHKIT_ORG_ACCESS_CONTROL: expected JSON {"statements": '
                          '{resource: [actions]}, "roles": {role: {resource: [actions]}}}')
    try:
        return extend_roles(statements, grants)
    except ConfigError as exc:
        raise ConfigError(f"AUTHKIT_ORG_ACCESS_CONTROL: {exc}") from None


def _is_grants(value: Any, *, depth: int) -> bool:
    if not isinstance(value, dict):
        return False
    if depth == 1:
        return all(isinstance(v, list) and all(isinstance(a, str) for a in v)
                   for v in value.values())
    return all(_is_grants(v, depth=1) for v in value.values())


def configure(ctx: ServeContext) -> ServeResult:
    """The plugin of these knobs."""
    allow = (ctx.text("ORG_ALLOW_CREATE") or "all").lower()
    if allow not in ("all", "verified", "none"):
        raise ConfigError(f"AUTHKIT_ORG_ALLOW_CREATE={allow!r}: use all, verified or none")
    reserved = {s.lower() for s in ctx.csv("ORG_RESERVED_SLUGS")}
    ac, roles = _access_control(ctx.text("ORG_ACCESS_CONTROL"))
    base_url = (ctx.base_url or "http://localhost:3000").rstrip("/")

    def check_reserved(organization: dict[str, Any], **_: Any) -> None:
        slug = organization.get("slug")
        if isinstance(slug, str) and slug.lower() in reserved:
            raise APIError(400, "ORGANIZATION_SLUG_RESERVED", "This organization slug is reserved")

    def send_invitation(data: dict[str, Any]) -> None:
        invitation_id = data["id"]
        url = f"{base_url}/accept-invitation/{invitation_id}"
        org = data["organization"]
        inviter_email = data["inviter"]["user"]["email"]
        ctx.outbox("invitation", email=data["email"], url=url, token=invitation_id,
                   invitationId=invitation_id, organizationId=org["id"],
                   organizationName=org["name"], organizationSlug=org["slug"],
                   role=data["role"], inviterEmail=inviter_email,
                   teamId=data["invitation"]["teamId"])
        if ctx.mail_sender is not None:
            text = (f"{inviter_email} invited you to join {org['name']} on {ctx.app_name}.\n\n"
                    f"Accept the invitation: {url}\n\nIf you did not expect this, ignore "
                    "this message.\n")
            try:
                ctx.mail_sender.send(Mail(to=data["email"], subject=f"Join {org['name']}",
                                          text=text, kind="invitation"))
            except Exception:  # the invitation stands and can be resent
                log.exception("invitation mail to %s not delivered", data["email"])

    def may_create(user: Any) -> bool:
        return allow == "all" or (allow == "verified" and bool(user.email_verified))

    options: dict[str, Any] = {}
    for key, knob in (("organization_limit", "ORG_ORGANIZATION_LIMIT"),
                      ("membership_limit", "ORG_MEMBERSHIP_LIMIT"),
                      ("invitation_limit", "ORG_INVITATION_LIMIT"),
                      ("invitation_expires_in", "ORG_INVITATION_EXPIRES_IN")):
        number = _optional(ctx, knob)
        if number is not None:
            options[key] = number
    teams: dict[str, Any] = {
        "enabled": True, "default_team": ctx.flag("ORG_DEFAULT_TEAM", True),
        "maximum_teams": _optional(ctx, "ORG_MAX_TEAMS"),
        "maximum_members_per_team": _optional(ctx, "ORG_MAX_MEMBERS_PER_TEAM"),
        "allow_removing_all_teams": ctx.flag("ORG_ALLOW_REMOVING_ALL_TEAMS", False),
    }
    plugin = organization(
        ac=ac, roles=roles, creator_role="owner", teams=teams,
        dynamic_access_control={"enabled": True,
                                "maximum_roles_per_organization": _optional(ctx, "ORG_MAX_ROLES")},
        allow_user_to_create_organization=may_create,
        cancel_pending_invitations_on_re_invite=ctx.flag("ORG_CANCEL_PENDING_ON_REINVITE", False),
        require_email_verification_on_invitation=ctx.flag(
            "ORG_REQUIRE_EMAIL_VERIFICATION_ON_INVITATION", False),
        disable_organization_deletion=ctx.flag("ORG_DISABLE_DELETION", False),
        send_invitation_email=send_invitation,
        organization_hooks={"before_create_organization": check_reserved,
                            "before_update_organization": check_reserved},
        **options,
    )
    return ServeResult(plugins=[plugin])
