"""Access control shared by the plugins: statements, roles, and a role's check.

A *statement* set names every action of every resource (``{"project": ["create", "read"]}``);
a *role* grants a subset; a *permission request* asks for actions on resources. Requests are
``{resource: [actions]}`` (all actions needed) or ``{resource: {"actions": [...],
"connector": "OR"}}`` (any one). An unknown resource or an empty action list never passes.

The admin plugin (users' ``role`` column) and the organization plugin (members' ``role``
column, per organization) build their roles from these classes, as Better Auth's plugins
both use its ``createAccessControl``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError

Statements = Mapping[str, Sequence[str]]
# {"user": ["list"]} or {"user": {"actions": ["list", "get"], "connector": "OR"}}
PermissionRequest = Mapping[str, Any]

@dataclass(frozen=True)
class AuthorizeResult:
    """What ``Role.authorize`` found: ``success`` and, when refused, why."""

    success: bool
    error: str | None = None


class Role:
    """A set of granted actions per resource."""

    def __init__(self, statements: Statements) -> None:
        self.statements: dict[str, frozenset[str]] = {
            resource: frozenset(actions) for resource, actions in statements.items()
        }

    def authorize(self, request: PermissionRequest, connector: str = "AND") -> AuthorizeResult:
        """Does this role grant ``request``? ``connector="OR"`` needs one resource, not all."""
        any_resource = False
        for resource, wanted in request.items():
            allowed = self.statements.get(resource)
            if allowed is None:
                if connector != "OR":
                    return AuthorizeResult(
                        False, f"You are not allowed to access resource: {resource}")
                continue
            actions, action_connector = _actions(wanted)
            granted = bool(actions) and (
                any(_granted(allowed, a) for a in actions) if action_connector == "OR"
                else all(_granted(allowed, a) for a in actions))
            if granted:
                any_resource = True
                if connector == "OR":
                    return AuthorizeResult(True)
            elif connector != "OR":
                return AuthorizeResult(False, f'unauthorized to access resource "{resource}"')
        return AuthorizeResult(True) if any_resource else AuthorizeResult(False, "Not authorized")

    def __repr__(self) -> str:
        return f"Role({ {k: sorted(v) for k, v in self.statements.items()} })"


def _granted(allowed: frozenset[str], action: Any) -> bool:
    return isinstance(action, str) and action in allowed


def _actions(wanted: Any) -> tuple[list[Any], str]:
    if isinstance(wanted, (list, tuple)):
        return list(wanted), "AND"
    if isinstance(wanted, Mapping):
        actions = wanted.get("actions")
        connector = "OR" if wanted.get("connector") == "OR" else "AND"
        return (list(actions) if isinstance(actions, (list, tuple)) else []), connector
    # A bare string or a number is no action list: nothing is granted.
    return [], "AND"


class AccessControl:
    """The statements of an application; ``new_role`` makes roles that grant subsets of them."""

    def __init__(self, statements: Statements) -> None:
        self.statements: dict[str, tuple[str, ...]] = {
            resource: tuple(actions) for resource, actions in statements.items()
        }

    def new_role(self, statements: Statements) -> Role:
        """A role granting ``statements``; an action that is not declared is a ``ConfigError``."""
        for resource, actions in statements.items():
            known = self.statements.get(resource)
            if known is None:
                raise ConfigError(f"role grants unknown resource {resource!r}; declared: "
                                  f"{', '.join(self.statements)}")
            unknown = [a for a in actions if a not in known]
            if unknown:
                raise ConfigError(f"role grants unknown {resource} action(s) {unknown}; "
                                  f"declared: {', '.join(known)}")
        return Role(statements)


def create_access_control(statements: Statements) -> AccessControl:
    """The access control of ``statements`` (a plugin's default statements plus your own)."""
    return AccessControl(statements)
