"""User management without HTTP: what the admin routes do once the caller is authorized.

The routes check sessions and permissions, then call these; ``authkit set-role`` / ``ban`` /
``create-user`` call them directly, as an operator on the server is already trusted. Every
write goes through ``auth.db``, so database hooks see it (``ctx`` is ``None`` from the CLI).
Role changes and bans are logged here (``audit``), so the CLI's are logged as the routes' are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...endpoints.fields import parse_input_fields
from ...errors import APIError
from ...models import Account, User
from ...observability import log_event
from ...passwords import password_length
from ...storage import DuplicateError
from ...tokens import generate_id
from ...validation import is_valid_email
from .errors import admin_error, user_not_found

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from . import AdminPlugin

BAN_FIELDS = ("banned", "banReason", "banExpires")
# Core columns an admin may set through ``data`` (create-user, update-user).
_CORE_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "email": (str,), "emailVerified": (bool,), "image": (str, type(None)),
}


def audit(ctx: Context | None, name: str, /, **fields: Any) -> None:
    """Log an admin action (``admin.*`` events) with the admin as ``user_id``.

    The actor is the session the route checked; ``via`` marks calls that came without HTTP
    (``cli``: an operator command, ``api``: in-process ``auth.api``), which have no IP.
    """
    actor = ctx.session.user.id if ctx is not None and ctx.session is not None else None
    if ctx is None or ctx.request is None:
        fields["via"] = "cli" if ctx is None else "api"
    log_event(ctx, name, **{"user_id": actor, **fields})


def joined_roles(plugin: AdminPlugin, value: Any) -> str:
    """A role (or list of roles) as the stored comma-joined string.

    400 ``INVALID_ROLE_TYPE`` for a non-string; 400 ``YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_
    VALUE`` for a role missing from ``roles`` when roles were configured (with the default
    roles any string is accepted, as in Better Auth).
    """
    roles = value if isinstance(value, list) else [value]
    for role in roles:
        if not isinstance(role, str):
            raise admin_error(400, "INVALID_ROLE_TYPE")
        if plugin.options.roles is not None and role not in plugin.options.roles:
            raise admin_error(400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    return ",".join(roles)


def user_data(auth: AuthKit, data: Mapping[str, Any]) -> dict[str, Any]:
    """The columns ``data`` may set, type-checked; unknown keys are dropped (as the adapter
    does), and ``id``, ``password`` and timestamps are never taken from it."""
    out: dict[str, Any] = {}
    for key, kinds in _CORE_TYPES.items():
        if key in data:
            if not isinstance(data[key], kinds):
                expected = "boolean" if key == "emailVerified" else "string"
                raise APIError(400, "VALIDATION_ERROR",
                               f"[body.data.{key}] Invalid input: expected {expected}")
            out[key] = data[key]
    # Server-side data: input=False does not apply to an authorized admin.
    specs = [dataclasses.replace(s, input=True) for s in auth.user_fields]
    out.update(parse_input_fields(specs, data, action="update"))
    return out


def get_user(auth: AuthKit, user_id: str) -> User:
    """The user, or 404 ``USER_NOT_FOUND``."""
    user = auth.db.get_user_by_id(user_id)
    if user is None:
        raise user_not_found()
    return user


def create_user(auth: AuthKit, plugin: AdminPlugin, ctx: Context | None, *, email: str,
                name: str, password: str | None, role: str | None,
                data: Mapping[str, Any]) -> User:
    """Create a user (and a credential account when ``password`` is given).

    Only the maximum password length is checked, as Better Auth does for admins.
    """
    email = email.lower()
    if not is_valid_email(email):
        raise APIError(400, "INVALID_EMAIL")
    opts = auth.options.email_and_password
    if password and password_length(password) > opts.max_password_length:
        raise APIError(400, "PASSWORD_TOO_LONG")
    if auth.db.get_user_by_email(email) is not None:
        raise admin_error(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    password_hash = auth.hasher.hash(password) if password else None
    now = auth.now()
    values: dict[str, Any] = {"emailVerified": False, "image": None, **user_data(auth, data),
                              "id": generate_id(), "email": email, "name": name,
                              "createdAt": now, "updatedAt": now,
                              "role": role if role is not None else plugin.options.default_role}
    try:
        user = auth.db.create_user_with_credential(
            ctx, values, password_hash=password_hash,
            refused=lambda: admin_error(500, "FAILED_TO_CREATE_USER"))
    except DuplicateError:
        # A concurrent create of the same email won the race.
        raise admin_error(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL") from None
    return user


def update_user(auth: AuthKit, ctx: Context | None, user_id: str, values: dict[str, Any]
                ) -> User:
    """Set columns (``updatedAt`` too); 404 when the user is gone."""
    updated = auth.db.update_user(ctx, user_id, {**values, "updatedAt": auth.now()})
    if updated is None:
        raise user_not_found()
    return updated


def set_role(auth: AuthKit, plugin: AdminPlugin, ctx: Context | None, user_id: str,
             role: str | Sequence[str]) -> User:
    """Replace the user's roles."""
    joined = joined_roles(plugin, list(role) if not isinstance(role, str) else role)
    get_user(auth, user_id)
    updated = update_user(auth, ctx, user_id, {"role": joined})
    audit(ctx, "admin.role_set", target_user_id=user_id, role=joined)
    return updated


def ban_user(auth: AuthKit, plugin: AdminPlugin, ctx: Context | None, user_id: str, *,
             reason: str | None = None, expires_in: float | None = None) -> User:
    """Ban the user and end every session they have.

    The ban is written before the sessions are deleted: a sign-in racing this call either
    loses its session here or finds the ban when it re-checks (docs/security.md#authorization).
    """
    opts = plugin.options
    seconds = expires_in or opts.default_ban_expires_in
    user = update_user(auth, ctx, user_id, {
        "banned": True,
        "banReason": reason or opts.default_ban_reason or "No reason",
        "banExpires": auth.now() + timedelta(seconds=seconds) if seconds else None,
    })
    auth.db.delete_user_sessions(ctx, user_id)
    log_ban(ctx, user)
    return user


def log_ban(ctx: Context | None, user: User) -> None:
    """``admin.user_banned`` for ``user`` as now stored (the reason is the admin's free text:
    ``log_event`` escapes and cuts it like any value)."""
    expires = user.extra.get("banExpires")
    audit(ctx, "admin.user_banned", target_user_id=user.id, reason=user.extra.get("banReason"),
          expires=expires.isoformat() if isinstance(expires, datetime) else expires)


def unban_user(auth: AuthKit, ctx: Context | None, user_id: str) -> User:
    """Lift the user's ban."""
    user = update_user(auth, ctx, user_id,
                       {"banned": False, "banExpires": None, "banReason": None})
    audit(ctx, "admin.user_unbanned", target_user_id=user_id)
    return user


def set_password(auth: AuthKit, ctx: Context | None, user: User, password: str) -> None:
    """Set the user's password, creating the credential account when there is none."""
    password_hash = auth.hasher.hash(password)
    now = auth.now()
    account = auth.db.get_credential_account(user.id)
    if account is not None:
        auth.db.update_account(ctx, account.id, {"password": password_hash, "updatedAt": now})
        return
    auth.db.create_account(ctx, Account(
        id=generate_id(), account_id=user.id, provider_id="credential", user_id=user.id,
        password=password_hash, created_at=now, updated_at=now))
