"""Moved to ``authkit.storage.secondary.records`` (storage grouped by job); this path stays importable."""

from __future__ import annotations

from .storage.secondary.records import (
    Remember,
    SecondaryRecords,
    secondary_records,
)

__all__ = ["Remember", "SecondaryRecords", "secondary_records"]
