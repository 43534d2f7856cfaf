"""Plugins shipped with authkit."""

from .admin import admin
from .base import Plugin
from .bearer import bearer

__all__ = ["Plugin", "admin", "bearer"]
