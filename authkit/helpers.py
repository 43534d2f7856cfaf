"""Server-side guards for handlers: ``require_session``, ``require_role``, ``with_auth``.

They accept whatever a handler holds: a WSGI environ, an ASGI scope, a Flask/Werkzeug
request (``.environ``) or a Starlette request (``.scope``), and read the ``RequestAuth`` that
``AuthMiddleware`` attached to it. Failures raise ``APIError``: 401 with a ``Location`` to
the sign-in page (which comes back here afterwards), or 403 for a missing role. The
middleware (and the Flask/Starlette adapters) render them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast, overload

from .errors import APIError
from .middleware import RequestAuth
from .models import SessionWithUser
from .roles import has_any_role, role_model

F = TypeVar("F", bound=Callable[..., Any])


def request_auth(request: Any) -> RequestAuth:
    """The ``RequestAuth`` of a WSGI environ, ASGI scope, or Flask/Starlette request."""
    if isinstance(request, RequestAuth):
        return request
    for container, key in ((getattr(request, "scope", None), "authkit.auth"),
                           (getattr(request, "environ", None), "authkit.auth"),
                           (request, "authkit.auth"),
                           # The earlier keys, for states attached by older code.
                           (getattr(request, "scope", None), "authkit"),
                           (getattr(request, "environ", None), "authkit.session"),
                           (request, "authkit"), (request, "authkit.session")):
        if isinstance(container, Mapping):
            state = container.get(key)
            if isinstance(state, RequestAuth):
                return state
    raise RuntimeError(
        "this request carries no authkit state: wrap the app in authkit's AuthMiddleware "
        "(or use the Flask/Starlette adapter, which installs it)"
    )


def unauthorized(state: RequestAuth) -> APIError:
    """401 ``UNAUTHORIZED`` with a ``Location`` to the sign-in page."""
    return APIError(401, "UNAUTHORIZED", headers=[("Location", state.sign_in_location())])


def forbidden() -> APIError:
    """403 ``FORBIDDEN``: signed in, but not allowed here."""
    return APIError(403, "FORBIDDEN", "Forbidden")


def _check(state: RequestAuth, session: SessionWithUser | None,
           roles: tuple[str, ...]) -> SessionWithUser:
    if session is None:
        raise unauthorized(state)
    if roles and not has_any_role(*roles, model=role_model(state.auth))(session):
        raise forbidden()
    return session


def require_session(request: Any) -> SessionWithUser:
    """The session of ``request``; raises 401 (with a sign-in ``Location``) when signed out.

    Synchronous: in async code ``await request_auth(request).load()`` first, or use
    ``with_auth`` on the handler.
    """
    state = request_auth(request)
    return _check(state, state.session, ())


def require_role(request: Any, role: str, *more: str) -> SessionWithUser:
    """The session of ``request`` when its user has ``role`` (or one of ``more``).

    401 when signed out, 403 when signed in without the role. The role is read from the
    store, never from the cookie cache (a demoted user is refused at once).
    """
    state = request_auth(request)
    if state.session is None:  # signed out: no need to read the store again
        raise unauthorized(state)
    return _check(state, state.resolve(fresh=True), (role, *more))


@overload
def with_auth(handler: F, /) -> F: ...
@overload
def with_auth(*, role: str | None = None) -> Callable[[F], F]: ...


def with_auth(handler: F | None = None, /, *, role: str | None = None) -> Any:
    """Decorate ``handler(request, session, ...)`` so it runs only with a session.

    ``@with_auth`` or ``@with_auth(role="admin")``; the wrapped handler takes ``(request,
    ...)``. Works for sync and async handlers (async ones load the session off the loop).
    """
    roles = (role,) if role else ()

    def decorate(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                state = request_auth(request)
                session = _check(state, await state.load(fresh=bool(roles)), roles)
                result = fn(request, session, *args, **kwargs)
                return await cast(Awaitable[Any], result)

            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            state = request_auth(request)
            session = state.resolve(fresh=True) if roles else state.session
            return fn(request, _check(state, session, roles), *args, **kwargs)

        return cast(F, wrapper)

    if handler is not None:
        return decorate(handler)
    return decorate
