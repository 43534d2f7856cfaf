"""The path-rule middleware: ``AuthMiddleware`` for WSGI and ASGI around one sans-IO core.

The package holds one job per module: ``rules`` (compiled rules, plans and verdicts, the
refusal responses), ``wsgi`` and ``asgi`` (the middleware classes). Everything that
``authkit.middleware`` offered as a single module is importable from here unchanged.
"""

from __future__ import annotations

from .rules import (
    MAX_REDIRECT_LENGTH,
    OPEN,
    WS_CLOSE_CODES,
    AuthMiddlewareWarning,
    AuthRules,
    ForbiddenPage,
    IsAPIRequest,
    PathSet,
    Plan,
    RequestAuth,
    Requirement,
    RoleModel,
    RoleSpec,
    Verdict,
    canonical_path,
    compile_pattern,
    has_any_role,
    has_permission,
    judge,
    local_target,
    merge_set_cookies,
    role_model,
    safe_redirect_path,
    user_roles,
)

__all__ = [
    "MAX_REDIRECT_LENGTH",
    "OPEN",
    "WS_CLOSE_CODES",
    "AuthMiddlewareWarning",
    "AuthRules",
    "ForbiddenPage",
    "IsAPIRequest",
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
