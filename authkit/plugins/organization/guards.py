"""Rules for your own routes: "a member of the active organization", "may read projects
there", and the active membership for handlers.

::

    from authkit.plugins.organization.guards import active_membership, requires_member

    app = AuthMiddleware(app, auth, roles={
        "/org/*": requires_member(auth),
        "/projects/*": requires_member(auth, {"project": ["read"]}),
    })

    membership = active_membership(auth, request_auth.session)   # in a handler
    membership.organization["name"], membership.role

Decisions come from the store, never from the cookie cache alone: the session row is read
again for its ``activeOrganizationId`` (a cached cookie may still name an organization the
user left), and membership and roles are read from the ``member`` and ``organizationRole``
tables on every check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from .access import parse_roles
from .records import member_of

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...models import SessionWithUser
    from . import OrganizationPlugin


@dataclass(frozen=True)
class ActiveMembership:
    """The caller's active organization and member row (``role`` as stored, comma-joined)."""

    organization: dict[str, Any]
    member: dict[str, Any]

    @property
    def role(self) -> str:
        """The member's role value, e.g. ``"member,admin"``."""
        return str(self.member.get("role") or "")

    @property
    def roles(self) -> list[str]:
        """The member's role names."""
        return parse_roles(self.member.get("role"))


def _plugin(auth: AuthKit) -> OrganizationPlugin:
    from . import find_organization_plugin

    plugin = find_organization_plugin(auth)
    if plugin is None:
        raise ConfigError("organization rules need the organization plugin: "
                          "AuthKit(plugins=[organization(...)])")
    return plugin


def active_membership(auth: AuthKit, session: SessionWithUser | None
                      ) -> ActiveMembership | None:
    """The active organization and the caller's member row in it, read from the store;
    ``None`` without a session, an active organization, or membership in it."""
    if session is None:
        return None
    stored = auth.db.get_session(session.session.token)
    if stored is None or stored.user_id != session.user.id:
        return None
    org_id = stored.extra.get("activeOrganizationId")
    if not isinstance(org_id, str) or not org_id:
        return None
    member = member_of(auth.storage, org_id, session.user.id)
    organization = auth.storage.find_row("organization", {"id": org_id})
    if member is None or organization is None:
        return None
    return ActiveMembership(organization, member)


def requires_member(auth: AuthKit, permissions: Mapping[str, Any] | None = None
                    ) -> Callable[[SessionWithUser], bool]:
    """A middleware rule: the caller is a member of the active organization and, when
    ``permissions`` are given (``{"project": ["read"]}``), its roles there grant them."""
    plugin = _plugin(auth)
    if permissions is not None and not (isinstance(permissions, Mapping) and permissions):
        raise ConfigError("requires_member(auth, permissions) takes {resource: [actions]}")

    def check(session: SessionWithUser) -> bool:
        found = active_membership(auth, session)
        if found is None:
            return False
        return permissions is None or plugin.member_allows(auth.storage, found.member,
                                                           permissions)

    return check
