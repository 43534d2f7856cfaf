"""The organization flows on SQLite, PostgreSQL and MariaDB, over WSGI and ASGI: dates,
booleans, counters and conditional updates behave alike, and over-long values that a
MySQL/MariaDB column would refuse are a 400, never a 500."""

from __future__ import annotations

import pytest

from .conftest import MakeWorld, refused


def test_the_lifecycle_on_every_database(make_world: MakeWorld, db_url: str, kind: str) -> None:
    w = make_world(kind, auth_options={"database": db_url},
                   teams={"enabled": True, "maximum_members_per_team": 2})
    acme = w.orgs["Acme"]["id"]
    full = w.ok("olivia", "get-full-organization")
    assert full["teams"][0]["memberCount"] == 1 and len(full["members"]) == 3
    team = w.ok("adam", "create-team", {"name": "Eng"})
    inv = w.ok("olivia", "invite-member", {"email": "Oscar@Example.com", "role": "member",
                                           "teamId": team["id"]})
    assert w.ok("oscar", "accept-invitation", {"invitationId": inv["id"]})["member"][
        "role"] == "member"
    w.ok("adam", "add-team-member", {"teamId": team["id"], "userId": w.ids["mia"]})
    refused(w.call("adam", "add-team-member", {"teamId": team["id"], "userId": w.ids["adam"]}),
            403, "TEAM_MEMBER_LIMIT_REACHED")
    w.ok("olivia", "create-role", {"role": "Lead", "permission": {"team": ["update"]}})
    w.ok("olivia", "update-member-role", {"memberId": w.members["Acme:mia"],
                                          "role": ["member", "lead"]})
    assert w.ok("mia", "has-permission", {"permissions": {"team": ["update"]}})["success"]
    page = w.ok("olivia", "list-members", limit="1", offset="1", sortBy="createdAt",
                sortDirection="desc")
    assert page["total"] == 4 and len(page["members"]) == 1
    w.ok("adam", "remove-team", {"teamId": team["id"]})
    w.ok("olivia", "delete", {"organizationId": acme})
    assert w.auth.storage.count_rows("member", {"organizationId": acme}) == 0
    assert w.auth.storage.count_rows("team", {"organizationId": acme}) == 0


@pytest.mark.parametrize("route, body, code", [
    ("create", {"name": "Long", "slug": "s" * 256}, "VALIDATION_ERROR"),
    ("update", {"data": {"slug": "s" * 256}}, "VALIDATION_ERROR"),
    ("check-slug", {"slug": "s" * 256}, "VALIDATION_ERROR"),
    ("create-role", {"role": "r" * 256, "permission": {"project": ["read"]}},
     "VALIDATION_ERROR"),
    ("invite-member", {"email": "e" * 250 + "@example.com", "role": "member"}, "INVALID_EMAIL"),
])
def test_over_long_values_are_a_400(make_world: MakeWorld, route: str,
                                    body: dict[str, object], code: str) -> None:
    # Refused before the database (where MySQL/MariaDB's varchar(255) would answer a 500).
    w = make_world()
    refused(w.call("olivia", route, body), 400, code)
