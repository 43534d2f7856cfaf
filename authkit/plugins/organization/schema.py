"""The organization plugin's tables and session columns.

Column names, order, nullability, foreign keys (``ON DELETE CASCADE``) and index names are
those Better Auth's migrations create, so a Node server and authkit can share the database.
Formats both servers write: ``member.role`` and ``invitation.role`` comma-joined,
``organization.metadata`` and ``organizationRole.permission`` compact JSON text,
``invitation.teamId`` comma-joined team ids, ``teamMember.membershipKey`` (see
``membership_key``), ``team.memberCount`` kept by the application.
"""

from __future__ import annotations

import base64
import hashlib
import json

from ...storage.fields import FieldSpec


def _ref(name: str, table: str) -> FieldSpec:
    return FieldSpec(name, "string", required=True, references=(table, "id"), index=True)


TABLES: dict[str, tuple[FieldSpec, ...]] = {
    "organization": (
        FieldSpec("name", "string", required=True),
        FieldSpec("slug", "string", required=True, unique=True),
        FieldSpec("logo", "string"),
        FieldSpec("createdAt", "date", required=True),
        FieldSpec("metadata", "string"),
    ),
    "organizationRole": (
        _ref("organizationId", "organization"),
        FieldSpec("role", "string", required=True, index=True),
        FieldSpec("permission", "string", required=True),
        FieldSpec("createdAt", "date", required=True),
        FieldSpec("updatedAt", "date"),
    ),
    "team": (
        FieldSpec("name", "string", required=True),
        FieldSpec("memberCount", "number", required=True, default=0),
        _ref("organizationId", "organization"),
        FieldSpec("createdAt", "date", required=True),
        FieldSpec("updatedAt", "date"),
    ),
    "teamMember": (
        _ref("teamId", "team"),
        _ref("userId", "user"),
        FieldSpec("membershipKey", "string", unique=True),
        FieldSpec("createdAt", "date"),
    ),
    "member": (
        _ref("organizationId", "organization"),
        _ref("userId", "user"),
        FieldSpec("role", "string", required=True, default="member"),
        FieldSpec("createdAt", "date", required=True),
    ),
    "invitation": (
        _ref("organizationId", "organization"),
        FieldSpec("email", "string", required=True, index=True),
        FieldSpec("role", "string"),
        FieldSpec("teamId", "string"),
        FieldSpec("status", "string", required=True, default="pending"),
        FieldSpec("expiresAt", "date", required=True),
        FieldSpec("createdAt", "date", required=True),
        FieldSpec("inviterId", "string", required=True, references=("user", "id")),
    ),
}

SESSION_FIELDS: tuple[FieldSpec, ...] = (
    # Never set from client input: only set-active / set-active-team / create / accept write them.
    FieldSpec("activeOrganizationId", "string", input=False),
    FieldSpec("activeTeamId", "string", input=False),
)


def membership_key(team_id: str, user_id: str) -> str:
    """``teamMember.membershipKey``: base64url (no padding) of SHA-256 over
    ``JSON.stringify([teamId, userId])``, so a second insert of the pair hits the unique key."""
    text = json.dumps([team_id, user_id], separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
