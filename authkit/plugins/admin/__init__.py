"""``admin()``: roles, access control, bans, impersonation and user management
(docs/wire-compatibility.md#admin).

::

    from authkit.plugins.admin import admin, create_access_control, DEFAULT_STATEMENTS

    auth = AuthKit(..., plugins=[admin(admin_user_ids=["<root's id>"])])

The plugin serves every ``/admin/*`` route (also as ``auth.api.list_users(...)`` and so on),
adds ``role``/``banned``/``banReason``/``banExpires`` to users and ``impersonatedBy`` to
sessions, refuses sessions to banned users, gives new users ``default_role``, and hides
impersonated sessions from ``/list-sessions``. ``plugin.allows(user, {"user": ["list"]})``
is the same permission check the routes make, for your own views and the middleware.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import ConfigError
from ...hooks import HookMatcher
from ...models import SessionWithUser, User
from ...roles import split_roles, stored_role
from ..base import Plugin
from . import impersonation, routes
from .access import (
    ADMIN_ROLE,
    DEFAULT_AC,
    DEFAULT_ROLES,
    DEFAULT_STATEMENTS,
    USER_ROLE,
    AccessControl,
    PermissionRequest,
    Role,
    create_access_control,
    has_permission,
)
from .errors import ADMIN_ERROR_CODES, no_session
from .schema import (
    INDEXES,
    SESSION_FIELDS,
    USER_FIELDS,
    BanCheck,
    admin_emails_hooks,
    default_role_hook,
)

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

__all__ = [
    "ADMIN_ERROR_CODES",
    "ADMIN_ROLE",
    "DEFAULT_AC",
    "DEFAULT_ROLES",
    "DEFAULT_STATEMENTS",
    "USER_ROLE",
    "AccessControl",
    "AdminOptions",
    "AdminPlugin",
    "Role",
    "admin",
    "admin_emails_hooks",
    "create_access_control",
    "find_admin",
    "has_permission",
]

DEFAULT_BANNED_MESSAGE = ("You have been banned from this application. Please contact support "
                          "if you believe this is an error.")


@dataclass(frozen=True, kw_only=True)
class AdminOptions:
    """The options of ``admin()`` (Better Auth's, in snake_case)."""

    default_role: str = "user"
    admin_roles: Sequence[str] = ("admin",)
    admin_user_ids: Sequence[str] = ()
    roles: Mapping[str, Role] | None = None
    ac: AccessControl | None = None
    impersonation_session_duration: int = 3600
    default_ban_reason: str | None = None
    default_ban_expires_in: int | None = None
    banned_user_message: str | Callable[[User], str] = DEFAULT_BANNED_MESSAGE
    allow_impersonating_admins: bool = False


class AdminPlugin(Plugin):
    """See ``admin()``."""

    id = "admin"
    error_codes = ADMIN_ERROR_CODES

    def __init__(self, options: AdminOptions) -> None:
        self.options = options
        self.roles: Mapping[str, Role] = options.roles if options.roles is not None \
            else DEFAULT_ROLES
        self.admin_roles = frozenset(r.strip() for r in options.admin_roles)
        self.admin_user_ids = frozenset(options.admin_user_ids)
        self.user_fields = USER_FIELDS
        self.session_fields = SESSION_FIELDS
        self.indexes = INDEXES
        self._ban = BanCheck(options.banned_user_message)
        self.database_hooks = {
            "user": {"create": {"before": default_role_hook(options.default_role)}},
            "session": {"create": {"before": self._ban.before, "after": self._ban.after}},
        }
        self.after = (HookMatcher(impersonation.is_list_sessions,
                                  impersonation.hide_impersonated),)
        self._endpoints = routes.build(self)

    def init(self, auth: AuthKit) -> None:
        self._ban.auth = auth

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    # -- the role model ------------------------------------------------------------------
    def roles_of(self, user: User) -> list[str]:
        """The user's roles (``default_role`` when the column is empty)."""
        return split_roles(_role(user), self.options.default_role)

    def check(self, *, user_id: str | None, role: str | None,
              permissions: PermissionRequest) -> bool:
        """The permission check of the routes, for a user id and a stored role value."""
        return has_permission(user_id=user_id, role=role, permissions=permissions,
                              roles=self.roles, admin_user_ids=self.admin_user_ids,
                              default_role=self.options.default_role)

    def allows(self, user: User, permissions: PermissionRequest) -> bool:
        """May ``user`` do this? ``{"user": ["ban"]}``; ``admin_user_ids`` may do anything."""
        return self.check(user_id=user.id, role=_role(user), permissions=permissions)

    def is_admin(self, user: User) -> bool:
        """Does ``user`` count as an admin (a role in ``admin_roles``, or ``admin_user_ids``)?"""
        return (user.id in self.admin_user_ids
                or any(r in self.admin_roles for r in self.roles_of(user)))

    def admin_session(self, ctx: Context) -> SessionWithUser:
        """The caller's session read from the store (not the cookie cache), or 401 empty."""
        found = ctx.auth.sessions.resolve(ctx, disable_cookie_cache=True)
        if found is None:
            raise no_session()
        ctx.session = found
        return found


def _role(user: User) -> str | None:
    return stored_role(user)


def admin(
    *,
    default_role: str = "user",
    admin_roles: Sequence[str] | str | None = None,
    admin_user_ids: Sequence[str] = (),
    roles: Mapping[str, Role] | None = None,
    ac: AccessControl | None = None,
    impersonation_session_duration: int = 3600,
    default_ban_reason: str | None = None,
    default_ban_expires_in: int | None = None,
    banned_user_message: str | Callable[[User], str] = DEFAULT_BANNED_MESSAGE,
    allow_impersonating_admins: bool = False,
) -> AdminPlugin:
    """The admin plugin.

    ``roles`` (``{name: Role}``, from ``create_access_control(...).new_role(...)``) replaces
    the default ``admin``/``user`` roles and makes role values checked; ``admin_roles`` (each
    must be one of ``roles``) decide which targets count as admins for impersonation;
    ``admin_user_ids`` pass every check. ``banned_user_message`` is a string or
    ``callable(user) -> str``; durations are in seconds.
    """
    if isinstance(admin_roles, str):
        admin_roles = admin_roles.split(",")
    if admin_roles is not None:
        known = {name.lower() for name in (roles if roles is not None else DEFAULT_ROLES)}
        invalid = [r for r in admin_roles if r.lower() not in known]
        if invalid:
            raise ConfigError(f"Invalid admin roles: {', '.join(invalid)}. Admin roles must be "
                              "defined in the 'roles' configuration.")
    for name, seconds in (("impersonation_session_duration", impersonation_session_duration),
                          ("default_ban_expires_in", default_ban_expires_in)):
        if seconds is not None and (isinstance(seconds, bool) or seconds <= 0):
            raise ConfigError(f"admin({name}=...) must be a positive number of seconds")
    if roles is not None and not all(isinstance(r, Role) for r in roles.values()):
        raise ConfigError("admin(roles=...) maps role names to Role objects: use "
                          "create_access_control(statements).new_role({...})")
    return AdminPlugin(AdminOptions(
        default_role=default_role, admin_roles=tuple(admin_roles or ("admin",)),
        admin_user_ids=tuple(admin_user_ids), roles=roles, ac=ac,
        impersonation_session_duration=impersonation_session_duration,
        default_ban_reason=default_ban_reason, default_ban_expires_in=default_ban_expires_in,
        banned_user_message=banned_user_message,
        allow_impersonating_admins=allow_impersonating_admins,
    ))


def find_admin(auth: AuthKit) -> AdminPlugin | None:
    """The admin plugin of ``auth``, if it has one."""
    for plugin in auth.plugins:
        if isinstance(plugin, AdminPlugin):
            return plugin
    return None
