"""``AUTHKIT_PLUGINS=username``: Better Auth's defaults (the test deployment has no knobs)."""

from __future__ import annotations

from ..serve_registry import ServeContext, ServeResult
from .plugin import username

KNOBS: dict[str, str] = {}


def configure(ctx: ServeContext) -> ServeResult:
    return ServeResult(plugins=[username()])
