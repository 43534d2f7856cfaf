"""Flask extension for authkit: ``FlaskAuthKit(app, auth=auth)`` or ``init_app(app)``.

It wraps ``app.wsgi_app`` in authkit's ``AuthMiddleware`` (the auth handler at the base path,
the path rules from ``AUTHKIT_*`` config keys), registers itself in
``app.extensions["authkit"]``, renders ``APIError`` as the JSON envelope, and offers the
``current_session`` / ``current_user`` proxies and the ``login_required`` /
``role_required`` decorators.

Config keys (all optional): ``AUTHKIT_<OPTION>`` for each field of
``authkit.MiddlewareOptions``: ``AUTHKIT_PROTECT``, ``AUTHKIT_PUBLIC``, ``AUTHKIT_AUTH_PAGES``
(lists of path patterns), ``AUTHKIT_ROLES`` (``{pattern: role}``), ``AUTHKIT_SIGN_IN_PATH``,
``AUTHKIT_AFTER_SIGN_IN_PATH``, ``AUTHKIT_API_PATHS``, ``AUTHKIT_IS_API_REQUEST``,
``AUTHKIT_FORBIDDEN_PAGE``, ``AUTHKIT_CREDENTIALS`` (``{pattern: ("session", "api-key",
"jwt")}``: paths that also accept API keys or bearer JWTs). Any other
``AUTHKIT_*`` key is refused at ``init_app`` (with a "did you mean"): a misspelt
``AUTHKIT_PROTCT`` would otherwise leave the routes open.

``current_user`` is always an object: an ``AuthenticatedUser`` (``is_authenticated``, the
user's fields as attributes) or, signed out, an ``AnonymousUser``, as in Flask-Login.
"""

from __future__ import annotations

import difflib
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
        "flask_authkit needs Flask: pip install 'authkit-server[flask]'"
    ) from exc

from authkit import (
    APIError,
    AuthKit,
    ConfigError,
    MiddlewareOptions,
    RequestAuth,
    Response,
    SessionWithUser,
    Verdict,
    error_response,
    request_auth,
)
from authkit import WSGIAuthMiddleware as AuthMiddleware

from .users import ANONYMOUS, AnonymousUser, AuthenticatedUser

__all__ = [
    "AnonymousUser",
    "AuthenticatedUser",
    "FlaskAuthKit",
    "current_session",
    "current_user",
    "login_required",
    "role_required",
]

F = TypeVar("F", bound=Callable[..., Any])

# AUTHKIT_PROTECT -> protect, ...: one config key per middleware option, named after it.
_CONFIG = {f"AUTHKIT_{name.upper()}": name for name in MiddlewareOptions.names()}


def check_config_keys(config: Any) -> None:
    """Refuse ``AUTHKIT_*`` keys this extension does not read, suggesting the likely one."""
    unknown = sorted(k for k in config if isinstance(k, str) and k.startswith("AUTHKIT_")
                     and k not in _CONFIG)
    if not unknown:
        return
    parts = []
    for key in unknown:
        close = difflib.get_close_matches(key, list(_CONFIG), n=1, cutoff=0.8)
        parts.append(f"{key}" + (f" (did you mean {close[0]}?)" if close else ""))
    raise ConfigError(f"unknown Flask config key(s) {', '.join(parts)}; flask_authkit reads "
                      f"{', '.join(_CONFIG)}")


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
        check_config_keys(app.config)
        options = MiddlewareOptions(**{name: app.config[key] for key, name in _CONFIG.items()
                                       if key in app.config})
        middleware = AuthMiddleware(app.wsgi_app, auth, options)
        app.wsgi_app = middleware  # type: ignore[method-assign]
        app.extensions["authkit"] = AuthKitState(auth, middleware)
        app.register_error_handler(APIError, _render_api_error)
        app.context_processor(lambda: {"current_session": current_session,
                                       "current_user": current_user})


def _state() -> RequestAuth:
    return request_auth(request)


def _session() -> SessionWithUser | None:
    return _state().session


def _user() -> AuthenticatedUser | AnonymousUser:
    state = _state()
    session = state.session
    # Roles through the app's role model (the admin plugin's default role included).
    return AuthenticatedUser(session, roles=state.roles()) if session is not None else ANONYMOUS


# This request's session (None when signed out) and user (an AnonymousUser when signed out:
# ``current_user.is_authenticated``, or ``if current_user``).
current_session = cast(SessionWithUser | None, LocalProxy(_session))
current_user = cast(AuthenticatedUser | AnonymousUser, LocalProxy(_user))


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
            # split), the same one the middleware's rules and the core use, read from the
            # store, never from the cookie cache.
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
