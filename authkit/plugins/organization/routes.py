"""The plugin's endpoint table: Better Auth's route, method and ``auth.api`` name for each.

Team and role routes exist only with ``teams`` / ``dynamic_access_control`` enabled, as in
Better Auth; ``add_member`` has no URL (server-only).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from ...endpoints.registry import Endpoint, endpoint
from . import invitations, members, organizations, roles, teams

if TYPE_CHECKING:
    from . import OrganizationPlugin

Spec = tuple[str, str | None, str, Any, dict[str, Any], str]

_O, _M, _I, _T, _R = organizations, members, invitations, teams, roles
CORE: list[Spec] = [
    ("create_organization", "/organization/create", "POST", _O.create,
     {"body": _O.CreateBody}, "Create an organization"),
    ("check_organization_slug", "/organization/check-slug", "POST", _O.check_slug,
     {"body": _O.SlugBody}, "Check whether a slug is free"),
    ("update_organization", "/organization/update", "POST", _O.update,
     {"body": _O.UpdateBody}, "Update an organization"),
    ("delete_organization", "/organization/delete", "POST", _O.delete,
     {"body": _O.DeleteBody}, "Delete an organization"),
    ("list_organizations", "/organization/list", "GET", _O.list_organizations, {},
     "List the caller's organizations"),
    ("get_organization", "/organization/get-organization", "GET", _O.get_organization,
     {"query": _O.GetQuery}, "Get an organization"),
    ("get_full_organization", "/organization/get-full-organization", "GET",
     _O.get_full_organization, {"query": _O.GetQuery},
     "Get an organization with its members, invitations and teams"),
    ("set_active_organization", "/organization/set-active", "POST",
     _O.set_active_organization, {"body": _O.SetActiveBody},
     "Set the session's active organization"),
    ("add_member", None, "POST", _M.add_member, {"body": _M.AddMemberBody},
     "Add a member directly (server only)"),
    ("list_members", "/organization/list-members", "GET", _M.list_members,
     {"query": _M.ListMembersQuery}, "List an organization's members"),
    ("get_active_member", "/organization/get-active-member", "GET", _M.get_active_member, {},
     "The caller's member row in the active organization"),
    ("get_active_member_role", "/organization/get-active-member-role", "GET",
     _M.get_active_member_role, {"query": _M.ActiveRoleQuery}, "A member's role"),
    ("update_member_role", "/organization/update-member-role", "POST", _M.update_member_role,
     {"body": _M.UpdateRoleBody}, "Change a member's role"),
    ("remove_member", "/organization/remove-member", "POST", _M.remove_member,
     {"body": _M.RemoveMemberBody}, "Remove a member"),
    ("leave_organization", "/organization/leave", "POST", _M.leave, {"body": _M.LeaveBody},
     "Leave an organization"),
    ("has_permission", "/organization/has-permission", "POST", _M.has_permission,
     {"body": _M.HasPermissionBody}, "Check the caller's permission in an organization"),
    ("create_invitation", "/organization/invite-member", "POST", _I.invite_member,
     {"body": _I.InviteBody}, "Invite someone by e-mail"),
    ("accept_invitation", "/organization/accept-invitation", "POST", _I.accept_invitation,
     {"body": _I.InvitationIdBody}, "Accept an invitation"),
    ("reject_invitation", "/organization/reject-invitation", "POST", _I.reject_invitation,
     {"body": _I.InvitationIdBody}, "Reject an invitation"),
    ("cancel_invitation", "/organization/cancel-invitation", "POST", _I.cancel_invitation,
     {"body": _I.InvitationIdBody}, "Cancel an invitation"),
    ("get_invitation", "/organization/get-invitation", "GET", _I.get_invitation,
     {"query": _I.GetInvitationQuery}, "Get an invitation addressed to the caller"),
    ("list_invitations", "/organization/list-invitations", "GET", _I.list_invitations,
     {"query": _I.ListInvitationsQuery}, "List an organization's invitations"),
    ("list_user_invitations", "/organization/list-user-invitations", "GET",
     _I.list_user_invitations, {"query": _I.UserInvitationsQuery},
     "List the invitations addressed to the caller"),
]
TEAMS: list[Spec] = [
    ("create_team", "/organization/create-team", "POST", _T.create_team,
     {"body": _T.CreateTeamBody}, "Create a team"),
    ("list_organization_teams", "/organization/list-teams", "GET", _T.list_teams,
     {"query": _T.OrgQuery}, "List an organization's teams"),
    ("update_team", "/organization/update-team", "POST", _T.update_team,
     {"body": _T.UpdateTeamBody}, "Update a team"),
    ("remove_team", "/organization/remove-team", "POST", _T.remove_team,
     {"body": _T.RemoveTeamBody}, "Remove a team"),
    ("set_active_team", "/organization/set-active-team", "POST", _T.set_active_team,
     {"body": _T.SetActiveTeamBody}, "Set the session's active team"),
    ("list_user_teams", "/organization/list-user-teams", "GET", _T.list_user_teams,
     {"query": _T.UserTeamsQuery}, "List a user's teams"),
    ("list_team_members", "/organization/list-team-members", "GET", _T.list_team_members,
     {"query": _T.TeamQuery}, "List a team's members"),
    ("add_team_member", "/organization/add-team-member", "POST", _T.add_team_member_route,
     {"body": _T.TeamMemberBody}, "Add a member to a team"),
    ("remove_team_member", "/organization/remove-team-member", "POST",
     _T.remove_team_member_route, {"body": _T.TeamMemberBody}, "Remove a member from a team"),
]
ROLES: list[Spec] = [
    ("create_org_role", "/organization/create-role", "POST", _R.create_role,
     {"body": _R.CreateRoleBody}, "Create a role in an organization"),
    ("list_org_roles", "/organization/list-roles", "GET", _R.list_roles,
     {"query": _R.RoleQuery}, "List an organization's roles"),
    ("get_org_role", "/organization/get-role", "GET", _R.get_role, {"query": _R.RoleQuery},
     "Get one role"),
    ("update_org_role", "/organization/update-role", "POST", _R.update_role,
     {"body": _R.UpdateRoleBody}, "Update a role"),
    ("delete_org_role", "/organization/delete-role", "POST", _R.delete_role,
     {"body": _R.DeleteRoleBody}, "Delete a role"),
]


def build(plugin: OrganizationPlugin) -> list[Endpoint]:
    """The endpoints of this configuration, bound to the plugin."""
    specs = list(CORE)
    if plugin.options.teams.enabled:
        specs += TEAMS
    if plugin.options.dynamic_access_control.enabled:
        specs += ROLES
    return [endpoint(name, path, method, partial(handler, plugin), summary=summary,
                     plugin="organization", **options)
            for name, path, method, handler, options, summary in specs]
