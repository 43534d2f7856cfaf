"""Plugins shipped with authkit."""

from .base import Plugin
from .bearer import bearer

__all__ = ["Plugin", "bearer"]
