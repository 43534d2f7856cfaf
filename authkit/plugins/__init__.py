"""Plugins shipped with authkit."""

from .admin import admin
from .api_key import api_key
from .base import Plugin
from .bearer import bearer
from .email_otp import email_otp
from .jwt import jwt
from .magic_link import magic_link
from .organization import organization

__all__ = ["Plugin", "admin", "api_key", "bearer", "email_otp", "jwt", "magic_link", "organization"]
