"""authkit: the server side of Better Auth, in Python.

``auth = AuthKit(secret=..., database=..., email_and_password={"enabled": True})``, then serve
``auth.wsgi_app()`` or ``auth.asgi_app()`` under ``/api/auth`` and call ``auth.api.*``.
"""

from .api import HeadersAndResult
from .config import (
    AdvancedOptions,
    CookieCacheOptions,
    EmailAndPasswordOptions,
    EmailVerificationOptions,
    RateLimitOptions,
    SessionOptions,
    UserOptions,
)
from .core import AuthKit
from .errors import APIError, AuthError, ConfigError
from .hooks import Hooks
from .http import Request, Response
from .models import Account, Session, SessionWithUser, User
from .storage.fields import FieldSpec

__all__ = [
    "APIError",
    "Account",
    "AdvancedOptions",
    "AuthError",
    "AuthKit",
    "ConfigError",
    "CookieCacheOptions",
    "EmailAndPasswordOptions",
    "EmailVerificationOptions",
    "FieldSpec",
    "HeadersAndResult",
    "Hooks",
    "RateLimitOptions",
    "Request",
    "Response",
    "Session",
    "SessionOptions",
    "SessionWithUser",
    "User",
    "UserOptions",
]
