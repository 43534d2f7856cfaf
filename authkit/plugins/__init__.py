"""Plugins shipped with authkit."""

from .admin import admin
from .base import Plugin
from .bearer import bearer
from .email_otp import email_otp
from .magic_link import magic_link

__all__ = ["Plugin", "admin", "bearer", "email_otp", "magic_link"]
