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
from .credentials import credential_of, kinds_of
from .errors import APIError, AuthError, ConfigError
from .helpers import (
    forbidden,
    request_auth,
    require_role,
    require_session,
    unauthorized,
    with_auth,
)
from .hooks import Hooks
from .http import Request, Response, error_response
from .middleware import (
    ForbiddenPage,
    IsAPIRequest,
    MiddlewareOptions,
    RequestAuth,
    RoleSpec,
    Verdict,
    safe_redirect_path,
)
from .middleware.asgi import AuthMiddleware as ASGIAuthMiddleware
from .middleware.wsgi import AuthMiddleware as WSGIAuthMiddleware
from .models import Account, Session, SessionWithUser, User
from .roles import user_roles
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
    "ForbiddenPage",
    "HeadersAndResult",
    "Hooks",
    "IsAPIRequest",
    "MiddlewareOptions",
    "RateLimitOptions",
    "Request",
    "RequestAuth",
    "Response",
    "RoleSpec",
    "Session",
    "SessionOptions",
    "SessionWithUser",
    "User",
    "UserOptions",
    "Verdict",
    "VerificationOptions",
    "WSGIAuthMiddleware",
    "credential_of",
    "error_response",
    "forbidden",
    "kinds_of",
    "request_auth",
    "require_role",
    "require_session",
    "safe_redirect_path",
    "unauthorized",
    "user_roles",
    "with_auth",
]
