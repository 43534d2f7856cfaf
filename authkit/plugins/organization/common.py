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
    """The caller's session, or 401 ``UNAUTHORIZED``: for the routes that only read (where
    it comes from is the endpoint's freshness, the store by default)."""
    return ctx.require_session()


def writer(ctx: Context) -> SessionWithUser:
    """The caller's session read from the store, or 401 ``UNAUTHORIZED``: for the routes
    that change organizations, members, invitations, teams or roles, so a session revoked
    moments ago cannot still act through a cached cookie, whatever freshness they declare."""
    return ctx.require_session(sensitive=True)


def session_or(ctx: Context, error: APIError, *, from_store: bool = False) -> SessionWithUser:
    """The caller's session, or ``error`` (the routes whose 401 has another shape);
    ``from_store`` as for ``writer``."""
    found = (ctx.auth.sessions.resolve(ctx, disable_cookie_cache=from_store)
             if ctx.session is None or from_store else ctx.session)
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


def expected_string(path: str, value: Any) -> APIError:
    """zod's 400 for a non-string where a string or null is allowed (``[body.logo] ...``)."""
    kind = ("boolean" if isinstance(value, bool) else
            "number" if isinstance(value, (int, float)) else
            "array" if isinstance(value, list) else
            "object" if isinstance(value, dict) else type(value).__name__)
    return APIError(400, "VALIDATION_ERROR",
                    f"[{path}] Invalid input: expected string, received {kind}")
