"""``organization()``: organizations, members, invitations, teams and per-organization roles.

::

    from authkit.plugins.organization import organization, extend_roles

    ac, roles = extend_roles({"project": ["create", "read", "update", "delete"]},
                             {"owner": {"project": ["create", "read", "update", "delete"]},
                              "member": {"project": ["read"]}})
    auth = AuthKit(..., plugins=[organization(
        ac=ac, roles=roles, teams={"enabled": True},
        dynamic_access_control={"enabled": True},
        send_invitation_email=lambda data: mailer.invite(data["email"], data["id"]),
    )])

It serves Better Auth's ``/organization/*`` routes (also as ``auth.api.create_organization``,
``auth.api.invite_member`` ...; ``auth.api.add_member`` is server-only), adds the tables
``organization``, ``member``, ``invitation``, ``team``, ``teamMember``, ``organizationRole``
and the session columns ``activeOrganizationId`` / ``activeTeamId``.
``plugin.member_allows(...)`` is the permission check of the routes, for your own views.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...access_control import AccessControl, PermissionRequest, Role
from ...errors import ConfigError
from ...models import User
from ..base import Plugin
from .access import (
    ADMIN_ROLE,
    DEFAULT_AC,
    DEFAULT_ROLES,
    DEFAULT_STATEMENTS,
    MEMBER_ROLE,
    OWNER_ROLE,
    effective_roles,
    extend_roles,
    join_roles,
    parse_roles,
    role_grants,
)
from .errors import ORGANIZATION_ERROR_CODES
from .schema import SESSION_FIELDS, TABLES, membership_key

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.registry import Endpoint
    from ...storage.rows import RowOps

__all__ = [
    "ADMIN_ROLE",
    "DEFAULT_AC",
    "DEFAULT_ROLES",
    "DEFAULT_STATEMENTS",
    "MEMBER_ROLE",
    "ORGANIZATION_ERROR_CODES",
    "OWNER_ROLE",
    "DynamicAccessControlOptions",
    "OrganizationOptions",
    "OrganizationPlugin",
    "TeamOptions",
    "extend_roles",
    "find_organization_plugin",
    "join_roles",
    "membership_key",
    "organization",
    "parse_roles",
]

#: ``hook(**payload)``; a ``before_*`` hook may return ``{"data": {...}}`` to change what is
#: written, and may raise ``APIError`` to refuse.
OrganizationHook = Callable[..., Any]
HOOK_NAMES = frozenset(
    f"{when}_{what}" for when in ("before", "after") for what in (
        "create_organization", "update_organization", "delete_organization", "add_member",
        "remove_member", "update_member_role", "create_invitation", "accept_invitation",
        "reject_invitation", "cancel_invitation", "create_team", "update_team", "delete_team",
        "add_team_member", "remove_team_member"))


@dataclass(frozen=True, kw_only=True)
class TeamOptions:
    """``teams=``: Better Auth's ``teams`` option."""

    enabled: bool = False
    maximum_teams: int | None = None
    maximum_members_per_team: int | None = None
    allow_removing_all_teams: bool = False
    default_team: bool = True


@dataclass(frozen=True, kw_only=True)
class DynamicAccessControlOptions:
    """``dynamic_access_control=``: per-organization roles in ``organizationRole``."""

    enabled: bool = False
    maximum_roles_per_organization: int | None = None


@dataclass(frozen=True, kw_only=True)
class OrganizationOptions:
    """The options of ``organization()`` (Better Auth's, in snake_case; durations in s)."""

    ac: AccessControl | None = None
    roles: Mapping[str, Role] | None = None
    creator_role: str = "owner"
    allow_user_to_create_organization: bool | Callable[[User], bool] = True
    organization_limit: int | Callable[[User], bool] | None = None
    membership_limit: int = 100
    invitation_limit: int = 100
    invitation_expires_in: int = 172800
    cancel_pending_invitations_on_re_invite: bool = False
    require_email_verification_on_invitation: bool = False
    disable_organization_deletion: bool = False
    send_invitation_email: Callable[[dict[str, Any]], None] | None = None
    teams: TeamOptions = field(default_factory=TeamOptions)
    dynamic_access_control: DynamicAccessControlOptions = field(
        default_factory=DynamicAccessControlOptions)
    organization_hooks: Mapping[str, OrganizationHook] = field(default_factory=dict)


class OrganizationPlugin(Plugin):
    """See ``organization()``."""

    id = "organization"
    error_codes = ORGANIZATION_ERROR_CODES

    def __init__(self, options: OrganizationOptions) -> None:
        self.options = options
        self.roles: Mapping[str, Role] = (options.roles if options.roles is not None
                                          else DEFAULT_ROLES)
        self.session_fields = SESSION_FIELDS
        tables = dict(TABLES)
        if not options.teams.enabled:
            tables.pop("team")
            tables.pop("teamMember")
        if not options.dynamic_access_control.enabled:
            tables.pop("organizationRole")
        self.tables = tables
        self.auth: AuthKit | None = None
        from .routes import build

        self._endpoints = build(self)

    def init(self, auth: AuthKit) -> None:
        self.auth = auth

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    # -- roles and permissions --------------------------------------------------------------
    @property
    def dynamic(self) -> bool:
        """Dynamic access control in effect (it needs an ``ac``, as in Better Auth)."""
        return self.options.dynamic_access_control.enabled and self.options.ac is not None

    def roles_of_organization(self, store: RowOps, organization_id: str) -> dict[str, Role]:
        """The static roles plus the organization's stored roles (read now, never cached)."""
        if not self.dynamic:
            return dict(self.roles)
        rows = store.find_rows("organizationRole", {"organizationId": organization_id})
        return effective_roles(self.roles, rows)

    def member_allows(self, store: RowOps, member: Mapping[str, Any],
                      permissions: PermissionRequest | None, *,
                      allow_creator: bool = False) -> bool:
        """Does this member row's role grant ``permissions`` in its organization?"""
        if not permissions:
            return False
        role = member.get("role")
        if allow_creator and self.options.creator_role in parse_roles(role):
            return True
        roles = self.roles_of_organization(store, str(member["organizationId"]))
        return role_grants(roles, role, permissions)

    def is_creator(self, member: Mapping[str, Any]) -> bool:
        """Does the member hold ``creator_role`` (``owner``)?"""
        return self.options.creator_role in parse_roles(member.get("role"))

    def hook(self, name: str, **payload: Any) -> dict[str, Any] | None:
        """Run one organization hook; the ``data`` a ``before_*`` hook returned, if any."""
        fn = self.options.organization_hooks.get(name)
        if fn is None:
            return None
        out = fn(**payload)
        if isinstance(out, Mapping) and isinstance(out.get("data"), Mapping):
            return dict(out["data"])
        return None


def _coerce(kind: type[Any], value: Any, name: str) -> Any:
    if value is None:
        return kind()
    if isinstance(value, kind):
        return value
    if isinstance(value, bool):
        return kind(enabled=value)
    if isinstance(value, Mapping):
        try:
            return kind(**value)
        except TypeError as exc:
            raise ConfigError(f"organization({name}=...): {exc}") from None
    raise ConfigError(f"organization({name}=...) takes a dict or {kind.__name__}")


def organization(
    *,
    ac: AccessControl | None = None,
    roles: Mapping[str, Role] | None = None,
    creator_role: str = "owner",
    allow_user_to_create_organization: bool | Callable[[User], bool] = True,
    organization_limit: int | Callable[[User], bool] | None = None,
    membership_limit: int = 100,
    invitation_limit: int = 100,
    invitation_expires_in: int = 172800,
    cancel_pending_invitations_on_re_invite: bool = False,
    require_email_verification_on_invitation: bool = False,
    disable_organization_deletion: bool = False,
    send_invitation_email: Callable[[dict[str, Any]], None] | None = None,
    teams: TeamOptions | Mapping[str, Any] | bool | None = None,
    dynamic_access_control: DynamicAccessControlOptions | Mapping[str, Any] | bool | None = None,
    organization_hooks: Mapping[str, OrganizationHook] | None = None,
) -> OrganizationPlugin:
    """The organization plugin.

    ``roles`` (``{name: Role}``) replaces the default owner/admin/member roles; ``ac`` is the
    access control dynamic roles are checked against (required for them, as in Better Auth).
    ``membership_limit`` 0 means the default 100. ``send_invitation_email(data)`` receives
    ``{id, email, role, organization, invitation, inviter}`` (the invitation id is the secret
    of the accept link). ``organization_hooks`` maps ``before_create_organization`` ...
    ``after_remove_team_member`` to callables taking keyword arguments.
    """
    hooks = dict(organization_hooks or {})
    unknown = sorted(set(hooks) - HOOK_NAMES)
    if unknown:
        raise ConfigError(f"organization(organization_hooks=...): unknown hook(s) {unknown}; "
                          f"known: {', '.join(sorted(HOOK_NAMES))}")
    if roles is not None and not all(isinstance(r, Role) for r in roles.values()):
        raise ConfigError("organization(roles=...) maps role names to Role objects: use "
                          "create_access_control(statements).new_role({...})")
    for name, number in (("membership_limit", membership_limit),
                         ("invitation_limit", invitation_limit),
                         ("invitation_expires_in", invitation_expires_in)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConfigError(f"organization({name}=...) must be a whole number >= 0")
    return OrganizationPlugin(OrganizationOptions(
        ac=ac, roles=roles, creator_role=creator_role,
        allow_user_to_create_organization=allow_user_to_create_organization,
        organization_limit=organization_limit,
        membership_limit=membership_limit or 100,
        invitation_limit=invitation_limit,
        invitation_expires_in=invitation_expires_in,
        cancel_pending_invitations_on_re_invite=cancel_pending_invitations_on_re_invite,
        require_email_verification_on_invitation=require_email_verification_on_invitation,
        disable_organization_deletion=disable_organization_deletion,
        send_invitation_email=send_invitation_email,
        teams=_coerce(TeamOptions, teams, "teams"),
        dynamic_access_control=_coerce(DynamicAccessControlOptions, dynamic_access_control,
                                       "dynamic_access_control"),
        organization_hooks=hooks,
    ))


def find_organization_plugin(auth: AuthKit) -> OrganizationPlugin | None:
    """The organization plugin of ``auth``, if it has one."""
    for plugin in auth.plugins:
        if isinstance(plugin, OrganizationPlugin):
            return plugin
    return None

