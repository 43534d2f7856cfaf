"""The path-rule middleware: ``AuthMiddleware`` for WSGI and ASGI around one sans-IO core.

The package holds one job per module: ``patterns`` (the path pattern language),
``redirects`` (redirect safety), ``rules`` (compiled rules, plans and verdicts, the refusal
responses), ``request_auth`` (the per-request state with its lazy session), ``wsgi`` and
``asgi`` (the middleware classes). Roles are ``authkit.roles`` (the one role model). Everything that
``authkit.middleware`` offered as a single module is importable from here unchanged.
"""

from __future__ import annotations

from ..roles import (
    Requirement,
    RoleModel,
    has_any_role,
    has_permission,
    role_model,
    user_roles,
)
from .patterns import PathSet, canonical_path, compile_pattern
from .redirects import MAX_REDIRECT_LENGTH, local_target, safe_redirect_path
from .request_auth import RequestAuth
from .rules import (
    OPEN,
    WS_CLOSE_CODES,
    AuthMiddlewareWarning,
    AuthRules,
    ForbiddenPage,
    IsAPIRequest,
    MiddlewareOptions,
    Plan,
    RoleSpec,
    Verdict,
    judge,
    merge_set_cookies,
)

__all__ = [
    "MAX_REDIRECT_LENGTH",
    "OPEN",
    "WS_CLOSE_CODES",
    "AuthMiddlewareWarning",
    "AuthRules",
    "ForbiddenPage",
    "IsAPIRequest",
    "MiddlewareOptions",
    "PathSet",
    "Plan",
    "RequestAuth",
    "Requirement",
    "RoleModel",
    "RoleSpec",
    "Verdict",
    "canonical_path",
    "compile_pattern",
    "has_any_role",
    "has_permission",
    "judge",
    "local_target",
    "merge_set_cookies",
    "role_model",
    "safe_redirect_path",
    "user_roles",
]
