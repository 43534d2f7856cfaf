"""A user's view of their own sessions: list, revoke, update
(docs/wire-compatibility.md#session-management).

Every route acts on the caller's sessions only: a token that belongs to someone else is
silently left alone (``revoke-session`` still answers ``{status: true}``, as Better Auth
does, so the answer does not tell whether the token exists).

Plugins that hide sessions from the list (the admin plugin hides impersonation sessions, 
docs/wire-compatibility.md#admin) do it with an ``after`` hook on ``/list-sessions``: the result
they receive is a plain
``list[Session]`` they may filter and return.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import APIError
from ..models import Session
from ..validation import Body
from .context import Context
from .fields import hidden_fields, parse_input_fields
from .registry import Endpoint, endpoint


def _output(ctx: Context, session: Session) -> Session:
    """The session as clients may see it: fields declared ``returned=False`` removed."""
    hidden = hidden_fields(ctx.auth.session_fields)
    if not hidden or not hidden & session.extra.keys():
        return session
    return dataclasses.replace(
        session, extra={k: v for k, v in session.extra.items() if k not in hidden})


def list_sessions(ctx: Context) -> list[Session]:
    """The caller's unexpired sessions, tokens included; only for a fresh session, since a
    stolen old cookie must not be able to collect every other device's token."""
    current = ctx.require_fresh_session()
    now = ctx.auth.now()
    return [_output(ctx, s) for s in ctx.auth.db.list_user_sessions(current.user.id)
            if s.expires_at > now]


class RevokeSessionBody(Body):
    """Body of ``/revoke-session``."""

    token: str


def revoke_session(ctx: Context) -> dict[str, Any]:
    """Delete one of the caller's sessions; another user's token is left alone
    (docs/security.md#sessions)."""
    auth = ctx.auth
    current = ctx.require_session(sensitive=True)
    body: RevokeSessionBody = ctx.body
    target = auth.db.get_session(body.token)
    if target is not None and target.user_id == current.user.id:
        auth.db.delete_session(ctx, body.token)
    if body.token == current.session.token:
        auth.sessions.clear_cookies(ctx)
    return {"status": True}


def revoke_sessions(ctx: Context) -> dict[str, Any]:
    """Delete every session of the caller, the current one included, and its cookies."""
    auth = ctx.auth
    current = ctx.require_session(sensitive=True)
    auth.db.delete_user_sessions(ctx, current.user.id)
    auth.sessions.clear_cookies(ctx)
    return {"status": True}


def revoke_other_sessions(ctx: Context) -> dict[str, Any]:
    """Delete every unexpired session of the caller but the current one; no cookie changes."""
    auth = ctx.auth
    current = ctx.require_session(sensitive=True)
    now = auth.now()
    for session in auth.db.list_user_sessions(current.user.id):
        if session.token != current.session.token and session.expires_at > now:
            auth.db.delete_session(ctx, session.token)
    return {"status": True}


class UpdateSessionBody(Body):
    """Body of ``/update-session``: any object (zod ``record``)."""

    schema_types: ClassVar[tuple[str, ...]] = ("record",)


@dataclass
class UpdateSessionResult:
    """``{session}``."""

    session: Session

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"session": self.session.to_json()}


def update_session(ctx: Context) -> UpdateSessionResult:
    """Set the session's declared additional fields.

    Only ``session.additional_fields`` and plugin session fields are read: core keys
    (``userId``, ``token``, ``expiresAt`` …) are ignored, so a client cannot move its session
    to another user or extend it (docs/security.md#authorization).
    """
    auth = ctx.auth
    current = ctx.require_session()
    data = dict(ctx.body.model_extra or {})
    changes = parse_input_fields(auth.session_fields, data, action="update")
    if not changes:
        raise APIError(400, None, "No fields to update", body_kind="message")
    updated = auth.db.update_session(ctx, current.session.token,
                                     {**changes, "updatedAt": auth.now()})
    if updated is None:
        auth.sessions.clear_cookies(ctx)
        raise APIError(401, "FAILED_TO_GET_SESSION")
    auth.sessions.reissue_cookies(ctx, updated, current.user)
    return UpdateSessionResult(_output(ctx, updated))


ENDPOINTS: list[Endpoint] = [
    endpoint("list_sessions", "/list-sessions", "GET", list_sessions, require_headers=True,
             summary="List all active sessions for the user",
             error_codes=("UNAUTHORIZED", "SESSION_NOT_FRESH")),
    endpoint("revoke_session", "/revoke-session", "POST", revoke_session,
             body=RevokeSessionBody, require_headers=True, summary="Revoke a single session",
             error_codes=("UNAUTHORIZED",)),
    endpoint("revoke_sessions", "/revoke-sessions", "POST", revoke_sessions,
             require_headers=True, summary="Revoke all sessions for the user",
             error_codes=("UNAUTHORIZED",)),
    endpoint("revoke_other_sessions", "/revoke-other-sessions", "POST", revoke_other_sessions,
             require_headers=True,
             summary="Revoke all other sessions for the user except the current one",
             error_codes=("UNAUTHORIZED",)),
    endpoint("update_session", "/update-session", "POST", update_session,
             body=UpdateSessionBody, summary="Update the current session",
             error_codes=("UNAUTHORIZED", "FIELD_NOT_ALLOWED", "FAILED_TO_GET_SESSION")),
]
