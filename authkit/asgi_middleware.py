"""Moved to ``authkit.middleware.asgi``; this path stays importable."""

from __future__ import annotations

from .middleware.asgi import LEGACY_SCOPE_KEY, SCOPE_KEY, AuthMiddleware

__all__ = ["LEGACY_SCOPE_KEY", "SCOPE_KEY", "AuthMiddleware"]
