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
    VerificationOptions,
)
from .core import AuthKit
from .errors import APIError, AuthError, ConfigError
from .helpers import require_role, require_session, with_auth
from .hooks import Hooks
from .http import Request, Response
from .middleware import RequestAuth, safe_redirect_path
from .middleware.asgi import AuthMiddleware as ASGIAuthMiddleware
from .middleware.wsgi import AuthMiddleware as WSGIAuthMiddleware
from .models import Account, Session, SessionWithUser, User
from .storage.fields import FieldSpec

__all__ = [
    "APIError",
    "ASGIAuthMiddleware",
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
    "RequestAuth",
    "Response",
    "Session",
    "SessionOptions",
    "SessionWithUser",
    "User",
    "UserOptions",
    "VerificationOptions",
    "WSGIAuthMiddleware",
    "require_role",
    "require_session",
    "safe_redirect_path",
    "with_auth",
]
