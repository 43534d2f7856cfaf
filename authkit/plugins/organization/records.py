"""Wire shapes of the plugin's rows, and the lookups and writes every route shares.

Rows come from the storage's generic row operations as dicts keyed by column name; the
functions here give Better Auth's key order (``id`` last) and dates as ISO text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...models import SessionWithUser, User, iso
from ...storage import DuplicateError
from ...storage.query import Condition, Sort
from .errors import forbidden
from .schema import membership_key

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...storage.rows import RowOps

Row = dict[str, Any]
# Listings come back oldest first, as Better Auth's do on SQLite (insertion order); without an
# ORDER BY, PostgreSQL and MySQL may answer in any order, and an id lookup in id order.
BY_AGE = Sort("createdAt")

ORGANIZATION_KEYS = ("name", "slug", "logo", "createdAt", "metadata")
MEMBER_KEYS = ("organizationId", "userId", "role", "createdAt")
INVITATION_KEYS = ("organizationId", "email", "role", "teamId", "status", "expiresAt",
                   "createdAt", "inviterId")
TEAM_KEYS = ("name", "organizationId", "createdAt", "updatedAt")
TEAM_MEMBER_KEYS = ("teamId", "userId", "createdAt")
ROLE_KEYS = ("organizationId", "role", "permission", "createdAt", "updatedAt")


def _shape(row: Mapping[str, Any], keys: tuple[str, ...]) -> Row:
    out = {k: iso(v) if hasattr(v, "tzinfo") else v for k in keys for v in (row.get(k),)}
    out["id"] = row["id"]
    return out


def organization_json(row: Mapping[str, Any], *, parsed_metadata: bool = False) -> Row:
    """An Organization; ``metadata`` is the stored text, or (create/update) the parsed object
    with the key left out when there is none."""
    out = _shape(row, ORGANIZATION_KEYS)
    if parsed_metadata:
        text = out.pop("metadata")
        metadata = _parse(text)
        if metadata is not None:
            # Keep Better Auth's order: metadata right after createdAt.
            out = {**{k: out[k] for k in ("name", "slug", "logo", "createdAt")},
                   "metadata": metadata, "id": out["id"]}
    return out


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def member_json(row: Mapping[str, Any], user: User | Mapping[str, Any] | None = None) -> Row:
    """A Member; with ``user`` a MemberWithUser (``user: {id, name, email, image}``)."""
    out = _shape(row, MEMBER_KEYS)
    if user is not None:
        out["user"] = user_brief(user)
    return out


def user_brief(user: User | Mapping[str, Any]) -> Row:
    """``{id, name, email, image}``."""
    if isinstance(user, User):
        return {"id": user.id, "name": user.name, "email": user.email, "image": user.image}
    return {"id": user["id"], "name": user["name"], "email": user["email"],
            "image": user.get("image")}


def invitation_json(row: Mapping[str, Any]) -> Row:
    """An Invitation."""
    return _shape(row, INVITATION_KEYS)


def team_json(row: Mapping[str, Any], *, with_count: bool = False) -> Row:
    """A Team; ``memberCount`` only where Better Auth shows it (get-full-organization)."""
    if with_count:
        out = {"name": row["name"], "memberCount": row.get("memberCount")}
        out.update({k: v for k, v in _shape(row, TEAM_KEYS[1:]).items()})
        return out
    return _shape(row, TEAM_KEYS)


def team_member_json(row: Mapping[str, Any]) -> Row:
    """A TeamMember (never its ``membershipKey``)."""
    return _shape(row, TEAM_MEMBER_KEYS)


def role_json(row: Mapping[str, Any]) -> Row:
    """An OrganizationRole with ``permission`` parsed."""
    out = _shape(row, ROLE_KEYS)
    out["permission"] = _parse(out["permission"])
    return out


def users_by_id(store: RowOps, user_ids: list[str]) -> dict[str, Row]:
    """The user rows of ``user_ids``, in one query."""
    if not user_ids:
        return {}
    rows = store.find_rows("user", [Condition("id", "in", sorted(set(user_ids)))])
    return {r["id"]: r for r in rows}


def member_of(store: RowOps, organization_id: str, user_id: str) -> Row | None:
    """The member row of ``user_id`` in ``organization_id``."""
    return store.find_row("member", {"organizationId": organization_id, "userId": user_id})


# -- session columns -----------------------------------------------------------------------

def set_active(ctx: Context, session: SessionWithUser, values: dict[str, Any], *,
               cookie: bool) -> SessionWithUser:
    """Write ``activeOrganizationId`` / ``activeTeamId`` on the caller's session row;
    ``cookie`` re-sends the session cookie (and cookie cache) as Better Auth does there."""
    updated = ctx.auth.db.update_session(ctx, session.session.token, values)
    if updated is None:
        return session
    fresh = SessionWithUser(updated, session.user)
    ctx.session = fresh
    if cookie:
        ctx.auth.sessions.reissue_cookies(ctx, updated, session.user)
    return fresh


# -- team membership (the writes a Node server sharing the database makes too) ---------------

def add_team_member(store: RowOps, team_id: str, user_id: str, now: Any,
                    limit: int | None) -> Row:
    """Put ``user_id`` in the team (or return the existing row), keeping ``memberCount``.

    With a per-team limit the seat is taken by one conditional update before the insert, so
    two concurrent joins cannot both take the last seat; a unique clash on ``membershipKey``
    means a concurrent insert won: its row is returned and the seat given back.
    """
    key = membership_key(team_id, user_id)
    existing = (store.find_row("teamMember", {"membershipKey": key})
                or store.find_row("teamMember", {"teamId": team_id, "userId": user_id}))
    if existing is not None:
        return existing
    table = store.table("team")
    count = store.count_rows("teamMember", {"teamId": team_id})
    store.update_rows("team", [Condition("id", "eq", team_id),
                               Condition("memberCount", "lt", count)], {"memberCount": count})
    if limit is not None:
        took = store.update_rows("team", [Condition("id", "eq", team_id),
                                          Condition("memberCount", "lt", limit)],
                                 {"memberCount": table.c.memberCount + 1})
        if not took:
            raise forbidden("TEAM_MEMBER_LIMIT_REACHED")
    try:
        row = store.create_row("teamMember", {"teamId": team_id, "userId": user_id,
                                              "membershipKey": key, "createdAt": now})
    except DuplicateError:
        if limit is not None:
            _release(store, team_id, 1)
        found = store.find_row("teamMember", {"membershipKey": key})
        if found is None:
            raise
        return found
    if limit is None:
        store.update_rows("team", {"id": team_id}, {"memberCount": table.c.memberCount + 1})
    return row


def remove_team_members(store: RowOps, team_id: str, user_ids: list[str]) -> int:
    """Delete these users' rows of one team and give their seats back."""
    removed = store.delete_rows("teamMember", [Condition("teamId", "eq", team_id),
                                               Condition("userId", "in", user_ids)])
    if removed:
        _release(store, team_id, removed)
    return removed


def _release(store: RowOps, team_id: str, n: int) -> None:
    table = store.table("team")
    store.update_rows("team", [Condition("id", "eq", team_id),
                               Condition("memberCount", "gte", n)],
                      {"memberCount": table.c.memberCount - n})


def team_full(store: RowOps, team: Mapping[str, Any], limit: int | None) -> bool:
    """Is the team at ``limit`` members already (counting rows, as invite does)?"""
    if limit is None:
        return False
    return store.count_rows("teamMember", {"teamId": team["id"]}) >= limit
