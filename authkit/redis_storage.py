"""Moved to ``authkit.storage.secondary.redis_store`` (storage grouped by job); this path stays importable."""

from __future__ import annotations

from .storage.secondary.redis_store import (
    RedisStorage,
)

__all__ = ["RedisStorage"]
