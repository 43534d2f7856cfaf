"""Moved to ``authkit.middleware.wsgi``; this path stays importable."""

from __future__ import annotations

from .middleware.wsgi import ENVIRON_KEY, LEGACY_ENVIRON_KEY, AuthMiddleware

__all__ = ["ENVIRON_KEY", "LEGACY_ENVIRON_KEY", "AuthMiddleware"]
