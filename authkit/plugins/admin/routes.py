"""The /admin/* endpoints (docs/wire-compatibility.md#admin-endpoints), in Better Auth's order of
checks.

Each handler reads the caller's authoritative session (no session: 401 with an empty body),
checks the permission of the route (403 with the route's code), then the target (404), then
the route's own rules. The same handlers serve HTTP and ``auth.api``; only ``create-user`` and
``has-permission`` relax the session rule, and only for in-process calls made without headers
(docs/security.md#authorization).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from ...endpoints.registry import Endpoint, endpoint
from ...endpoints.sign_up import check_password_length
from ...errors import APIError
from ...storage import DuplicateError
from ...validation import Body, CoercedStr, Message, is_valid_email
from . import impersonation, listing, users
from .errors import admin_error, forbidden, message_only, no_session

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import AdminPlugin


class UserIdBody(Body):
    """``{userId}``."""

    userId: CoercedStr


class SetRoleBody(Body):
    """Body of ``/admin/set-role``."""

    userId: CoercedStr
    role: str | list[str]


class GetUserQuery(Body):
    """Query of ``/admin/get-user``."""

    id: str


class CreateUserBody(Body):
    """Body of ``/admin/create-user``."""

    email: str
    password: str | None = None
    name: str
    role: str | list[str] | None = None
    data: dict[str, Any] | None = None


class UpdateUserBody(Body):
    """Body of ``/admin/update-user``."""

    userId: CoercedStr
    data: dict[str, Any]


class BanUserBody(Body):
    """Body of ``/admin/ban-user``; ``banExpiresIn`` is in seconds."""

    userId: CoercedStr
    banReason: str | None = None
    banExpiresIn: float | None = None


class RevokeSessionBody(Body):
    """Body of ``/admin/revoke-user-session``."""

    sessionToken: str


class SetUserPasswordBody(Body):
    """Body of ``/admin/set-user-password``."""

    newPassword: Annotated[str, Field(min_length=1), Message("newPassword cannot be empty")]
    userId: Annotated[CoercedStr, Field(min_length=1), Message("userId cannot be empty")]


class HasPermissionBody(Body):
    """Body of ``/admin/has-permission``; exactly one of ``permission``/``permissions``."""

    userId: CoercedStr | None = None
    role: str | None = None
    permission: Any = None
    permissions: Any = None


def _require(plugin: AdminPlugin, ctx: Context, permissions: dict[str, list[str]],
             code: str) -> None:
    session = plugin.admin_session(ctx)
    if not plugin.allows(session.user, permissions):
        raise forbidden(code)


# -- users ----------------------------------------------------------------------------------

def create_user(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/create-user → ``{user}``."""
    auth = ctx.auth
    body: CreateUserBody = ctx.body
    session = auth.sessions.resolve(ctx, disable_cookie_cache=True)
    if session is None and (ctx.request is not None or ctx.has_headers):
        # Only an in-process call without headers may create users sessionless
        # (docs/security.md#authorization).
        raise no_session()
    ctx.session = session  # the actor of the log events below
    caller = session.user if session is not None else None
    if caller is not None and not plugin.allows(caller, {"user": ["create"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS")
    data = dict(body.data or {})
    data_role = data.pop("role", None)
    requested = body.role if body.role is not None else data_role
    role: str | None = None
    if requested is not None:
        if caller is not None and not plugin.allows(caller, {"user": ["set-role"]}):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
        role = users.joined_roles(plugin, requested)
    if (caller is not None and any(k in data for k in users.BAN_FIELDS)
            and not plugin.allows(caller, {"user": ["ban"]})):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
    user = users.create_user(auth, plugin, ctx, email=body.email, name=body.name,
                             password=body.password, role=role, data=data)
    # `authkit create-user` comes through here too (in-process, without a session).
    users.audit(ctx, "admin.user_created", target_user_id=user.id, role=user.extra.get("role"))
    if user.extra.get("banned") is True:
        users.log_ban(ctx, user)
    return {"user": user}


def get_user(plugin: AdminPlugin, ctx: Context) -> Any:
    """GET /admin/get-user?id= → the bare user object."""
    _require(plugin, ctx, {"user": ["get"]}, "YOU_ARE_NOT_ALLOWED_TO_GET_USER")
    return users.get_user(ctx.auth, ctx.query.id)


def set_role(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/set-role → ``{user}``."""
    _require(plugin, ctx, {"user": ["set-role"]}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
    body: SetRoleBody = ctx.body
    return {"user": users.set_role(ctx.auth, plugin, ctx, body.userId, body.role)}


def ban_user(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/ban-user → ``{user}``; the target's sessions are deleted."""
    _require(plugin, ctx, {"user": ["ban"]}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
    body: BanUserBody = ctx.body
    users.get_user(ctx.auth, body.userId)
    assert ctx.session is not None
    if body.userId == ctx.session.user.id:
        raise admin_error(400, "YOU_CANNOT_BAN_YOURSELF")
    return {"user": users.ban_user(ctx.auth, plugin, ctx, body.userId, reason=body.banReason,
                                   expires_in=body.banExpiresIn)}


def unban_user(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/unban-user → ``{user}``."""
    _require(plugin, ctx, {"user": ["ban"]}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
    user_id = ctx.body.userId
    users.get_user(ctx.auth, user_id)
    return {"user": users.unban_user(ctx.auth, ctx, user_id)}


def update_user(plugin: AdminPlugin, ctx: Context) -> Any:
    """POST /admin/update-user → the bare user object; each kind of field needs its own
    permission (role: set-role, ban fields: ban, email: set-email, phone: set-phone)."""
    auth = ctx.auth
    _require(plugin, ctx, {"user": ["update"]}, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS")
    assert ctx.session is not None
    caller = ctx.session.user
    body: UpdateUserBody = ctx.body
    data = dict(body.data)
    if not data:
        raise admin_error(400, "NO_DATA_TO_UPDATE")
    if "password" in data:
        raise admin_error(400, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER")
    if "id" in data:
        raise admin_error(400, "USER_ID_CANNOT_BE_UPDATED")
    if "role" in data:
        if not plugin.allows(caller, {"user": ["set-role"]}):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
        data["role"] = users.joined_roles(plugin, data["role"])
    if any(k in data for k in users.BAN_FIELDS):
        if not plugin.allows(caller, {"user": ["ban"]}):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
        if data.get("banned") is True and body.userId == caller.id:
            raise admin_error(400, "YOU_CANNOT_BAN_YOURSELF")
    if "email" in data or "emailVerified" in data:
        if not plugin.allows(caller, {"user": ["set-email"]}):
            raise forbidden("YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL")
        if "email" in data:
            email = str(data["email"]).lower()
            if not is_valid_email(email):
                raise APIError(400, "INVALID_EMAIL")
            existing = auth.db.get_user_by_email(email)
            if existing is not None and existing.id != body.userId:
                raise admin_error(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
            data["email"] = email
    if (("phoneNumber" in data or "phoneNumberVerified" in data)
            and not plugin.allows(caller, {"user": ["set-phone"]})):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER")
    users.get_user(auth, body.userId)
    values = users.user_data(auth, data)
    try:
        updated = users.update_user(auth, ctx, body.userId, values)
    except DuplicateError:
        raise admin_error(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL") from None
    if values.get("banned") is True:
        auth.db.delete_user_sessions(ctx, body.userId)
    _log_update(ctx, updated, values)
    return updated


def _log_update(ctx: Context, user: Any, values: dict[str, Any]) -> None:
    # Column names only: the values may be personal data. A role change or a ban made
    # through update-user is logged as such too, so a search for bans finds every one.
    users.audit(ctx, "admin.user_updated", target_user_id=user.id,
                columns=",".join(sorted(values)))
    if "role" in values:
        users.audit(ctx, "admin.role_set", target_user_id=user.id, role=values["role"])
    if values.get("banned") is True:
        users.log_ban(ctx, user)
    elif values.get("banned") is False:
        users.audit(ctx, "admin.user_unbanned", target_user_id=user.id)


def remove_user(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/remove-user → ``{success: true}``."""
    _require(plugin, ctx, {"user": ["delete"]}, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS")
    assert ctx.session is not None
    user_id = ctx.body.userId
    if user_id == ctx.session.user.id:
        raise admin_error(400, "YOU_CANNOT_REMOVE_YOURSELF")
    user = users.get_user(ctx.auth, user_id)
    ctx.auth.db.delete_user_sessions(ctx, user_id)
    ctx.auth.db.delete_user(ctx, user)
    users.audit(ctx, "admin.user_removed", target_user_id=user_id)
    return {"success": True}


def set_user_password(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/set-user-password → ``{status: true}``."""
    _require(plugin, ctx, {"user": ["set-password"]},
             "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD")
    body: SetUserPasswordBody = ctx.body
    check_password_length(ctx, body.newPassword)
    user = users.get_user(ctx.auth, body.userId)
    users.set_password(ctx.auth, ctx, user, body.newPassword)
    users.audit(ctx, "admin.password_set", target_user_id=user.id)
    return {"status": True}


# -- sessions -------------------------------------------------------------------------------

def list_user_sessions(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/list-user-sessions → ``{sessions}`` (expired rows included, as upstream)."""
    _require(plugin, ctx, {"session": ["list"]}, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS")
    return {"sessions": ctx.auth.db.list_user_sessions(ctx.body.userId)}


def revoke_user_session(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/revoke-user-session → ``{success: true}``, whether the token existed or not."""
    _require(plugin, ctx, {"session": ["revoke"]},
             "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS")
    token = ctx.body.sessionToken
    # Looked up first so the log names the owner and the session id, never the token.
    found = ctx.auth.db.get_session(token)
    deleted = ctx.auth.db.delete_session(ctx, token)
    users.audit(ctx, "admin.session_revoked",
                target_user_id=found.user_id if found is not None else None,
                session_id=found.id if found is not None else None, revoked=deleted)
    return {"success": True}


def revoke_user_sessions(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/revoke-user-sessions → ``{success: true}``."""
    _require(plugin, ctx, {"session": ["revoke"]},
             "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS")
    count = ctx.auth.db.delete_user_sessions(ctx, ctx.body.userId)
    users.audit(ctx, "admin.sessions_revoked", target_user_id=ctx.body.userId, count=count)
    return {"success": True}


def list_users(plugin: AdminPlugin, ctx: Context) -> listing.UserPage:
    """GET /admin/list-users → ``{users, total, limit?, offset?}``."""
    _require(plugin, ctx, {"user": ["list"]}, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS")
    return listing.list_users(ctx.auth, ctx.query)


# -- permissions ----------------------------------------------------------------------------

def _is_permission_record(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, list) and all(isinstance(a, str) for a in v) for v in value.values())


def user_has_permission(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/has-permission → ``{error: null, success}``.

    Over HTTP (or with headers) the caller's own session decides; ``userId`` and ``role``
    in the body count only in-process without headers (docs/wire-compatibility.md#corrections,
    docs/security.md#authorization).
    """
    body: HasPermissionBody = ctx.body
    given = [k for k in ("permission", "permissions")
             if k in (body.model_fields_set or ()) and _is_permission_record(getattr(body, k))]
    present = [k for k in ("permission", "permissions") if k in (body.model_fields_set or ())]
    if len(given) != 1 or len(present) != 1:
        raise APIError(400, "VALIDATION_ERROR", "[body] Invalid input")
    if body.permissions is None:
        raise message_only(400, "invalid permission check. no permission(s) were passed.")
    auth = ctx.auth
    session = auth.sessions.resolve(ctx, disable_cookie_cache=True)
    if session is None and (ctx.request is not None or ctx.has_headers):
        raise no_session()
    if session is None and not body.userId and not body.role:
        raise message_only(400, "user id or role is required")
    user_id: str | None
    role: str | None
    if session is not None:
        user_id, role = session.user.id, session.user.extra.get("role")
    elif body.role:
        user_id, role = body.userId or "", body.role
    else:
        found = auth.db.get_user_by_id(body.userId or "")
        if found is None:
            raise message_only(400, "user not found")
        user_id, role = found.id, found.extra.get("role")
    return {"error": None,
            "success": plugin.check(user_id=user_id, role=role, permissions=body.permissions)}


def build(plugin: AdminPlugin) -> list[Endpoint]:
    """The plugin's endpoints, bound to its options."""
    specs: list[tuple[str, str, str, Any, dict[str, Any], str]] = [
        ("create_user", "/admin/create-user", "POST", create_user,
         {"body": CreateUserBody}, "Create a new user"),
        ("list_users", "/admin/list-users", "GET", list_users,
         {"query": listing.ListUsersQuery}, "List users"),
        ("get_user", "/admin/get-user", "GET", get_user, {"query": GetUserQuery},
         "Get an existing user"),
        ("set_role", "/admin/set-role", "POST", set_role,
         {"body": SetRoleBody, "require_headers": True}, "Set the role of a user"),
        ("ban_user", "/admin/ban-user", "POST", ban_user, {"body": BanUserBody}, "Ban a user"),
        ("unban_user", "/admin/unban-user", "POST", unban_user, {"body": UserIdBody},
         "Unban a user"),
        ("admin_update_user", "/admin/update-user", "POST", update_user,
         {"body": UpdateUserBody}, "Update a user"),
        ("remove_user", "/admin/remove-user", "POST", remove_user, {"body": UserIdBody},
         "Delete a user and their sessions and accounts"),
        ("set_user_password", "/admin/set-user-password", "POST", set_user_password,
         {"body": SetUserPasswordBody}, "Set a user's password"),
        ("list_user_sessions", "/admin/list-user-sessions", "POST", list_user_sessions,
         {"body": UserIdBody}, "List a user's sessions"),
        ("revoke_user_session", "/admin/revoke-user-session", "POST", revoke_user_session,
         {"body": RevokeSessionBody}, "Revoke one session"),
        ("revoke_user_sessions", "/admin/revoke-user-sessions", "POST", revoke_user_sessions,
         {"body": UserIdBody}, "Revoke every session of a user"),
        ("impersonate_user", "/admin/impersonate-user", "POST",
         impersonation.impersonate_user, {"body": UserIdBody}, "Impersonate a user"),
        ("stop_impersonating", "/admin/stop-impersonating", "POST",
         impersonation.stop_impersonating, {"require_headers": True},
         "Stop impersonating and return to the admin session"),
        ("user_has_permission", "/admin/has-permission", "POST", user_has_permission,
         {"body": HasPermissionBody}, "Check a permission"),
    ]
    return [endpoint(name, path, method, partial(handler, plugin), summary=summary,
                     plugin="admin", **options)
            for name, path, method, handler, options, summary in specs]
