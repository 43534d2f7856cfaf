"""The signed-in user's passkeys: list, rename, delete (only their own)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import StringConstraints

from ...errors import APIError
from ...validation import Body
from .errors import pk_error
from .schema import MAX_CREDENTIAL_ID_LENGTH, MAX_NAME_LENGTH, TABLE, wire

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...models import SessionWithUser

# Longer than any id this table holds: refused as unknown before the query.
_MAX_ID = MAX_CREDENTIAL_ID_LENGTH


class PasskeyIdBody(Body):
    """``{id}``."""

    id: str


class UpdatePasskeyBody(PasskeyIdBody):
    """``{id, name}``; the name is trimmed and must not be empty."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=MAX_NAME_LENGTH)]


def list_passkeys(ctx: Context) -> list[dict[str, Any]]:
    """GET /passkey/list-user-passkeys (from a session the store still has)."""
    found = ctx.require_session(sensitive=True)
    return [wire(r) for r in ctx.auth.storage.find_rows(TABLE, {"userId": found.user.id})]


def _owned(ctx: Context, passkey_id: str, *, forbidden: APIError) -> tuple[SessionWithUser,
                                                                           dict[str, Any]]:
    found = ctx.require_session(sensitive=True)
    row = (ctx.auth.storage.find_row(TABLE, {"id": passkey_id})
           if len(passkey_id) <= _MAX_ID else None)
    if row is None:
        raise pk_error(404, "PASSKEY_NOT_FOUND")
    if row["userId"] != found.user.id:
        raise forbidden
    return found, row


def update_passkey(ctx: Context) -> dict[str, Any]:
    """POST /passkey/update-passkey → ``{passkey}``."""
    body: UpdatePasskeyBody = ctx.body
    _, row = _owned(ctx, body.id,
                    forbidden=pk_error(401, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY"))
    ctx.auth.storage.update_rows(TABLE, {"id": row["id"]}, {"name": body.name})
    updated = ctx.auth.storage.find_row(TABLE, {"id": row["id"]})
    if updated is None:
        raise pk_error(500, "FAILED_TO_UPDATE_PASSKEY")
    return {"passkey": wire(updated)}


def delete_passkey(ctx: Context) -> dict[str, Any]:
    """POST /passkey/delete-passkey → ``{status: true}``."""
    body: PasskeyIdBody = ctx.body
    _, row = _owned(ctx, body.id, forbidden=APIError(401, body_kind="empty"))
    ctx.auth.storage.delete_rows(TABLE, {"id": row["id"]})
    return {"status": True}
