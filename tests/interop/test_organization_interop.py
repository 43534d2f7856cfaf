"""The organization plugin on one SQLite file shared by Node Better Auth 1.7.25 and authkit.

Both servers run the reference deployment's organization configuration (teams with a default
team, dynamic roles, a ``project`` resource) with one secret, so one browser's cookie works
on both. Each case runs in both directions: what one server writes (organizations and their
metadata, invitations with teams, dynamic roles, the session's active organization and team,
comma-joined roles), the other reads and honours; and an organization deleted on authkit
leaves no rows the Node server would still see. Skipped where node/npm or the reference
folder is missing.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..support.live_servers import (
    Server,
    authkit_server,
    reference_dir,
    reference_server,
    require_node,
)

SECRET = "interop-organization-secret-0123456789-interop"
PASSWORD = "interop-pass-123"
PROJECT = ["create", "read", "update", "delete"]
ORG_ENV = {
    "AUTHKIT_PLUGINS": "organization",
    "AUTHKIT_ORG_RESERVED_SLUGS": "admin,api,www",
    "AUTHKIT_ORG_ACCESS_CONTROL": json.dumps({
        "statements": {"project": PROJECT},
        "roles": {"owner": {"project": PROJECT}, "admin": {"project": PROJECT},
                  "member": {"project": ["read"]}}}),
}
_seq = itertools.count()


class Browser:
    """One person's cookie jar, used against either server (cookies ignore the port)."""

    def __init__(self, email: str) -> None:
        self.email = email
        self.cookies: dict[str, str] = {}
        self.id = ""

    def call(self, server: Server, route: str, body: dict[str, Any] | None = None,
             **query: str) -> httpx.Response:
        headers = {"origin": server.base_url}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        url = server.base_url + "/api/auth" + route
        res = (httpx.get(url, params=query, headers=headers, timeout=30) if body is None
               else httpx.post(url, json=body, headers=headers, timeout=30))
        for line in res.headers.get_list("set-cookie"):
            pair, _, attrs = line.partition(";")
            name, _, value = pair.partition("=")
            if "Max-Age=0" in attrs or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return res

    def ok(self, server: Server, route: str, body: dict[str, Any] | None = None,
           **query: str) -> Any:
        res = self.call(server, route, body, **query)
        assert res.status_code == 200, (server.name, route, res.status_code, res.text)
        return res.json()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Path]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("org-interop")
    db = work / "shared.db"
    # Node creates the schema first; authkit then finds every table and column it needs.
    with reference_server(work, db_path=db, secret=SECRET, keep_db=False,
                          plugins="organization") as node, \
            authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET,
                           extra_env=ORG_ENV) as authkit:
        yield node, authkit, db


def person(server: Server, name: str) -> Browser:
    browser = Browser(f"{name}-{next(_seq)}@example.com")
    made = browser.ok(server, "/sign-up/email", {"email": browser.email, "password": PASSWORD,
                                                 "name": name})
    browser.id = made["user"]["id"]
    return browser


def rows(db: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, args).fetchall()]
    finally:
        con.close()


def pair(servers: tuple[Server, Server, Path], first: int) -> tuple[Server, Server, Path]:
    return servers[first], servers[1 - first], servers[2]


DIRECTIONS = pytest.mark.parametrize("first", [0, 1], ids=["node-writes", "authkit-writes"])


@DIRECTIONS
def test_an_organization_made_on_one_is_listed_and_activated_on_the_other(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b, _ = pair(servers, first)
    owner = person(a, "Owner")
    slug = f"acme-{next(_seq)}"
    made = owner.ok(a, "/organization/create", {"name": "Acme", "slug": slug,
                                                "metadata": {"plan": "pro", "seats": 5}})
    assert made["metadata"] == {"plan": "pro", "seats": 5}
    listed = owner.ok(b, "/organization/list")
    assert [(o["id"], o["metadata"]) for o in listed] == [(made["id"], '{"plan":"pro","seats":5}')]
    # Both session columns written by a's create are read by b.
    session = owner.ok(b, "/get-session")["session"]
    assert session["activeOrganizationId"] == made["id"] and session["activeTeamId"]
    full = owner.ok(b, "/organization/get-full-organization")
    assert full["teams"][0]["memberCount"] == 1 and full["members"][0]["user"]["id"] == owner.id
    updated = owner.ok(b, "/organization/update", {"data": {"metadata": {"plan": "team"}}})
    assert updated["metadata"] == {"plan": "team"}
    assert owner.ok(a, "/organization/get-organization", organizationId=made["id"])[
        "metadata"] == '{"plan":"team"}'


@DIRECTIONS
def test_set_active_on_one_is_what_the_other_reads(servers: tuple[Server, Server, Path],
                                                   first: int) -> None:
    a, b, _ = pair(servers, first)
    owner = person(a, "Owner")
    one = owner.ok(a, "/organization/create", {"name": "One", "slug": f"one-{next(_seq)}"})
    two = owner.ok(a, "/organization/create", {"name": "Two", "slug": f"two-{next(_seq)}"})
    assert owner.ok(b, "/get-session")["session"]["activeOrganizationId"] == two["id"]
    owner.ok(a, "/organization/set-active", {"organizationId": one["id"]})
    team = owner.ok(a, "/organization/list-teams")[0]
    owner.ok(a, "/organization/set-active-team", {"teamId": team["id"]})
    session = owner.ok(b, "/get-session")["session"]
    assert (session["activeOrganizationId"], session["activeTeamId"]) == (one["id"], team["id"])
    assert owner.ok(b, "/organization/get-active-member")["organizationId"] == one["id"]


@DIRECTIONS
def test_an_invitation_with_a_team_is_accepted_on_the_other(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b, db = pair(servers, first)
    owner, invitee = person(a, "Owner"), person(b, "Ivy")
    org = owner.ok(a, "/organization/create", {"name": "Inv", "slug": f"inv-{next(_seq)}"})
    team = owner.ok(a, "/organization/create-team", {"name": "Eng"})
    inv = owner.ok(a, "/organization/invite-member", {"email": invitee.email.upper(),
                                                      "role": ["member", "admin"],
                                                      "teamId": team["id"]})
    assert inv["role"] == "member,admin"
    accepted = invitee.ok(b, "/organization/accept-invitation", {"invitationId": inv["id"]})
    assert accepted["member"]["role"] == "member,admin"
    assert invitee.ok(a, "/get-session")["session"]["activeTeamId"] == team["id"]
    [tm] = rows(db, "select * from teamMember where teamId = ? and userId = ?", team["id"],
                invitee.id)
    assert rows(db, "select memberCount from team where id = ?", team["id"])[0][
        "memberCount"] == 1
    members = invitee.ok(a, "/organization/list-team-members", teamId=team["id"])
    assert [m["id"] for m in members] == [tm["id"]]
    # The comma-joined role is two roles on the other server: admin grants member:update.
    check = invitee.ok(a, "/organization/has-permission", {"organizationId": org["id"],
                                                          "permissions": {"member": ["update"]}})
    assert check["success"] is True


@DIRECTIONS
def test_a_dynamic_role_is_honoured_and_a_rename_is_seen_by_the_other(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b, db = pair(servers, first)
    owner, mia = person(a, "Owner"), person(a, "Mia")
    owner.ok(a, "/organization/create", {"name": "Roles", "slug": f"roles-{next(_seq)}"})
    made = owner.ok(a, "/organization/create-role", {
        "role": "Auditor", "permission": {"project": ["read", "update"]}})
    assert rows(db, "select permission from organizationRole where id = ?",
                made["roleData"]["id"])[0]["permission"] == '{"project":["read","update"]}'
    inv = owner.ok(a, "/organization/invite-member", {"email": mia.email, "role": "auditor"})
    mia.ok(b, "/organization/accept-invitation", {"invitationId": inv["id"]})
    granted = mia.ok(b, "/organization/has-permission", {"permissions": {"project": ["update"]}})
    assert granted["success"] is True
    owner.ok(b, "/organization/update-role", {"roleName": "auditor",
                                              "data": {"roleName": "Reviewer"}})
    gone = mia.ok(a, "/organization/has-permission", {"permissions": {"project": ["read"]}})
    assert gone["success"] is False
    assert owner.ok(a, "/organization/get-role", roleName="reviewer")["id"] == made["roleData"][
        "id"]


def test_deleting_on_authkit_leaves_nothing_for_node(servers: tuple[Server, Server, Path]
                                                    ) -> None:
    node, authkit, db = servers
    owner, mia = person(node, "Owner"), person(node, "Mia")
    org = owner.ok(node, "/organization/create", {"name": "Gone", "slug": f"gone-{next(_seq)}"})
    team = owner.ok(node, "/organization/create-team", {"name": "T"})
    owner.ok(node, "/organization/create-role", {"role": "temp",
                                                 "permission": {"project": ["read"]}})
    inv = owner.ok(node, "/organization/invite-member", {"email": mia.email, "role": "member",
                                                         "teamId": team["id"]})
    mia.ok(node, "/organization/accept-invitation", {"invitationId": inv["id"]})
    team_ids = [t["id"] for t in rows(db, "select id from team where organizationId = ?",
                                      org["id"])]
    assert len(team_ids) == 2
    deleted = owner.ok(authkit, "/organization/delete", {"organizationId": org["id"]})
    assert deleted["id"] == org["id"]
    for table, column, value in [("organization", "id", org["id"]),
                                 ("member", "organizationId", org["id"]),
                                 ("invitation", "organizationId", org["id"]),
                                 ("team", "organizationId", org["id"]),
                                 ("organizationRole", "organizationId", org["id"]),
                                 ("teamMember", "teamId", team_ids[0]),
                                 ("teamMember", "teamId", team_ids[1])]:
        assert rows(db, f'select id from "{table}" where "{column}" = ?', value) == [], table
    assert owner.ok(node, "/organization/list") == []
    res = mia.call(node, "/organization/get-full-organization", organizationId=org["id"])
    assert res.status_code == 400 and res.json()["code"] == "ORGANIZATION_NOT_FOUND"


def test_a_schema_authkit_created_is_complete_for_node(tmp_path: Path) -> None:
    require_node()
    reference_dir()
    db = tmp_path / "authkit-first.db"
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env=ORG_ENV) as authkit, \
            reference_server(tmp_path, db_path=db, secret=SECRET, keep_db=True,
                             plugins="organization") as node:
        # Better Auth's migration found every table, column and index it wants.
        assert "created []" in node.log_tail(), node.log_tail()
        owner = person(node, "Owner")
        made = owner.ok(node, "/organization/create", {"name": "First", "slug": "first"})
        team = owner.ok(authkit, "/organization/create-team", {"name": "T"})
        assert {t["id"] for t in owner.ok(node, "/organization/list-teams")} >= {team["id"]}
        assert owner.ok(authkit, "/organization/list")[0]["id"] == made["id"]
