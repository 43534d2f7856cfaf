"""POST /request-password-reset, GET /reset-password/:token, POST /reset-password
(docs/wire-compatibility.md#request-password-reset–docs/wire-compatibility.md#reset-password).

A reset token is 24 random alphanumerics kept in ``verification`` as
``reset-password:<token> → userId``. Requesting never reveals whether the address exists
(docs/security.md#account-enumeration): the same body, headers and work for unknown users, and
sender failures are only
logged. Using a token consumes it atomically in the same transaction as the password write, so
of any number of concurrent resets with one token exactly one succeeds
(docs/security.md#concurrency) and a failure
after the consumption puts the token back (docs/security.md#outages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import single_use_tokens as verifications
from ..cookies import encode_value
from ..errors import APIError, Redirect
from ..mail.dispatch import call_email_callback
from ..models import Account
from ..observability import log_event
from ..origins import check_callback_url
from ..tokens import generate_id, random_string
from ..validation import Body, Email
from .context import Context
from .redirects import protect_token_response, resolve_with_query
from .registry import Endpoint, endpoint
from .sign_up import check_password_length
from .verification import StatusResult, run_user_hook

TOKEN_LENGTH = 24
IDENTIFIER_PREFIX = "reset-password:"
RESET_MESSAGE = "If this email exists in our system, check your email for the reset link"


class RequestResetBody(Body):
    """Body of ``/request-password-reset``."""

    email: Email
    redirectTo: str | None = None


class ResetCallbackQuery(Body):
    """Query of ``GET /reset-password/:token`` (``callbackURL`` is required)."""

    callbackURL: str


class ResetPasswordQuery(Body):
    """Query of ``POST /reset-password``."""

    token: str | None = None


class ResetPasswordBody(Body):
    """Body of ``POST /reset-password``; the token may also come in ``?token=``."""

    newPassword: str
    token: str | None = None


@dataclass
class RequestResetResult:
    """``{"status": true, "message": ...}``: the same for every address."""

    status: bool = True
    message: str = RESET_MESSAGE

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"status": self.status, "message": self.message}


def request_password_reset(ctx: Context) -> RequestResetResult:
    """Mail a reset link to a known address; answer identically for any address."""
    auth = ctx.auth
    sender = auth.options.email_and_password.send_reset_password
    if sender is None:
        raise APIError(400, "RESET_PASSWORD_DISABLED")
    body: RequestResetBody = ctx.body
    user = auth.db.get_user_by_email(body.email.lower())
    # Both paths draw a token and write one verification row (a dead decoy for unknown
    # addresses), so neither the answer nor the time it takes tells them apart
    # (docs/security.md#account-enumeration).
    token = random_string(TOKEN_LENGTH)
    identifier = IDENTIFIER_PREFIX + token
    if user is None:
        verifications.decoy(ctx, identifier)
        log_event(ctx, "password_reset.requested", reason="UNKNOWN_EMAIL")
        return RequestResetResult()
    expires_in = auth.options.email_and_password.reset_password_token_expires_in
    if verifications.create(ctx, identifier, user.id, expires_in) is None:
        return RequestResetResult()  # a hook vetoed the row: nothing to send
    callback = encode_value(body.redirectTo) if body.redirectTo else ""
    url = f"{ctx.base_url}/reset-password/{token}?callbackURL={callback}"
    # The stored address, never the submitted one (Django's CVE-2019-19844;
    # docs/security.md#account-enumeration).
    call_email_callback(sender, "reset-password", user=user, url=url, token=token)
    log_event(ctx, "password_reset.requested", user_id=user.id)
    return RequestResetResult()


def reset_password_callback(ctx: Context) -> Any:
    """Redirect the emailed link to the app with ``?token=`` or ``?error=INVALID_TOKEN``.

    Never consumes the token (docs/security.md#emailed-tokens): only ``POST /reset-password`` does.
    """
    protect_token_response(ctx)
    auth = ctx.auth
    query: ResetCallbackQuery = ctx.query
    if ctx.request is not None and not auth.options.advanced.disable_origin_check:
        check_callback_url(query.callbackURL, auth.origins, ctx.request)
    token = ctx.params.get("token", "")
    callback = query.callbackURL
    if not token or not callback:
        base = callback or f"{ctx.base_url}/error"
        raise Redirect(resolve_with_query(ctx.base_url, base, {"error": "INVALID_TOKEN"}))
    row = verifications.find(auth, IDENTIFIER_PREFIX + token)
    if not verifications.is_live(auth, row):
        raise Redirect(resolve_with_query(ctx.base_url, callback, {"error": "INVALID_TOKEN"}))
    raise Redirect(resolve_with_query(ctx.base_url, callback, {"token": token}))


def reset_password(ctx: Context) -> StatusResult:
    """Set a new password with a reset token (single use, in one transaction)."""
    auth = ctx.auth
    body: ResetPasswordBody = ctx.body
    query: ResetPasswordQuery = ctx.query
    token = body.token or query.token
    if not token:
        raise APIError(400, "INVALID_TOKEN")
    check_password_length(ctx, body.newPassword)
    identifier = IDENTIFIER_PREFIX + token
    row = verifications.find(auth, identifier)
    if row is None or not verifications.is_live(auth, row):
        raise APIError(400, "INVALID_TOKEN")
    user = auth.db.get_user_by_id(row.value)
    if user is None:
        raise APIError(400, "USER_NOT_FOUND")
    # Hash before the transaction: the slow part must not hold the database lock.
    password_hash = auth.hasher.hash(body.newPassword)
    revoke = auth.options.email_and_password.revoke_sessions_on_password_reset
    with auth.db.transaction() as tx:
        taken = verifications.consume(ctx, identifier, tx)
        if taken is None or taken.value != user.id:
            raise APIError(400, "INVALID_TOKEN")  # lost the race, or expired meanwhile
        if revoke:
            tx.delete_user_sessions(ctx, user.id)
        account = tx.get_credential_account(user.id)
        now = auth.now()
        if account is None:
            written = tx.create_account(ctx, Account(
                id=generate_id(), account_id=user.id, provider_id="credential",
                user_id=user.id, password=password_hash, created_at=now, updated_at=now)
            ) is not None
        else:
            written = tx.update_account(ctx, account.id,
                                        {"password": password_hash, "updatedAt": now})
        if not written:
            # A database hook vetoed the write: roll back, so the token is not spent on
            # nothing (never "token gone, password unchanged", docs/security.md#outages).
            raise APIError(400, "FAILED_TO_UPDATE_USER")
    log_event(ctx, "password_reset.completed", user_id=user.id, sessions_revoked=revoke)
    hook = auth.options.email_and_password.on_password_reset
    if hook is not None:
        run_user_hook(hook, ctx, user)
    return StatusResult()


ENDPOINTS: list[Endpoint] = [
    endpoint("request_password_reset", "/request-password-reset", "POST",
             request_password_reset, body=RequestResetBody,
             summary="Send a password reset email",
             error_codes=("RESET_PASSWORD_DISABLED", "INVALID_REDIRECT_URL")),
    endpoint("reset_password_callback", "/reset-password/:token", "GET",
             reset_password_callback, query=ResetCallbackQuery,
             summary="Redirect a reset link to the app", error_codes=("INVALID_CALLBACK_URL",)),
    endpoint("reset_password", "/reset-password", "POST", reset_password,
             body=ResetPasswordBody, query=ResetPasswordQuery,
             summary="Reset the password with a token",
             error_codes=("INVALID_TOKEN", "PASSWORD_TOO_SHORT", "PASSWORD_TOO_LONG",
                          "USER_NOT_FOUND")),
]
