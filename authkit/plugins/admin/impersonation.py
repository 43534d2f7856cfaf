"""Impersonation (docs/wire-compatibility.md#admin-endpoints, "Impersonation mechanics").

``impersonate-user`` opens a session for the target marked ``impersonatedBy = <admin id>``,
lasting ``impersonation_session_duration`` and cookied as "don't remember", and keeps the
admin's own session token in the signed ``admin_session`` cookie. ``stop-impersonating``
deletes that session and puts the admin's back, after checking the cookie names a live session
of the very admin who started the impersonation. Impersonated sessions are hidden from the
impersonated user's ``/list-sessions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import APIError
from ...models import Session, SessionWithUser
from ...tokens import sign
from .errors import admin_error, forbidden, message_only, no_session
from .users import audit, get_user

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import AdminPlugin


def impersonate_user(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/impersonate-user ``{userId}`` → ``{session, user}`` of the target."""
    auth = ctx.auth
    caller = plugin.admin_session(ctx)
    if not plugin.allows(caller.user, {"user": ["impersonate"]}):
        raise forbidden("YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS")
    target = get_user(auth, ctx.body.userId)
    if plugin.is_admin(target) and not (
            plugin.options.allow_impersonating_admins
            or plugin.allows(caller.user, {"user": ["impersonate-admins"]})):
        raise forbidden("YOU_CANNOT_IMPERSONATE_ADMINS")
    try:
        session = auth.sessions.create(
            ctx, target, dont_remember=True, extra={"impersonatedBy": caller.user.id},
            expires_in=plugin.options.impersonation_session_duration)
    except APIError as exc:
        if exc.code == "FAILED_TO_CREATE_SESSION":  # a hook vetoed it: Better Auth's code
            raise admin_error(500, "FAILED_TO_CREATE_USER") from None
        raise
    cookies = auth.cookies
    dont_remember = ctx.get_signed_cookie(cookies.dont_remember)
    auth.sessions.clear_cookies(ctx)
    ctx.set_cookie(cookies.admin_session,
                   sign(f"{caller.session.token}:{dont_remember or ''}", auth.secrets),
                   max_age=auth.options.session.expires_in)
    auth.sessions.set_cookies(ctx, session, target, dont_remember=True)
    audit(ctx, "admin.impersonation_started", target_user_id=target.id, session_id=session.id,
          expires_in=plugin.options.impersonation_session_duration)
    return {"session": session, "user": target}


def stop_impersonating(plugin: AdminPlugin, ctx: Context) -> dict[str, Any]:
    """POST /admin/stop-impersonating → the admin's ``{session, user}`` again."""
    auth = ctx.auth
    current = auth.sessions.resolve(ctx)
    if current is None:
        raise no_session()
    admin_id = current.session.extra.get("impersonatedBy")
    if not admin_id:
        raise message_only(400, "You are not impersonating anyone")
    if auth.db.get_user_by_id(admin_id) is None:
        raise message_only(500, "Failed to find user")
    value = ctx.get_signed_cookie(auth.cookies.admin_session)
    if value is None:
        raise message_only(500, "Failed to find admin session")
    token, _, dont_remember = value.partition(":")
    found = auth.db.get_session_with_user(token)
    # The cookie must name a session of the admin who started this impersonation: a cookie
    # from anywhere else cannot turn an impersonated session into someone's admin session.
    if found is None or found[0].user_id != admin_id:
        raise message_only(500, "Failed to find admin session")
    admin_session, admin_user = found
    auth.db.delete_session(ctx, current.session.token)
    auth.sessions.set_cookies(ctx, admin_session, admin_user, dont_remember=bool(dont_remember))
    ctx.expire_cookie(auth.cookies.admin_session)
    # The caller's session is the impersonated one: the actor is the admin behind it.
    audit(ctx, "admin.impersonation_stopped", user_id=admin_id, target_user_id=current.user.id,
          session_id=current.session.id)
    return {"session": admin_session, "user": admin_user}


def is_list_sessions(ctx: Context) -> bool:
    """Matcher of the after-hook below."""
    return ctx.path == "/list-sessions"


def hide_impersonated(ctx: Context, result: Any) -> Any:
    """After ``/list-sessions``: drop sessions an admin opened by impersonating the caller."""
    if not isinstance(result, list):
        return None
    return [s for s in result if not _impersonated(s)]


def _impersonated(item: Any) -> bool:
    if isinstance(item, SessionWithUser):
        item = item.session
    if isinstance(item, Session):
        return bool(item.extra.get("impersonatedBy"))
    if isinstance(item, dict):
        return bool(item.get("impersonatedBy"))
    return False
