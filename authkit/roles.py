"""The one role model: which roles a user holds, read the same way by every entry point.

A user's roles are the comma-joined ``role`` field (the admin plugin adds that column). They
are split exactly as Better Auth splits them, on ``,`` with no trimming, so ``"user, admin"``
holds ``user`` and ``" admin"`` and is *not* an admin, on either server. A user with no stored
role (``NULL`` or ``""``) holds the default role: the admin plugin's ``default_role`` when the
plugin is installed, ``"user"`` otherwise.

The core (the admin plugin's permission checks), the middleware's role rules, the guards in
``authkit.helpers`` and both framework adapters all go through ``user_roles`` with the
``RoleModel`` of their ``AuthKit`` (``role_model(auth)``), so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .models import SessionWithUser, User

if TYPE_CHECKING:
    from .core import AuthKit

#: The role of a user without one, when no plugin says otherwise (Better Auth's default).
DEFAULT_ROLE = "user"

# A rule beyond "signed in": takes the session, says whether it may pass. Role names and the
# admin plugin's permission requests (``{"report": ["read"]}``) both compile to one.
Requirement = Callable[[SessionWithUser], bool]


class RoleModel(Protocol):
    """Who holds which roles and may do what: the admin plugin (``authkit.plugins.admin``)."""

    def roles_of(self, user: User) -> Sequence[str]:
        """The user's roles (the default role when none is stored)."""

    def allows(self, user: User, permissions: Mapping[str, Any]) -> bool:
        """Does any of the user's roles grant ``permissions`` (``{"report": ["read"]}``)?"""


def split_roles(role: str | None, default_role: str = DEFAULT_ROLE) -> list[str]:
    """The roles in a stored ``role`` value; a user without one has ``default_role``.

    Split on ``,`` exactly as Better Auth does (no trimming): ``"user, admin"`` holds a role
    named ``" admin"``, which is not ``admin`` on either server.
    """
    return (role or default_role or DEFAULT_ROLE).split(",")


def stored_role(user: User) -> str | None:
    """The raw ``role`` field of ``user`` (``None`` when absent or not a string)."""
    raw = user.extra.get("role")
    return raw if isinstance(raw, str) else None


def role_model(auth: AuthKit) -> RoleModel | None:
    """The role model of ``auth``: the plugin that provides one (admin), or ``None``."""
    for plugin in auth.plugins:
        if callable(getattr(plugin, "roles_of", None)) and callable(
                getattr(plugin, "allows", None)):
            return plugin  # type: ignore[return-value]
    return None


def user_roles(user: User, model: RoleModel | None = None) -> frozenset[str]:
    """The roles of ``user``, read through ``model`` when there is one, else with the default
    role ``"user"``; both split as ``split_roles`` does."""
    if model is not None:
        return frozenset(model.roles_of(user))
    return frozenset(split_roles(stored_role(user)))


def has_any_role(*roles: str, model: RoleModel | None = None) -> Requirement:
    """A requirement met by a user holding at least one of ``roles``."""
    wanted = frozenset(roles)

    def check(session: SessionWithUser) -> bool:
        return not wanted.isdisjoint(user_roles(session.user, model))

    check.__name__ = f"has_any_role({', '.join(sorted(wanted))})"
    return check


def has_permission(permissions: Mapping[str, Any], model: RoleModel) -> Requirement:
    """A requirement met by a user whose roles grant ``permissions`` (admin plugin rules,
    ``admin_user_ids`` included)."""
    asked = dict(permissions)

    def check(session: SessionWithUser) -> bool:
        return model.allows(session.user, asked)

    check.__name__ = f"has_permission({asked!r})"
    return check
