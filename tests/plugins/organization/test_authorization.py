"""Authorization across organizations, role escalation, last-owner rules and every limit,
each refusal with its exact status and code, and nothing written by a refused call.

Acme's admin ``adam`` (and member ``mia``) act on Globex's objects by id; Globex's rows must
come out unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import MakeWorld, World, refused

Body = Callable[[World], dict[str, Any]]


def _globex_objects(w: World) -> dict[str, str]:
    """An invitation, a team and a role of Globex, made by its owner."""
    inv = w.ok("gus", "invite-member", {"email": "new@example.com", "role": "member"})
    team = w.ok("gus", "create-team", {"name": "G-team"})
    role = w.ok("gus", "create-role", {"role": "g-role", "permission": {"project": ["read"]}})
    return {"invitation": inv["id"], "team": team["id"], "role": role["roleData"]["id"],
            "org": w.orgs["Globex"]["id"], "owner_member": w.members["Globex:gus"],
            "admin_member": w.members["Globex:gail"]}


# (caller, route, body(world, globex ids), status, code)
CROSS_ORG: list[tuple[str, str, Callable[[World, dict[str, str]], dict[str, Any]], int, str]] = [
    ("adam", "update", lambda w, g: {"organizationId": g["org"], "data": {"name": "pwn"}},
     400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("adam", "delete", lambda w, g: {"organizationId": g["org"]},
     400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("adam", "set-active", lambda w, g: {"organizationId": g["org"]},
     403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("adam", "update-member-role", lambda w, g: {"memberId": g["admin_member"], "role": "member"},
     403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"),
    ("adam", "update-member-role",
     lambda w, g: {"memberId": g["admin_member"], "role": "member", "organizationId": g["org"]},
     400, "MEMBER_NOT_FOUND"),
    ("adam", "remove-member", lambda w, g: {"memberIdOrEmail": g["admin_member"]},
     400, "MEMBER_NOT_FOUND"),
    ("adam", "remove-member", lambda w, g: {"memberIdOrEmail": "gail@example.com"},
     400, "MEMBER_NOT_FOUND"),
    # The owner check comes before the organization match, as upstream.
    ("adam", "remove-member", lambda w, g: {"memberIdOrEmail": g["owner_member"]},
     400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER"),
    ("adam", "leave", lambda w, g: {"organizationId": g["org"]}, 400, "MEMBER_NOT_FOUND"),
    ("adam", "invite-member",
     lambda w, g: {"email": "x@example.com", "role": "member", "organizationId": g["org"]},
     400, "MEMBER_NOT_FOUND"),
    ("adam", "cancel-invitation", lambda w, g: {"invitationId": g["invitation"]},
     400, "MEMBER_NOT_FOUND"),
    ("adam", "accept-invitation", lambda w, g: {"invitationId": g["invitation"]},
     403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION"),
    ("adam", "reject-invitation", lambda w, g: {"invitationId": g["invitation"]},
     403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION"),
    ("adam", "has-permission",
     lambda w, g: {"organizationId": g["org"], "permissions": {"project": ["read"]}},
     401, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("adam", "create-team", lambda w, g: {"name": "x", "organizationId": g["org"]},
     403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"),
    ("adam", "update-team", lambda w, g: {"teamId": g["team"], "data": {"name": "pwn"}},
     400, "TEAM_NOT_FOUND"),
    ("adam", "update-team",
     lambda w, g: {"teamId": g["team"], "data": {"name": "pwn", "organizationId": g["org"]}},
     403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_TEAM"),
    ("adam", "remove-team", lambda w, g: {"teamId": g["team"]}, 400, "TEAM_NOT_FOUND"),
    ("adam", "remove-team", lambda w, g: {"teamId": g["team"], "organizationId": g["org"]},
     403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_TEAM"),
    ("adam", "set-active-team", lambda w, g: {"teamId": g["team"]}, 400, "TEAM_NOT_FOUND"),
    ("adam", "add-team-member", lambda w, g: {"teamId": g["team"], "userId": w.ids["adam"]},
     400, "TEAM_NOT_FOUND"),
    ("adam", "add-team-member",
     lambda w, g: {"teamId": g["team"], "userId": w.ids["adam"], "organizationId": g["org"]},
     400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("adam", "remove-team-member",
     lambda w, g: {"teamId": g["team"], "userId": w.ids["gus"], "organizationId": g["org"]},
     400, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("adam", "create-role",
     lambda w, g: {"role": "x", "permission": {"project": ["read"]}, "organizationId": g["org"]},
     403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("adam", "update-role",
     lambda w, g: {"roleId": g["role"], "data": {"permission": {"project": ["update"]}}},
     400, "ROLE_NOT_FOUND"),
    ("adam", "update-role",
     lambda w, g: {"roleId": g["role"], "organizationId": g["org"],
                   "data": {"permission": {"project": ["update"]}}},
     403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("adam", "delete-role", lambda w, g: {"roleId": g["role"]}, 400, "ROLE_NOT_FOUND"),
    ("adam", "delete-role", lambda w, g: {"roleId": g["role"], "organizationId": g["org"]},
     403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
]


def _globex_rows(w: World) -> Any:
    db = w.auth.storage
    org_id = w.orgs["Globex"]["id"]
    return (db.find_rows("organization", {"id": org_id}),
            db.find_rows("member", {"organizationId": org_id}),
            db.find_rows("invitation", {"organizationId": org_id}),
            db.find_rows("team", {"organizationId": org_id}),
            db.find_rows("organizationRole", {"organizationId": org_id}),
            db.find_rows("teamMember"))


def test_a_member_of_acme_cannot_act_on_globex_by_id(world: World) -> None:
    g = _globex_objects(world)
    before = _globex_rows(world)
    for who, route, body, status, code in CROSS_ORG:
        res = world.call(who, route, body(world, g))
        assert res.status == status and res.json.get("code") == code, (route, res.body)
        if route == "set-active":
            world.ok("adam", "set-active", {"organizationId": world.orgs["Acme"]["id"]})
    assert _globex_rows(world) == before


@pytest.mark.parametrize("route, query, status, code", [
    ("get-full-organization", {"organizationId": "G"}, 403,
     "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("get-organization", {"organizationSlug": "globex"}, 403,
     "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"),
    ("list-members", {"organizationId": "G"}, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("get-active-member-role", {"organizationId": "G"}, 403,
     "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("list-teams", {"organizationId": "G"}, 403, "YOU_ARE_NOT_ALLOWED_TO_ACCESS_THIS_ORGANIZATION"),
    ("list-roles", {"organizationId": "G"}, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("get-role", {"organizationId": "G", "roleName": "g-role"}, 403,
     "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("list-user-teams", {"organizationId": "G"}, 403, "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION"),
    ("list-team-members", {"teamId": "T"}, 400, "USER_IS_NOT_A_MEMBER_OF_THE_TEAM"),
    ("get-invitation", {"id": "I"}, 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION"),
])
def test_reads_of_another_organization_are_refused(world: World, route: str,
                                                  query: dict[str, str], status: int,
                                                  code: str) -> None:
    g = _globex_objects(world)
    values = {"G": g["org"], "T": g["team"], "I": g["invitation"]}
    res = world.call("adam", route, **{k: values.get(v, v) for k, v in query.items()})
    refused(res, status, code)


def test_list_invitations_of_another_organization_has_no_code(world: World) -> None:
    res = world.call("adam", "list-invitations", organizationId=world.orgs["Globex"]["id"])
    refused(res, 403, None, "You are not a member of this organization")


def test_a_refused_read_clears_the_active_organization(world: World) -> None:
    refused(world.call("adam", "get-full-organization",
                       organizationId=world.orgs["Globex"]["id"]),
            403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    session = world.person("adam").get("/api/auth/get-session").json["session"]
    assert session["activeOrganizationId"] is None


# -- role escalation ---------------------------------------------------------------------

def test_role_escalation_is_refused(world: World) -> None:
    acme = world.orgs["Acme"]["id"]
    adam, mia, olivia = (world.members[f"Acme:{n}"] for n in ("adam", "mia", "olivia"))
    cases = [
        ("adam", "invite-member", {"email": "z@example.com", "role": "owner"},
         403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"),
        ("adam", "invite-member", {"email": "z@example.com", "role": ["member", "owner"]},
         403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"),
        ("adam", "invite-member", {"email": "z@example.com", "role": "member, owner "},
         403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"),
        ("adam", "update-member-role", {"memberId": adam, "role": "owner"},
         403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"),
        ("adam", "update-member-role", {"memberId": adam, "role": "admin,owner"},
         403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"),
        ("adam", "update-member-role", {"memberId": olivia, "role": "member"},
         403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"),
        ("mia", "update-member-role", {"memberId": mia, "role": "admin"},
         403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"),
        ("mia", "invite-member", {"email": "z@example.com", "role": "member"},
         403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"),
        ("mia", "create-role", {"role": "boss", "permission": {"member": ["update"]}},
         403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"),
        ("mia", "remove-member", {"memberIdOrEmail": adam},
         401, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER"),
        ("adam", "delete", {"organizationId": acme},
         403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION"),
        ("adam", "delete-role", {"roleName": "owner"}, 400, "CANNOT_DELETE_A_PRE_DEFINED_ROLE"),
    ]
    for who, route, body, status, code in cases:
        refused(world.call(who, route, body), status, code)
    roles = {m["userId"]: m["role"] for m in world.auth.storage.find_rows(
        "member", {"organizationId": acme})}
    assert sorted(roles.values()) == ["admin", "member", "owner"]


def test_a_role_may_not_grant_more_than_its_creator_holds(world: World) -> None:
    res = world.call("adam", "create-role", {
        "role": "boss", "permission": {"organization": ["update", "delete"],
                                       "project": ["read", "fly"]}})
    refused(res, 403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE")
    assert res.json["missingPermissions"] == ["organization:delete", "project:fly"]
    world.ok("adam", "create-role", {"role": "helper", "permission": {"project": ["read"]}})
    res = world.call("adam", "update-role", {"roleName": "helper",
                                             "data": {"permission": {"organization": ["delete"]}}})
    refused(res, 403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_A_ROLE")
    assert res.json["missingPermissions"] == ["organization:delete"]
    refused(world.call("adam", "create-role", {"role": "y", "permission": {"billing": ["x"]}}),
            400, "INVALID_RESOURCE")


def test_a_dynamic_role_grants_only_its_stored_permission(world: World) -> None:
    world.ok("olivia", "create-role", {"role": "Inviter",
                                       "permission": {"invitation": ["create"]}})
    world.ok("olivia", "update-member-role", {"memberId": world.members["Acme:mia"],
                                              "role": "member,inviter"})
    world.ok("mia", "invite-member", {"email": "friend@example.com", "role": "member"})
    refused(world.call("mia", "invite-member", {"email": "boss@example.com", "role": "owner"}),
            403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    # Renamed: members still holding the old name lose what it granted, at once.
    world.ok("olivia", "update-role", {"roleName": "inviter", "data": {"roleName": "Sender"}})
    refused(world.call("mia", "invite-member", {"email": "f2@example.com", "role": "member"}),
            403, "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")


# -- last owner --------------------------------------------------------------------------

def test_the_last_owner_cannot_leave_be_removed_or_demoted(world: World) -> None:
    acme = world.orgs["Acme"]["id"]
    olivia = world.members["Acme:olivia"]
    refused(world.call("olivia", "leave", {"organizationId": acme}), 400,
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    refused(world.call("olivia", "remove-member", {"memberIdOrEmail": olivia}), 400,
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    refused(world.call("adam", "remove-member", {"memberIdOrEmail": "olivia@example.com"}), 400,
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    refused(world.call("olivia", "update-member-role", {"memberId": olivia, "role": "admin"}),
            400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER")
    assert world.ok("olivia", "update-member-role",
                    {"memberId": olivia, "role": ["owner", "admin"]})["role"] == "owner,admin"
    # A second owner lifts the rule.
    world.ok("olivia", "update-member-role", {"memberId": world.members["Acme:adam"],
                                              "role": "owner"})
    assert world.ok("olivia", "leave", {"organizationId": acme})["id"] == olivia


# -- limits ------------------------------------------------------------------------------

def test_organization_limit(make_world: MakeWorld) -> None:
    w = make_world(organization_limit=1)
    refused(w.call("olivia", "create", {"name": "Two", "slug": "two"}), 403,
            "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS")
    w.ok("oscar", "create", {"name": "Mine", "slug": "mine"})


def test_creation_can_be_refused(make_world: MakeWorld) -> None:
    w = make_world(allow_user_to_create_organization=lambda user: user.name != "Oscar")
    refused(w.call("oscar", "create", {"name": "X", "slug": "x-org"}), 403,
            "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION")


def test_membership_limit_on_accept_and_add_member(make_world: MakeWorld) -> None:
    from authkit.errors import APIError

    w = make_world(membership_limit=3)
    inv = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    refused(w.call("oscar", "accept-invitation", {"invitationId": inv["id"]}), 403,
            "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
    row = w.auth.storage.find_row("invitation", {"id": inv["id"]})
    assert row is not None and row["status"] == "pending"
    with pytest.raises(APIError) as err:
        w.auth.api.add_member(body={"userId": w.ids["oscar"], "role": "member",
                                    "organizationId": w.orgs["Acme"]["id"]})
    assert (err.value.status, err.value.code) == (403, "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")


def test_invitation_limit_counts_pending_unexpired_only(make_world: MakeWorld) -> None:
    w = make_world(invitation_limit=2, invitation_expires_in=60)
    first = w.ok("olivia", "invite-member", {"email": "a@example.com", "role": "member"})
    w.ok("olivia", "invite-member", {"email": "b@example.com", "role": "member"})
    refused(w.call("olivia", "invite-member", {"email": "c@example.com", "role": "member"}),
            403, "INVITATION_LIMIT_REACHED")
    w.ok("olivia", "cancel-invitation", {"invitationId": first["id"]})
    w.ok("olivia", "invite-member", {"email": "c@example.com", "role": "member"})
    w.clock.advance(61)  # every pending one expired: slots free again
    w.ok("olivia", "invite-member", {"email": "d@example.com", "role": "member"})


def test_team_limits(make_world: MakeWorld) -> None:
    w = make_world(teams={"enabled": True, "maximum_teams": 2, "maximum_members_per_team": 2})
    team = w.ok("olivia", "create-team", {"name": "Two"})
    refused(w.call("olivia", "create-team", {"name": "Three"}), 400,
            "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS")
    w.ok("olivia", "add-team-member", {"teamId": team["id"], "userId": w.ids["adam"]})
    w.ok("olivia", "add-team-member", {"teamId": team["id"], "userId": w.ids["mia"]})
    refused(w.call("olivia", "add-team-member", {"teamId": team["id"],
                                                 "userId": w.ids["olivia"]}),
            403, "TEAM_MEMBER_LIMIT_REACHED")
    # Re-adding someone already in is not a new seat.
    w.ok("olivia", "add-team-member", {"teamId": team["id"], "userId": w.ids["mia"]})
    refused(w.call("olivia", "invite-member", {"email": "t@example.com", "role": "member",
                                               "teamId": team["id"]}),
            403, "TEAM_MEMBER_LIMIT_REACHED")
    row = w.auth.storage.find_row("team", {"id": team["id"]})
    assert row is not None and row["memberCount"] == 2


def test_role_limit(make_world: MakeWorld) -> None:
    w = make_world(dynamic_access_control={"enabled": True,
                                           "maximum_roles_per_organization": 1})
    w.ok("olivia", "create-role", {"role": "one", "permission": {"project": ["read"]}})
    refused(w.call("olivia", "create-role", {"role": "two", "permission": {"project": ["read"]}}),
            400, "TOO_MANY_ROLES")


def test_deletion_can_be_disabled(make_world: MakeWorld) -> None:
    w = make_world(disable_organization_deletion=True)
    refused(w.call("olivia", "delete", {"organizationId": w.orgs["Acme"]["id"]}), 404,
            "ORGANIZATION_DELETION_DISABLED", "Organization deletion is disabled")


def test_the_last_team_cannot_be_removed(world: World) -> None:
    team = world.ok("olivia", "list-teams")[0]
    world.ok("olivia", "set-active-team", {"teamId": None})
    refused(world.call("olivia", "remove-team", {"teamId": team["id"]}), 400,
            "UNABLE_TO_REMOVE_LAST_TEAM")


def test_a_revoked_session_cannot_change_anything_through_its_cached_cookie(
        make_world: MakeWorld) -> None:
    w = make_world(auth_options={"session": {"cookie_cache": {"enabled": True}}})
    acme = w.orgs["Acme"]["id"]
    w.ok("adam", "get-full-organization")  # the cookie cache holds adam's session now
    w.auth.storage.delete_rows("session", {"userId": w.ids["adam"]})
    # Whatever the core makes of reads within the cache's window, every change reads the
    # session from the store.
    for route, body in [
        ("invite-member", {"email": "x@example.com", "role": "member"}),
        ("remove-member", {"memberIdOrEmail": "mia@example.com"}),
        ("update-member-role", {"memberId": w.members["Acme:mia"], "role": "admin"}),
        ("update", {"data": {"name": "pwn"}}),
        ("create-team", {"name": "x"}),
        ("create-role", {"role": "x", "permission": {"project": ["read"]}}),
        ("leave", {"organizationId": acme}),
    ]:
        assert w.call("adam", route, body).status == 401, route
    assert w.auth.storage.count_rows("member", {"organizationId": acme}) == 3
