"""What FastAPI's ``/docs`` shows for authkit's dependencies, and the not-installed error.

FastAPI builds the OpenAPI security section from ``Security`` parameters in a dependency's
signature. The dependencies read the session through authkit's middleware, so these
parameters only document how a client authenticates: the session cookie, or a bearer token
(the bearer plugin). Without FastAPI installed (plain Starlette) nothing is declared.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

NOT_INSTALLED = (
    "authkit is not installed on this app: add `starlette_authkit.install(app, auth)` after "
    "creating the app (it adds the middleware these dependencies read)"
)

try:
    from fastapi import HTTPException, Security
    from fastapi.security import APIKeyCookie, HTTPBearer
except ImportError:  # plain Starlette: the dependencies are not used by FastAPI there
    HTTPException = None  # type: ignore[assignment,misc]
    _SCHEMES: list[tuple[str, Any]] = []
else:
    _SCHEMES = [
        ("authkit_session_cookie", APIKeyCookie(
            name="better-auth.session_token", scheme_name="sessionCookie", auto_error=False,
            description="The session cookie set by /api/auth/sign-in/email (its name "
                        "follows advanced.cookie_prefix; __Secure- prefixed over https)")),
        ("authkit_bearer", HTTPBearer(
            scheme_name="bearerAuth", auto_error=False,
            description="The session token as a bearer token (authkit.plugins.bearer)")),
    ]


def security_parameters(function: Callable[..., Any]) -> None:
    """Give ``function`` a signature of ``request`` plus the documented security schemes."""
    signature = inspect.signature(function)
    request = signature.parameters["request"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                               default=Security(scheme), annotation=Any)
             for name, scheme in _SCHEMES]
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[request, *extra])


def not_installed() -> Exception:
    """The error a dependency raises when the middleware is missing."""
    if HTTPException is None:
        return RuntimeError(NOT_INSTALLED)
    return HTTPException(status_code=500, detail=NOT_INSTALLED)
