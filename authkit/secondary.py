"""Moved to ``authkit.storage.secondary.store`` (storage grouped by job); this path stays importable."""

from __future__ import annotations

from .storage.secondary.store import (
    MemoryStorage,
    SecondaryStorage,
    SecondaryStorageUnavailable,
    SupportsReplace,
    SupportsUpdate,
    Update,
)

__all__ = ["MemoryStorage", "SecondaryStorage", "SecondaryStorageUnavailable", "SupportsReplace", "SupportsUpdate", "Update"]
