"""``AUTHKIT_PLUGINS=multi-session``: as Better Auth's test deployment."""

from __future__ import annotations

from ..serve_registry import ServeContext, ServeResult
from .plugin import multi_session

KNOBS = {"AUTHKIT_MULTI_SESSION_MAX": "accounts one browser may hold (default 5)"}


def configure(ctx: ServeContext) -> ServeResult:
    return ServeResult(plugins=[multi_session(
        maximum_sessions=ctx.num("MULTI_SESSION_MAX", 5))])
