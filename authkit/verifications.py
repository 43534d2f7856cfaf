"""Renamed to ``authkit.single_use_tokens`` (a name that says what it holds); this path stays
importable."""

from __future__ import annotations

from .single_use_tokens import (
    CLEANUP_INTERVAL,
    consume,
    create,
    decoy,
    find,
    hash_identifier,
    is_live,
)

__all__ = ["CLEANUP_INTERVAL", "consume", "create", "decoy", "find", "hash_identifier", "is_live"]
