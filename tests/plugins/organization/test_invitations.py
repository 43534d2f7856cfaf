"""Invitations: the mail callback, resend, cancel-on-reinvite, expiry, verification, teams,
and the organization hooks."""

from __future__ import annotations

from typing import Any

import pytest

from authkit.errors import APIError

from .conftest import MakeWorld, World, refused


def test_the_mail_callback_gets_the_invitation_and_the_link_secret(world: World) -> None:
    inv = world.ok("olivia", "invite-member", {"email": "New@Example.com", "role": "admin"})
    data = world.mail[-1]
    assert data["id"] == inv["id"] and data["email"] == "new@example.com"
    assert data["role"] == "admin" and data["organization"]["slug"] == "acme"
    assert data["invitation"]["teamId"] is None
    assert data["inviter"]["user"]["email"] == "olivia@example.com"
    assert data["inviter"]["role"] == "owner"


def test_resend_keeps_the_id_and_role_and_pushes_the_expiry(world: World) -> None:
    first = world.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    refused(world.call("olivia", "invite-member", {"email": "oscar@example.com",
                                                   "role": "member"}),
            400, "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION")
    world.clock.advance(10)
    again = world.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "admin",
                                                 "resend": True})
    assert again["id"] == first["id"] and again["role"] == "member"
    assert again["expiresAt"] > first["expiresAt"]
    assert [m["id"] for m in world.mail[-2:]] == [first["id"], first["id"]]


def test_an_admin_cannot_resend_an_owner_invitation(world: World) -> None:
    world.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "owner"})
    refused(world.call("adam", "invite-member", {"email": "oscar@example.com", "role": "member",
                                                 "resend": True}),
            403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")


def test_cancel_pending_on_reinvite(make_world: MakeWorld) -> None:
    w = make_world(cancel_pending_invitations_on_re_invite=True)
    first = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    second = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "admin"})
    assert second["id"] != first["id"]
    old = w.auth.storage.find_row("invitation", {"id": first["id"]})
    assert old is not None and old["status"] == "canceled"
    refused(w.call("oscar", "accept-invitation", {"invitationId": first["id"]}), 400,
            "INVITATION_NOT_FOUND")
    assert w.ok("oscar", "accept-invitation", {"invitationId": second["id"]})["member"][
        "role"] == "admin"


def test_expired_invitations_cannot_be_accepted_but_can_be_rejected(make_world: MakeWorld
                                                                    ) -> None:
    w = make_world(invitation_expires_in=60)
    inv = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    w.clock.advance(61)
    refused(w.call("oscar", "get-invitation", id=inv["id"]), 400, "INVITATION_NOT_FOUND")
    refused(w.call("oscar", "accept-invitation", {"invitationId": inv["id"]}), 400,
            "INVITATION_NOT_FOUND", "Invitation not found")
    assert w.ok("oscar", "reject-invitation", {"invitationId": inv["id"]})["member"] is None
    refused(w.call("oscar", "reject-invitation", {"invitationId": inv["id"]}), 400,
            "INVITATION_NOT_FOUND", "Invitation not found!")


def test_email_verification_on_invitation(make_world: MakeWorld) -> None:
    w = make_world(require_email_verification_on_invitation=True)
    inv = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    refused(w.call("oscar", "get-invitation", id=inv["id"]), 403,
            "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    for route in ("accept-invitation", "reject-invitation"):
        refused(w.call("oscar", route, {"invitationId": inv["id"]}), 403,
                "EMAIL_VERIFICATION_REQUIRED_BEFORE_ACCEPTING_OR_REJECTING_INVITATION")
    # The recipient check comes first.
    refused(w.call("adam", "accept-invitation", {"invitationId": inv["id"]}), 403,
            "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    w.auth.storage.update_rows("user", {"id": w.ids["oscar"]}, {"emailVerified": True})
    assert w.ok("oscar", "accept-invitation", {"invitationId": inv["id"]})["member"][
        "userId"] == w.ids["oscar"]


def test_accepting_a_one_team_invitation_sets_the_active_team_and_resends_the_cookie(
        world: World) -> None:
    team = world.ok("olivia", "create-team", {"name": "Eng"})
    inv = world.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member",
                                               "teamId": team["id"]})
    res = world.call("oscar", "accept-invitation", {"invitationId": inv["id"]})
    assert res.status == 200 and res.cookie("better-auth.session_token") is not None
    session = world.person("oscar").get("/api/auth/get-session").json["session"]
    assert session["activeTeamId"] == team["id"]
    assert session["activeOrganizationId"] == world.orgs["Acme"]["id"]
    assert world.ok("oscar", "list-team-members", teamId=team["id"])[0]["userId"] == world.ids[
        "oscar"]


def test_removing_a_team_rewrites_pending_invitations(world: World) -> None:
    a = world.ok("olivia", "create-team", {"name": "A"})
    b = world.ok("olivia", "create-team", {"name": "B"})
    inv = world.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member",
                                               "teamId": [a["id"], b["id"]]})
    assert inv["teamId"] == f"{a['id']},{b['id']}"
    world.ok("adam", "remove-team", {"teamId": a["id"]})
    row = world.auth.storage.find_row("invitation", {"id": inv["id"]})
    assert row is not None and row["teamId"] == b["id"]
    world.ok("adam", "remove-team", {"teamId": b["id"]})
    row = world.auth.storage.find_row("invitation", {"id": inv["id"]})
    assert row is not None and row["teamId"] is None


def test_invitations_by_someone_who_left_cannot_be_viewed_but_can_be_accepted(
        world: World) -> None:
    inv = world.ok("adam", "invite-member", {"email": "oscar@example.com", "role": "member"})
    world.ok("olivia", "remove-member", {"memberIdOrEmail": "adam@example.com"})
    refused(world.call("oscar", "get-invitation", id=inv["id"]), 400,
            "INVITER_IS_NO_LONGER_A_MEMBER_OF_THE_ORGANIZATION")
    world.ok("oscar", "accept-invitation", {"invitationId": inv["id"]})


def test_list_user_invitations_needs_a_verified_email(world: World) -> None:
    world.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    refused(world.call("oscar", "list-user-invitations"), 403,
            "EMAIL_VERIFICATION_REQUIRED_FOR_INVITATION")
    refused(world.call("oscar", "list-user-invitations", email="a@example.com"), 400, None,
            "User email cannot be passed for client side API calls.")
    world.auth.storage.update_rows("user", {"id": world.ids["oscar"]}, {"emailVerified": True})
    listed = world.ok("oscar", "list-user-invitations")
    assert [i["organizationName"] for i in listed] == ["Acme"]
    server_side = world.auth.api.list_user_invitations(query={"email": "oscar@example.com"})
    assert [i["id"] for i in server_side] == [listed[0]["id"]]


# -- hooks -------------------------------------------------------------------------------

def test_hooks_can_change_and_refuse_writes(make_world: MakeWorld) -> None:
    calls: list[tuple[str, Any]] = []

    def before_create(organization: dict[str, Any], user: Any) -> dict[str, Any]:
        if organization["slug"] == "forbidden":
            raise APIError(400, "NOPE", "No such slug")
        return {"data": {"logo": "https://example.com/logo.png"}}

    def before_role(member: dict[str, Any], new_role: str, **_: Any) -> dict[str, Any] | None:
        return {"data": {"role": "member"}} if new_role == "admin" else None

    hooks = {
        "before_create_organization": before_create,
        "after_create_organization": lambda **kw: calls.append(("created", kw["organization"])),
        "before_update_member_role": before_role,
        "after_remove_member": lambda **kw: calls.append(("removed", kw["member"])),
        "after_accept_invitation": lambda **kw: calls.append(("accepted", kw["member"])),
    }
    w = make_world(organization_hooks=hooks)
    assert w.orgs["Acme"]["logo"] == "https://example.com/logo.png"
    refused(w.call("oscar", "create", {"name": "F", "slug": "forbidden"}), 400, "NOPE")
    assert w.auth.storage.find_row("organization", {"slug": "forbidden"}) is None
    assert w.ok("olivia", "update-member-role", {"memberId": w.members["Acme:mia"],
                                                 "role": "admin"})["role"] == "member"
    w.ok("olivia", "remove-member", {"memberIdOrEmail": "mia@example.com"})
    inv = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    w.ok("oscar", "accept-invitation", {"invitationId": inv["id"]})
    assert [c[0] for c in calls] == ["created", "created", "removed", "accepted"]


def test_unknown_hook_names_are_refused() -> None:
    from authkit.errors import ConfigError
    from authkit.plugins.organization import organization

    with pytest.raises(ConfigError, match="before_create_org"):
        organization(organization_hooks={"before_create_org": lambda **_: None})
