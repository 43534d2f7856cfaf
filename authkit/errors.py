"""Exceptions and wire error codes.

The tree (every exception class authkit defines; all derive from ``AuthError``)::

    AuthError                       root of everything authkit raises on purpose
    ├── ConfigError                 bad configuration, raised at construction (also ValueError)
    ├── APIError                    an HTTP-shaped error: status, code, message, headers
    │   ├── Redirect                a 302 raised from a handler (carries ``location``)
    │   ├── plugins.api_key.errors.RateLimited          an API key over its request quota
    │   ├── plugins.organization.errors.CodeFirstError  Better Auth's code-first envelope
    │   └── plugins.organization.errors.MissingPermissionsError
    ├── storage.DuplicateError      a unique constraint refused a write
    ├── storage.StorageUnavailable  the database (or store) cannot be reached: a 503
    │   └── secondary.SecondaryStorageUnavailable   the secondary store (Redis) is down
    ├── storage.query.QueryError    a malformed generic row query (also ValueError)
    ├── storage.limits.ValueTooLong a value longer than its column takes (answered 400)
    ├── crypto.DecryptionError      an encrypted value that does not decrypt (also ValueError)
    ├── jwe.JWEError                a malformed or unverifiable JWE (also ValueError)
    ├── email_tokens.EmailTokenError                a bad or expired email-verification JWT
    ├── plugins.jwt.jws.InvalidToken                a JWS that does not verify (also ValueError)
    ├── plugins.jwt.verifier.InvalidToken           a JWT refused by the JWKS verifier
    ├── plugins.jwt.store.PrivateKeyError           a stored signing key that cannot be used
    ├── plugins.social.state.StateError             OAuth state missing, tampered or expired
    ├── plugins.social.oauth2.TokenError            the provider's token endpoint refused
    ├── plugins.social.id_token.IdTokenError        an ID token that does not verify
    ├── plugins.social.http_client.OAuthHTTPError   a provider call that failed
    └── plugins.social.linking.OAuthUserError       a provider profile that cannot sign in

Warnings: ``middleware.AuthMiddlewareWarning`` (a ``UserWarning``) for legal but suspicious
middleware rules. ``tests/test_exception_tree.py`` checks this list against the code.

``APIError`` is what ``auth.api.*`` raises and what the HTTP handler renders as the
``{"message", "code"}`` envelope. Better Auth also has errors whose body is message-only or
empty; ``APIError.body`` says which (``body_kind``).
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, Literal

# BASE_ERROR_CODES of @better-auth/core 1.7.25 (docs/wire-compatibility.md#error-codes), plus the
# literal codes other layers use.
BASE_ERROR_CODES: dict[str, str] = {
    "USER_NOT_FOUND": "User not found",
    "FAILED_TO_CREATE_USER": "Failed to create user",
    "FAILED_TO_CREATE_SESSION": "Failed to create session",
    "FAILED_TO_UPDATE_USER": "Failed to update user",
    "FAILED_TO_GET_SESSION": "Failed to get session",
    "INVALID_PASSWORD": "Invalid password",
    "INVALID_EMAIL": "Invalid email",
    "INVALID_EMAIL_OR_PASSWORD": "Invalid email or password",
    "INVALID_USER": "Invalid user",
    "SOCIAL_ACCOUNT_ALREADY_LINKED": "Social account already linked",
    "PROVIDER_NOT_FOUND": "Provider not found",
    "INVALID_TOKEN": "Invalid token",
    "TOKEN_EXPIRED": "Token expired",
    "ID_TOKEN_NOT_SUPPORTED": "id_token not supported",
    "FAILED_TO_GET_USER_INFO": "Failed to get user info",
    "USER_EMAIL_NOT_FOUND": "User email not found",
    "EMAIL_NOT_VERIFIED": "Email not verified",
    "PASSWORD_TOO_SHORT": "Password too short",
    "PASSWORD_TOO_LONG": "Password too long",
    "USER_ALREADY_EXISTS": "User already exists.",
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL": "User already exists. Use another email.",
    "EMAIL_CAN_NOT_BE_UPDATED": "Email can not be updated",
    "CHANGE_EMAIL_DISABLED": "Change email is disabled",
    "CREDENTIAL_ACCOUNT_NOT_FOUND": "Credential account not found",
    "SESSION_EXPIRED": "Session expired. Re-authenticate to perform this action.",
    "FAILED_TO_UNLINK_LAST_ACCOUNT": "You can't unlink your last account",
    "ACCOUNT_NOT_FOUND": "Account not found",
    "USER_ALREADY_HAS_PASSWORD": "User already has a password. Provide that to delete the account.",
    "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED": (
        "Cross-site navigation login blocked. This request appears to be a CSRF attack."
    ),
    "VERIFICATION_EMAIL_NOT_ENABLED": "Verification email isn't enabled",
    "EMAIL_ALREADY_VERIFIED": "Email is already verified",
    "EMAIL_MISMATCH": "Email mismatch",
    "SESSION_NOT_FRESH": "Session is not fresh",
    "LINKED_ACCOUNT_ALREADY_EXISTS": "Linked account already exists",
    "INVALID_ORIGIN": "Invalid origin",
    "INVALID_CALLBACK_URL": "Invalid callbackURL",
    "INVALID_REDIRECT_URL": "Invalid redirectURL",
    "INVALID_ERROR_CALLBACK_URL": "Invalid errorCallbackURL",
    "INVALID_NEW_USER_CALLBACK_URL": "Invalid newUserCallbackURL",
    "MISSING_OR_NULL_ORIGIN": "Missing or null Origin",
    "CALLBACK_URL_REQUIRED": "callbackURL is required",
    "FAILED_TO_CREATE_VERIFICATION": "Unable to create verification",
    "FIELD_NOT_ALLOWED": "Field not allowed to be set",
    "ASYNC_VALIDATION_NOT_SUPPORTED": "Async validation is not supported",
    "VALIDATION_ERROR": "Validation Error",
    "MISSING_FIELD": "Field is required",
    "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED": (
        "POST method requires deferSessionRefresh to be enabled in session config"
    ),
    "BODY_MUST_BE_AN_OBJECT": "Body must be an object",
    "PASSWORD_ALREADY_SET": "User already has a password set",
    # Literal codes used by the core outside the table (docs/wire-compatibility.md#error-codes,
    # "Other literal codes").
    "UNAUTHORIZED": "Unauthorized",
    "INTERNAL_SERVER_ERROR": "Internal server error",
    "NOT_FOUND": "Not found",
    "BAD_REQUEST": "Invalid JSON in request body",
    "EMAIL_PASSWORD_DISABLED": "Email and password is not enabled",
    "EMAIL_PASSWORD_SIGN_UP_DISABLED": "Email and password sign up is not enabled",
    "RESET_PASSWORD_DISABLED": "Reset password isn't enabled",
    "BANNED_USER": "You have been banned from this application",
    # authkit's own (documented deviations, docs/security.md#decisions).
    "SERVICE_UNAVAILABLE": "Service temporarily unavailable",
    "PAYLOAD_TOO_LARGE": "Request body is too large",
    "REQUEST_HEADER_FIELDS_TOO_LARGE": "Request header fields are too large",
}

BodyKind = Literal["envelope", "message", "empty"]


def status_name(status: int) -> str:
    """``401`` → ``"UNAUTHORIZED"``: the status name Better Auth's APIError carries."""
    try:
        return HTTPStatus(status).name
    except ValueError:
        return str(status)


class AuthError(Exception):
    """Root of every exception authkit raises on purpose."""


class ConfigError(AuthError, ValueError):
    """Invalid configuration; the message says how to fix it."""


class APIError(AuthError):
    """An error with an HTTP status and a wire body.

    ``APIError(400, "INVALID_TOKEN")`` takes the default message of the code;
    ``body_kind="message"`` renders ``{"message"}`` only and ``"empty"`` renders no body,
    for the few Better Auth errors of those shapes.
    """

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body_kind: BodyKind = "envelope",
    ) -> None:
        if message is None:
            message = BASE_ERROR_CODES.get(code or "", "") if code else ""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers: list[tuple[str, str]] = list(headers)
        self.body_kind: BodyKind = body_kind

    @property
    def status_text(self) -> str:
        """The status name, e.g. ``"UNAUTHORIZED"``."""
        return status_name(self.status)

    @property
    def body(self) -> dict[str, Any] | None:
        """The JSON body on the wire, ``None`` for an empty body."""
        if self.body_kind == "empty":
            return None
        if self.body_kind == "message" or self.code is None:
            return {"message": self.message}
        return {"message": self.message, "code": self.code}

    def __repr__(self) -> str:
        return f"APIError({self.status}, {self.code!r}, {self.message!r})"


class Redirect(APIError):
    """A 302 from a handler; Better Auth throws redirects the same way."""

    def __init__(self, location: str, *, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(302, None, "", headers=[*headers, ("Location", location)],
                         body_kind="empty")
        self.location = location
