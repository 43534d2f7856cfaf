"""Moved: ``production_options`` lives in ``authkit.settings`` with the other variables; this
name stays importable for code written against the old path."""

from __future__ import annotations

from .settings import production_options

__all__ = ["production_options"]
