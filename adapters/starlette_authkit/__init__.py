"""Starlette and FastAPI integration for authkit.

One call wires everything into an existing app: ``install(app, auth, protect=[...],
roles={...})`` (FastAPI or Starlette). Equivalently, for a Starlette app built in one
expression, ``Starlette(middleware=authkit_middleware(auth, protect=[...]))`` installs authkit's ASGI
``AuthMiddleware`` (the auth handler at the base path, the path rules) and Starlette's
``AuthenticationMiddleware`` with ``AuthKitBackend``, so ``request.user``, ``request.auth``
and ``@requires("authenticated")`` / ``@requires("admin")`` work unchanged: the credentials'
scopes are ``"authenticated"`` plus the user's roles.

FastAPI: ``Depends(current_session)`` (401 when signed out), ``Depends(optional_session)``,
``Depends(require_role("admin"))`` (403 without the role), and
``Depends(authenticated("session", "api-key", "jwt"))`` for a route that machine clients call
with an API key or a bearer JWT. Their ``APIError``s are rendered
as the JSON envelope by the middleware. Routes using them show the session cookie and a
bearer token as security schemes in FastAPI's ``/docs``. Used in an app where ``install``
was not called, they answer 500 with the line to add, and log it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

try:
    from starlette.authentication import (
        AuthCredentials,
        AuthenticationBackend,
        BaseUser,
    )
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import Response as StarletteResponse
    from starlette.routing import Mount
except ImportError as exc:  # pragma: no cover - exercised only without Starlette installed
    raise ImportError(
        "starlette_authkit needs Starlette: pip install 'authkit-server[starlette]'"
    ) from exc

from authkit import (
    APIError,
    AuthKit,
    MiddlewareOptions,
    RequestAuth,
    SessionWithUser,
    User,
    credential_of,
    error_response,
    forbidden,
    kinds_of,
    request_auth,
    unauthorized,
)
from authkit import ASGIAuthMiddleware as AuthMiddleware

from .security import NOT_INSTALLED, not_installed, security_parameters

log = logging.getLogger("authkit")

__all__ = [
    "AuthKitBackend",
    "AuthKitUser",
    "api_error_response",
    "auth_mount",
    "authenticated",
    "authkit_middleware",
    "credential_of",
    "current_session",
    "install",
    "optional_session",
    "require_role",
]


class AuthKitUser(BaseUser):
    """``request.user`` for a signed-in visitor; ``.user`` and ``.session`` are authkit's."""

    def __init__(self, session: SessionWithUser) -> None:
        self.session = session
        self.user: User = session.user

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.user.name

    @property
    def identity(self) -> str:
        return self.user.id


class AuthKitBackend(AuthenticationBackend):
    """Starlette authentication from the session ``AuthMiddleware`` attached to the scope.

    Scopes: ``"authenticated"`` and each role of the user (``@requires("admin")``). An
    unreachable database propagates as ``StorageUnavailable``, which ``AuthMiddleware``
    answers 503: never "signed out" (docs/security.md#middleware).
    """

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials,
                                                                 BaseUser] | None:
        state = request_auth(conn)
        if await state.load() is None:
            return None
        # Role scopes (``@requires("admin")``) are decided from the store, never from the
        # cookie cache: with the cache on this is one store read per request.
        session = await state.load(fresh=True)
        if session is None:
            return None
        scopes = ["authenticated", *sorted(state.roles())]
        return AuthCredentials(scopes), AuthKitUser(session)


def authkit_middleware(auth: AuthKit, options: MiddlewareOptions | None = None,
                       **kwargs: Any) -> list[Middleware]:
    """The middleware list for ``Starlette(middleware=...)`` / ``FastAPI(middleware=...)``.
    The options are ``authkit.MiddlewareOptions`` (as keywords or ``options=``);
    ``credentials={pattern: ("session", "api-key", "jwt")}`` lets those paths accept API keys
    and bearer JWTs too."""
    built = MiddlewareOptions.build(options, kwargs)
    return [
        # cast: Starlette's factory typing cannot match a constructor that also takes
        # **kwargs (the keyword form of the options), though the call is valid.
        Middleware(cast(Any, AuthMiddleware), auth=auth, options=built),
        Middleware(AuthenticationMiddleware, backend=AuthKitBackend()),
    ]


def install(app: Any, auth: AuthKit, options: MiddlewareOptions | None = None,
            **kwargs: Any) -> None:
    """Wire authkit into a FastAPI or Starlette ``app`` in one call.

    The auth handler answers at ``auth.base_path``, the path rules guard the rest,
    ``request.user`` / ``@requires`` and the FastAPI dependencies work, and ``APIError``
    becomes the JSON envelope. Options as ``authkit_middleware``.
    """
    if getattr(app.state, "authkit", None) is not None:
        raise RuntimeError("starlette_authkit.install() was already called on this app")
    # add_middleware puts each new one outside the previous: authkit's goes on last so it
    # runs first, before the authentication middleware that reads what it attached.
    outer, inner = authkit_middleware(auth, options, **kwargs)
    app.add_middleware(inner.cls, *inner.args, **inner.kwargs)
    app.add_middleware(outer.cls, *outer.args, **outer.kwargs)
    app.add_exception_handler(APIError, api_error_response)
    app.state.authkit = auth


def auth_mount(auth: AuthKit) -> Mount:
    """The auth handler as a route, for apps that do not use ``AuthMiddleware``."""
    return Mount(auth.base_path, app=auth.asgi_app())


def api_error_response(request: Request, exc: Exception) -> StarletteResponse:
    """An exception handler rendering ``APIError`` as the JSON envelope."""
    assert isinstance(exc, APIError)
    response = error_response(exc)
    out = StarletteResponse(response.body, status_code=response.status)
    for name, value in response.headers:
        out.headers.append(name, value)
    return out


def _state(request: Request) -> RequestAuth:
    try:
        return request_auth(request)
    except RuntimeError:
        # A dependency in an app without the middleware: say the one line to add instead of
        # a bare 500 (FastAPI renders the HTTPException's detail).
        log.error(NOT_INSTALLED)
        raise not_installed() from None


async def optional_session(request: Request, **_credentials: Any) -> SessionWithUser | None:
    """FastAPI dependency: the session, or ``None`` when signed out."""
    return await _state(request).load()


async def current_session(request: Request, **_credentials: Any) -> SessionWithUser:
    """FastAPI dependency: the session; 401 (with a sign-in ``Location``) when signed out."""
    state = _state(request)
    session = await state.load()
    if session is None:
        raise unauthorized(state)
    return session


def authenticated(*kinds: str) -> Callable[[Request], Awaitable[SessionWithUser]]:
    """FastAPI dependency factory: the session from any of ``kinds`` (``"session"``,
    ``"api-key"``, ``"jwt"``) for this route, whatever the path rules say; 401 without one.
    ``request.state`` is untouched; ``credential_of(session)`` tells which one it was."""
    accepted = kinds_of(kinds, "authenticated(...)")

    async def dependency(request: Request, **_credentials: Any) -> SessionWithUser:
        state = _state(request)
        loop = asyncio.get_running_loop()
        session = await loop.run_in_executor(None, state.resolve_with, accepted)
        if session is None:
            raise unauthorized(state)
        return session

    dependency.__name__ = f"authenticated_{'_'.join(sorted(accepted))}"
    security_parameters(dependency)
    return dependency


def require_role(role: str, *more: str) -> Callable[..., Awaitable[SessionWithUser]]:
    """FastAPI dependency factory: the session when its user has ``role`` (or one of
    ``more``); 401 when signed out, 403 otherwise."""
    wanted = frozenset((role, *more))

    async def dependency(request: Request, **credentials: Any) -> SessionWithUser:
        await current_session(request)
        state = request_auth(request)
        # The role is read from the store, never from the cookie cache.
        session = await state.load(fresh=True)
        if session is None:
            raise unauthorized(state)
        if state.roles().isdisjoint(wanted):
            raise forbidden()
        return session

    dependency.__name__ = f"require_role_{role}"
    security_parameters(dependency)
    return dependency


# FastAPI reads the signature: declare the cookie and bearer schemes on each dependency so
# protected routes show them in /docs (their values are read by authkit, not from here).
security_parameters(optional_session)
security_parameters(current_session)
