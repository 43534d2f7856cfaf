"""Concurrent requests on every database: the last team seat is taken once, and one
invitation makes one member however many accepts race."""

from __future__ import annotations

from typing import Any

from authkit.errors import APIError

from ...support.race import run_together
from .conftest import MakeWorld


def _outcome(call: Any) -> str:
    try:
        call()
    except APIError as exc:
        return str(exc.code)
    return "ok"


def test_the_last_team_seats_are_taken_once(make_world: MakeWorld, db_url: str) -> None:
    w = make_world(auth_options={"database": db_url},
                   teams={"enabled": True, "maximum_members_per_team": 2})
    team = w.ok("olivia", "create-team", {"name": "Small"})
    for name in ("p1", "p2", "p3", "p4"):
        w.join("Acme", name, "member")
    headers = {"cookie": w.person("olivia").cookie_header()}
    queue = ["adam", "mia", "p1", "p2", "p3", "p4"]

    def add() -> str:
        user = w.ids[queue.pop()]
        return _outcome(lambda: w.auth.api.add_team_member(
            body={"teamId": team["id"], "userId": user}, headers=headers))

    results = run_together(add, 6)
    assert sorted(results) == ["TEAM_MEMBER_LIMIT_REACHED"] * 4 + ["ok"] * 2
    assert w.auth.storage.count_rows("teamMember", {"teamId": team["id"]}) == 2
    row = w.auth.storage.find_row("team", {"id": team["id"]})
    assert row is not None and row["memberCount"] == 2


def test_one_invitation_makes_one_member(make_world: MakeWorld, db_url: str) -> None:
    w = make_world(auth_options={"database": db_url})
    inv = w.ok("olivia", "invite-member", {"email": "oscar@example.com", "role": "member"})
    headers = {"cookie": w.person("oscar").cookie_header()}
    results = run_together(lambda: _outcome(lambda: w.auth.api.accept_invitation(
        body={"invitationId": inv["id"]}, headers=headers)), 5)
    assert sorted(results) == ["INVITATION_NOT_FOUND"] * 4 + ["ok"]
    assert w.auth.storage.count_rows("member", {"userId": w.ids["oscar"]}) == 1
