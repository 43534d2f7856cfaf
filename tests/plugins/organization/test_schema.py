"""Tables, byte formats and cascades: what a Node server reading the same database sees."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from authkit import AuthKit
from authkit.openapi import generate
from authkit.plugins.organization import membership_key, organization
from authkit.plugins.organization.errors import ORGANIZATION_ERROR_CODES
from authkit.plugins.organization.routes import CORE, ROLES, TEAMS

from .conftest import World

TABLE_ORDER = ["organization", "organizationRole", "team", "teamMember", "member", "invitation"]


def test_membership_key_vector() -> None:
    # Regenerated from a row the Node server wrote.
    assert membership_key("J2BZFrVCfjAmlMyABdnCtcfkXSl8l5se",
                          "oAq3Jc3fN6UoYYdnW6dvazcMU0DgECLq") == (
        "dTUIuM57mHXQuEDyJ1d_Wtx1_fOGQvOb_OQgpG92jB0")


def test_error_table_has_better_auths_sixty_codes_and_the_two_wire_extras() -> None:
    assert len(ORGANIZATION_ERROR_CODES) == 62
    assert {"ORGANIZATION_DELETION_DISABLED", "ORGANIZATION_SLUG_RESERVED"} <= set(
        ORGANIZATION_ERROR_CODES)


def test_migrate_creates_the_tables_columns_and_indexes(make_auth: Callable[..., AuthKit],
                                                        tmp_path: Path) -> None:
    auth = make_auth(plugins=[organization(teams={"enabled": True},
                                           dynamic_access_control=True)])
    insp = sa.inspect(auth.storage.engine)
    columns = {t: [c["name"] for c in insp.get_columns(t)] for t in TABLE_ORDER}
    assert columns == {
        "organization": ["id", "name", "slug", "logo", "createdAt", "metadata"],
        "organizationRole": ["id", "organizationId", "role", "permission", "createdAt",
                             "updatedAt"],
        "team": ["id", "name", "memberCount", "organizationId", "createdAt", "updatedAt"],
        "teamMember": ["id", "teamId", "userId", "membershipKey", "createdAt"],
        "member": ["id", "organizationId", "userId", "role", "createdAt"],
        "invitation": ["id", "organizationId", "email", "role", "teamId", "status",
                       "expiresAt", "createdAt", "inviterId"],
    }
    session_columns = [c["name"] for c in insp.get_columns("session")]
    assert session_columns[-2:] == ["activeOrganizationId", "activeTeamId"]
    indexes = {ix["name"] for t in TABLE_ORDER for ix in insp.get_indexes(t)}
    assert {"organizationRole_organizationId_idx", "organizationRole_role_idx",
            "team_organizationId_idx", "teamMember_teamId_idx", "teamMember_userId_idx",
            "member_organizationId_idx", "member_userId_idx", "invitation_organizationId_idx",
            "invitation_email_idx"} <= indexes
    fks = {(t, fk["constrained_columns"][0], fk["referred_table"], fk["options"].get("ondelete"))
           for t in TABLE_ORDER for fk in insp.get_foreign_keys(t)}
    assert ("invitation", "inviterId", "user", "CASCADE") in fks
    assert ("teamMember", "teamId", "team", "CASCADE") in fks


def test_without_teams_or_dynamic_roles_their_tables_and_routes_are_absent(
        make_auth: Callable[..., AuthKit]) -> None:
    auth = make_auth(plugins=[organization()])
    names = set(sa.inspect(auth.storage.engine).get_table_names())
    assert {"organization", "member", "invitation"} <= names
    assert not {"team", "teamMember", "organizationRole"} & names
    assert auth.registry.get("create_team") is None and auth.registry.get("create_org_role") is None


def test_openapi_lists_every_route_but_the_server_only_add_member(world: World) -> None:
    paths = generate(world.auth)["paths"]
    routed = {path for _, path, *_ in CORE + TEAMS + ROLES if path is not None}
    assert {p.removeprefix("/api/auth") for p in paths} >= routed
    assert len(routed) == len(CORE) + len(TEAMS) + len(ROLES) - 1
    assert world.call("olivia", "add-member", {"userId": "x", "role": "member"}).status == 404


def _rows(path: Path, sql: str, *args: str) -> list[sqlite3.Row]:
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture
def db_file(world: World) -> Path:
    url = str(world.auth.storage.engine.url)
    return Path(url.removeprefix("sqlite:///"))


def test_stored_formats(world: World, db_file: Path) -> None:
    created = world.ok("oscar", "create", {"name": "Fmt", "slug": "Fmt-Caps",
                                           "metadata": {"plan": "pro", "seats": 5}})
    assert created["metadata"] == {"plan": "pro", "seats": 5}
    org = _rows(db_file, "select * from organization where id = ?", created["id"])[0]
    assert org["metadata"] == '{"plan":"pro","seats":5}' and org["slug"] == "Fmt-Caps"
    assert org["createdAt"].endswith("Z") and len(org["createdAt"]) == 24
    world.ok("olivia", "update-member-role", {"memberId": world.members["Acme:mia"],
                                              "role": ["member", " admin "]})
    assert _rows(db_file, "select role from member where id = ?",
                 world.members["Acme:mia"])[0]["role"] == "member,admin"
    world.ok("olivia", "create-role", {"role": "Auditor",
                                       "permission": {"project": ["read"], "member": ["update"]}})
    role = _rows(db_file, "select * from organizationRole where role = 'auditor'")[0]
    assert role["permission"] == '{"project":["read"],"member":["update"]}'
    assert role["updatedAt"] is None
    team = world.ok("olivia", "create-team", {"name": "Eng"})
    invited = world.ok("olivia", "invite-member", {"email": "NEW@Example.com", "role": "member",
                                                    "teamId": [team["id"]]})
    inv = _rows(db_file, "select * from invitation where id = ?", invited["id"])[0]
    assert (inv["email"], inv["teamId"], inv["status"]) == (
        "new@example.com", team["id"], "pending")
    default_team = _rows(db_file, "select * from team where organizationId = ? and name = ?",
                         created["id"], "Fmt")[0]
    assert default_team["memberCount"] == 1 and default_team["updatedAt"] is None
    tm = _rows(db_file, "select * from teamMember where teamId = ?", default_team["id"])[0]
    assert tm["membershipKey"] == membership_key(default_team["id"], world.ids["oscar"])


def test_delete_leaves_nothing_even_with_sqlite_foreign_keys_off(world: World,
                                                                 db_file: Path) -> None:
    acme = world.orgs["Acme"]["id"]
    world.ok("olivia", "create-role", {"role": "temp", "permission": {"project": ["read"]}})
    world.ok("olivia", "invite-member", {"email": "x@example.com", "role": "member"})
    # Without the foreign keys' help (a SQLite database opened as Python's sqlite3 does by
    # default), the plugin must delete the dependants itself.
    engine = world.auth.storage.engine
    sa.event.listen(engine, "connect",
                    lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=OFF"))
    engine.dispose()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    team_ids = [r["id"] for r in _rows(db_file, "select id from team where organizationId = ?",
                                       acme)]
    world.ok("olivia", "delete", {"organizationId": acme})
    counts = _rows(db_file, """select
        (select count(*) from organization where id = ?) o,
        (select count(*) from member where organizationId = ?) m,
        (select count(*) from invitation where organizationId = ?) i,
        (select count(*) from team where organizationId = ?) t,
        (select count(*) from organizationRole where organizationId = ?) r""",
                   acme, acme, acme, acme, acme)[0]
    assert tuple(counts) == (0, 0, 0, 0, 0)
    assert _rows(db_file, f"select count(*) c from teamMember where teamId in "
                          f"({','.join('?' * len(team_ids))})", *team_ids)[0]["c"] == 0
