"""What every organization route does first: the caller's session, the organization the
request names (or the session's active one), and the caller's member row in it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import APIError
from ...models import SessionWithUser
from .records import Row, member_of

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...storage.rows import RowOps


def store(ctx: Context) -> RowOps:
    """The storage the routes read and write (each call its own transaction)."""
    storage: RowOps = ctx.auth.storage
    return storage


def session(ctx: Context) -> SessionWithUser:
    """The caller's session, or 401 ``UNAUTHORIZED``."""
    return ctx.require_session()


def session_or(ctx: Context, error: APIError) -> SessionWithUser:
    """The caller's session, or ``error`` (the routes whose 401 has another shape)."""
    found = ctx.auth.sessions.resolve(ctx) if ctx.session is None else ctx.session
    if found is None:
        raise error
    ctx.session = found
    return found


def active_organization_id(found: SessionWithUser) -> str | None:
    """The session's ``activeOrganizationId``."""
    value = found.session.extra.get("activeOrganizationId")
    return value if isinstance(value, str) and value else None


def active_team_id(found: SessionWithUser) -> str | None:
    """The session's ``activeTeamId``."""
    value = found.session.extra.get("activeTeamId")
    return value if isinstance(value, str) and value else None


def organization_id(found: SessionWithUser, given: Any) -> str | None:
    """``given`` (a body or query ``organizationId``) or the session's active organization."""
    if isinstance(given, str) and given:
        return given
    return active_organization_id(found)


def caller_member(ctx: Context, found: SessionWithUser, org_id: str,
                  error: APIError) -> Row:
    """The caller's member row in ``org_id``, or ``error``."""
    row = member_of(store(ctx), org_id, found.user.id)
    if row is None:
        raise error
    return row
