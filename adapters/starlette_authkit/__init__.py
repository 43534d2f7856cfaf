"""Starlette and FastAPI integration for authkit.

``Starlette(middleware=authkit_middleware(auth, protect=[...]))`` installs authkit's ASGI
``AuthMiddleware`` (the auth handler at the base path, the path rules) and Starlette's
``AuthenticationMiddleware`` with ``AuthKitBackend``, so ``request.user``, ``request.auth``
and ``@requires("authenticated")`` / ``@requires("admin")`` work unchanged: the credentials'
scopes are ``"authenticated"`` plus the user's roles.

FastAPI: ``Depends(current_session)`` (401 when signed out), ``Depends(optional_session)``,
``Depends(require_role("admin"))`` (403 without the role). Their ``APIError``s are rendered
as the JSON envelope by the middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

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
        "starlette_authkit needs Starlette: pip install 'authkit[starlette]'"
    ) from exc

from authkit import APIError, AuthKit, SessionWithUser, User
from authkit.asgi_middleware import AuthMiddleware
from authkit.helpers import forbidden, request_auth, unauthorized
from authkit.middleware import IsAPIRequest, RoleSpec
from authkit.pipeline import error_response

__all__ = [
    "AuthKitBackend",
    "AuthKitUser",
    "api_error_response",
    "auth_mount",
    "authkit_middleware",
    "current_session",
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
    answers 503: never "signed out" (SEC-79).
    """

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials,
                                                                 BaseUser] | None:
        state = request_auth(conn)
        session = await state.load()
        if session is None:
            return None
        scopes = ["authenticated", *sorted(state.roles())]
        return AuthCredentials(scopes), AuthKitUser(session)


def authkit_middleware(
    auth: AuthKit,
    *,
    protect: Sequence[str] = (),
    public: Sequence[str] = (),
    auth_pages: Sequence[str] = (),
    roles: Mapping[str, RoleSpec] | None = None,
    sign_in_path: str = "/sign-in",
    after_sign_in_path: str = "/",
    api_paths: Sequence[str] = ("/api/:path*",),
    is_api_request: IsAPIRequest | None = None,
) -> list[Middleware]:
    """The middleware list for ``Starlette(middleware=...)`` / ``FastAPI(middleware=...)``."""
    return [
        Middleware(AuthMiddleware, auth=auth, protect=protect, public=public,
                   auth_pages=auth_pages, roles=roles, sign_in_path=sign_in_path,
                   after_sign_in_path=after_sign_in_path, api_paths=api_paths,
                   is_api_request=is_api_request),
        Middleware(AuthenticationMiddleware, backend=AuthKitBackend()),
    ]


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


async def optional_session(request: Request) -> SessionWithUser | None:
    """FastAPI dependency: the session, or ``None`` when signed out."""
    return await request_auth(request).load()


async def current_session(request: Request) -> SessionWithUser:
    """FastAPI dependency: the session; 401 (with a sign-in ``Location``) when signed out."""
    state = request_auth(request)
    session = await state.load()
    if session is None:
        raise unauthorized(state)
    return session


def require_role(role: str, *more: str) -> Callable[[Request], Awaitable[SessionWithUser]]:
    """FastAPI dependency factory: the session when its user has ``role`` (or one of
    ``more``); 401 when signed out, 403 otherwise."""
    wanted = frozenset((role, *more))

    async def dependency(request: Request) -> SessionWithUser:
        session = await current_session(request)
        if request_auth(request).roles().isdisjoint(wanted):
            raise forbidden()
        return session

    dependency.__name__ = f"require_role_{role}"
    return dependency


