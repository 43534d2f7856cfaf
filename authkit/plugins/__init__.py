"""Plugins shipped with authkit."""

from .admin import admin
from .api_key import api_key
from .base import Plugin
from .bearer import bearer
from .jwt import jwt

__all__ = ["Plugin", "admin", "api_key", "bearer", "jwt"]
