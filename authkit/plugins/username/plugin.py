"""The username plugin: schema, hooks on sign-up and update-user, and its two routes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...endpoints.sign_in import SignInResult, password_sign_in
from ...errors import APIError, ConfigError
from ...hooks import HookMatcher
from ...models import User
from ...passwords import password_length
from ...storage.fields import FieldSpec
from ...validation import Body
from ..base import Plugin
from .rules import USERNAME_MESSAGES, Normalizer, UsernameRules, Validator, default_validator

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

USERNAME_ERROR_CODES = USERNAME_MESSAGES


class SignInUsernameBody(Body):
    """Body of ``/sign-in/username``."""

    username: str
    password: str
    rememberMe: bool | None = None
    callbackURL: str | None = None


class AvailableBody(Body):
    """Body of ``/is-username-available``."""

    username: str


def _error(status: int, code: str) -> APIError:
    return APIError(status, code, USERNAME_MESSAGES[code])


class UsernamePlugin(Plugin):
    """See ``username()``."""

    id = "username"
    error_codes = USERNAME_MESSAGES

    def __init__(self, rules: UsernameRules, *, display_username: bool = True,
                 immutable: bool = False) -> None:
        self.rules = rules
        self.immutable = immutable
        self.user_fields = (
            FieldSpec("username", "string", unique=True, sortable=True),
            *((FieldSpec("displayUsername", "string"),) if display_username else ()),
        )
        self._display = display_username
        self.before = (
            HookMatcher(lambda ctx: ctx.path == "/sign-up/email", self._before_sign_up),
            HookMatcher(lambda ctx: ctx.path == "/update-user", self._before_update),
        )
        self.database_hooks = {"user": {"create": {"before": self._db_create},
                                        "update": {"before": self._db_update}}}
        self._auth: AuthKit | None = None

    def init(self, auth: AuthKit) -> None:
        self._auth = auth

    # -- lookups -----------------------------------------------------------------------
    def find_user(self, auth: AuthKit, name: str) -> User | None:
        """The user whose stored (normalised) username is ``name`` normalised."""
        row = auth.storage.find_row("user", {"username": self.rules.normalized(name)})
        return auth.db.get_user_by_id(row["id"]) if row is not None else None

    def _taken(self, auth: AuthKit, name: str, *, by_other_than: str | None = None) -> bool:
        found = auth.storage.find_row("user", {"username": self.rules.normalized(name)})
        return found is not None and found["id"] != by_other_than

    # -- hooks on core routes ----------------------------------------------------------
    def _before_sign_up(self, ctx: Context) -> Any:
        body = ctx.raw_body if isinstance(ctx.raw_body, Mapping) else None
        if body is None:
            return None
        changed: dict[str, Any] = {}
        name = body.get("username")
        display = body.get("displayUsername")
        if name is not None and not isinstance(name, str):
            # Better Auth skips its checks for a non-string and the insert fails: 422.
            raise APIError(422, "FAILED_TO_CREATE_USER", "Failed to create user")
        if (self._display and isinstance(display, str) and name is None
                and self.rules.problem(display) is None):
            # A display name that is itself a valid username becomes the username.
            name = changed["username"] = display
        if isinstance(name, str):
            self.rules.check(name, status=400)
            if self._taken(ctx.auth, name):
                raise _error(400, "USERNAME_IS_ALREADY_TAKEN")
            if self._display and display is None:
                changed["displayUsername"] = name
        if isinstance(display, str):
            self._check_display(display)
        return {"context": {"body": changed}} if changed else None

    def _before_update(self, ctx: Context) -> Any:
        body = ctx.raw_body if isinstance(ctx.raw_body, Mapping) else None
        if body is None:
            return None
        name = body.get("username")
        if isinstance(name, str):
            if self.immutable:
                raise _error(400, "USERNAME_IS_IMMUTABLE")
            self.rules.check(name, status=400)
            current = ctx.require_session()
            if self._taken(ctx.auth, name, by_other_than=current.user.id):
                raise _error(400, "USERNAME_IS_ALREADY_TAKEN")
        display = body.get("displayUsername")
        if isinstance(display, str):
            self._check_display(display)
        return None

    def _check_display(self, display: str) -> None:
        check = self.rules.display_validator
        if check is not None and not check(display):
            raise _error(400, "INVALID_DISPLAY_USERNAME")

    # -- database hooks: every path that writes users (admin create-user too) ----------
    def _normalise(self, data: dict[str, Any], *, creating: bool) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        name = data.get("username")
        if isinstance(name, str):
            self.rules.check(name, status=400)
            out["username"] = self.rules.normalized(name)
            if creating and self._display and data.get("displayUsername") is None:
                out["displayUsername"] = name
        display = data.get("displayUsername")
        if self._display and isinstance(display, str):
            out["displayUsername"] = self.rules.display(display)
        return {"data": out} if out else None

    def _db_create(self, data: dict[str, Any], ctx: Context | None) -> Any:
        name = data.get("username")
        if isinstance(name, str) and self._auth is not None and self._taken(self._auth, name):
            raise _error(400, "USERNAME_IS_ALREADY_TAKEN")
        return self._normalise(data, creating=True)

    def _db_update(self, data: dict[str, Any], ctx: Context | None) -> Any:
        return self._normalise(data, creating=False)

    # -- routes ------------------------------------------------------------------------
    def sign_in(self, ctx: Context) -> SignInResult:
        """``POST /sign-in/username``: like ``/sign-in/email``, by username."""
        auth = ctx.auth
        body: SignInUsernameBody = ctx.body
        if not body.username or not body.password:
            raise _error(401, "INVALID_USERNAME_OR_PASSWORD")
        self.rules.check(body.username, status=422)
        if password_length(body.password) > auth.options.email_and_password.max_password_length:
            raise APIError(400, "PASSWORD_TOO_LONG")
        user = self.find_user(auth, body.username)
        try:
            return password_sign_in(
                ctx, user, password=body.password, callback_url=body.callbackURL,
                remember_me=body.rememberMe, failure_code="INVALID_USERNAME_OR_PASSWORD",
                who={"username": body.username})
        except APIError as exc:
            if exc.code == "INVALID_USERNAME_OR_PASSWORD":
                raise _error(401, "INVALID_USERNAME_OR_PASSWORD") from None
            raise

    def is_available(self, ctx: Context) -> dict[str, bool]:
        """``POST /is-username-available``: ``{"available": bool}`` after normalisation."""
        body: AvailableBody = ctx.body
        if not body.username:
            raise _error(422, "INVALID_USERNAME")
        self.rules.check(body.username, status=422)
        return {"available": not self._taken(ctx.auth, body.username)}

    def endpoints(self) -> Sequence[Endpoint]:
        from ...endpoints.registry import endpoint

        return (
            endpoint("sign_in_username", "/sign-in/username", "POST", self.sign_in,
                     body=SignInUsernameBody, summary="Sign in with a username and password",
                     error_codes=("INVALID_USERNAME_OR_PASSWORD", "USERNAME_TOO_SHORT",
                                  "USERNAME_TOO_LONG", "INVALID_USERNAME", "PASSWORD_TOO_LONG",
                                  "EMAIL_NOT_VERIFIED"), plugin=self.id),
            endpoint("is_username_available", "/is-username-available", "POST",
                     self.is_available, body=AvailableBody,
                     summary="Whether a username is free",
                     error_codes=("USERNAME_TOO_SHORT", "USERNAME_TOO_LONG",
                                  "INVALID_USERNAME"), plugin=self.id),
        )


def username(
    *,
    min_length: int = 3,
    max_length: int = 30,
    validator: Validator = default_validator,
    display_validator: Validator | None = None,
    normalize: Normalizer | None = str.lower,
    normalize_display: Normalizer | None = None,
    validate_after_normalization: bool = False,
    display_username: bool = True,
    immutable: bool = False,
) -> UsernamePlugin:
    """The username plugin (Better Auth's options in snake_case: ``min_length`` is
    ``minUsernameLength``, ``normalize=None`` is ``usernameNormalization: false``)."""
    if not 0 < min_length <= max_length:
        raise ConfigError("username(): need 0 < min_length <= max_length")
    return UsernamePlugin(
        UsernameRules(min_length=min_length, max_length=max_length, validator=validator,
                      display_validator=display_validator, normalize=normalize,
                      normalize_display=normalize_display,
                      validate_after_normalization=validate_after_normalization),
        display_username=display_username, immutable=immutable)
