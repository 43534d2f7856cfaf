"""Renamed to ``authkit.user_callbacks`` (a name that says what it holds); this path stays
importable."""

from __future__ import annotations

from .user_callbacks import (
    call_user_callback,
)

__all__ = ["call_user_callback"]
