"""Flask extension for authkit: ``FlaskAuthKit(app, auth=auth)`` or ``init_app(app)``.

It wraps ``app.wsgi_app`` in authkit's ``AuthMiddleware`` (the auth handler at the base path,
the path rules from ``AUTHKIT_*`` config keys), registers itself in
``app.extensions["authkit"]``, renders ``APIError`` as the JSON envelope, and offers the
``current_session`` / ``current_user`` proxies and the ``login_required`` /
``role_required`` decorators.

Config keys (all optional): ``AUTHKIT_PROTECT``, ``AUTHKIT_PUBLIC``, ``AUTHKIT_AUTH_PAGES``
(lists of path patterns), ``AUTHKIT_ROLES`` (``{pattern: role}``), ``AUTHKIT_SIGN_IN_PATH``,
``AUTHKIT_AFTER_SIGN_IN_PATH``, ``AUTHKIT_API_PATHS``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

try:
    from flask import Flask, current_app, request
    from flask import Response as FlaskResponse
    from werkzeug.local import LocalProxy
except ImportError as exc:  # pragma: no cover - exercised only without Flask installed
    raise ImportError(
        "flask_authkit needs Flask: pip install 'authkit[flask]'"
    ) from exc

from authkit import APIError, AuthKit, ConfigError, SessionWithUser, User
from authkit.helpers import request_auth
from authkit.http import Response
from authkit.middleware import RequestAuth, Verdict
from authkit.pipeline import error_response
from authkit.wsgi_middleware import AuthMiddleware

__all__ = [
    "FlaskAuthKit",
    "current_session",
    "current_user",
    "login_required",
    "role_required",
]

F = TypeVar("F", bound=Callable[..., Any])

_CONFIG = {
    "AUTHKIT_PROTECT": ("protect", ()),
    "AUTHKIT_PUBLIC": ("public", ()),
    "AUTHKIT_AUTH_PAGES": ("auth_pages", ()),
    "AUTHKIT_ROLES": ("roles", None),
    "AUTHKIT_SIGN_IN_PATH": ("sign_in_path", "/sign-in"),
    "AUTHKIT_AFTER_SIGN_IN_PATH": ("after_sign_in_path", "/"),
    "AUTHKIT_API_PATHS": ("api_paths", ("/api/:path*",)),
}


@dataclass(frozen=True)
class AuthKitState:
    """What ``app.extensions["authkit"]`` holds for one app."""

    auth: AuthKit
    middleware: AuthMiddleware


class FlaskAuthKit:
    """The extension: ``FlaskAuthKit(app, auth=auth)``, or ``ext = FlaskAuthKit(auth=auth)``
    then ``ext.init_app(app)`` in an app factory."""

    def __init__(self, app: Flask | None = None, *, auth: AuthKit | None = None) -> None:
        self.auth = auth
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, auth: AuthKit | None = None) -> None:
        """Install the middleware, the error handler and the template globals on ``app``."""
        auth = auth or self.auth
        if auth is None:
            raise ConfigError("FlaskAuthKit needs an AuthKit: FlaskAuthKit(app, auth=AuthKit(...))"
                              " or init_app(app, auth=...)")
        if "authkit" in app.extensions:
            raise ConfigError("authkit is already initialised on this Flask app")
        options: dict[str, Any] = {name: app.config.get(key, default)
                                   for key, (name, default) in _CONFIG.items()}
        middleware = AuthMiddleware(app.wsgi_app, auth, **options)
        app.wsgi_app = middleware  # type: ignore[method-assign]
        app.extensions["authkit"] = AuthKitState(auth, middleware)
        app.register_error_handler(APIError, _render_api_error)
        app.context_processor(lambda: {"current_session": current_session,
                                       "current_user": current_user})


def _state() -> RequestAuth:
    return request_auth(request)


def _session() -> SessionWithUser | None:
    return _state().session


def _user() -> User | None:
    return _state().user


# Proxies to this request's session and user (None when signed out; test with ``if``).
current_session = cast(SessionWithUser | None, LocalProxy(_session))
current_user = cast(User | None, LocalProxy(_user))


def get_auth() -> AuthKit:
    """The ``AuthKit`` of the current app."""
    state: AuthKitState = current_app.extensions["authkit"]
    return state.auth


def to_flask(response: Response) -> FlaskResponse:
    """An authkit ``Response`` value as a Flask response (repeated headers kept)."""
    return FlaskResponse(response.body, status=response.status, headers=response.headers)


def _render_api_error(exc: APIError) -> FlaskResponse:
    return to_flask(error_response(exc))


def _guard(roles: tuple[str, ...]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            state = _state()
            session = state.session
            if session is None:
                return to_flask(state.refusal(Verdict.UNAUTHENTICATED))
            # The role model of the app's AuthKit (admin plugin's default role, Better Auth's
            # split), the same one the middleware's rules and the core use.
            if roles and state.roles().isdisjoint(roles):
                return to_flask(state.refusal(Verdict.FORBIDDEN))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def login_required(view: F) -> F:
    """Signed out: a page load is redirected to sign-in (and back), an API call gets 401."""
    return _guard(())(view)


def role_required(role: str, *more: str) -> Callable[[F], F]:
    """Like ``login_required``, and 403 unless the user has ``role`` (or one of ``more``)."""
    return _guard((role, *more))
