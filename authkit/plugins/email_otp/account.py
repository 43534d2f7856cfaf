"""Password reset and change of address with a code.

A reset checks the code first without using it (a wrong code counts an attempt), hashes the
new password outside the transaction, then consumes the code in the same transaction as the
password write: of two concurrent resets with one code one wins, and a failure after the
consumption puts the code back. A user without a password (signed up by link or code) gains
one. A change of address sends the code to the new address, so only its owner can finish it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...endpoints.context import Context
from ...endpoints.sign_up import check_password_length
from ...endpoints.verification import run_user_hook
from ...errors import APIError
from ...models import Account
from ...observability import log_event
from ...storage import DuplicateError
from ...tokens import generate_id
from ...validation import Body
from .errors import message_only, otp_error
from .routes import SuccessResult, checked_email, identifier

if TYPE_CHECKING:
    from . import EmailOTPPlugin


class EmailBody(Body):
    """Body of ``/email-otp/request-password-reset`` and ``/forget-password/email-otp``."""

    email: str


class ResetBody(Body):
    """Body of ``/email-otp/reset-password``."""

    email: str
    otp: str
    password: str


class RequestChangeBody(Body):
    """Body of ``/email-otp/request-email-change``."""

    newEmail: str
    otp: str | None = None


class ChangeBody(Body):
    """Body of ``/email-otp/change-email``."""

    newEmail: str
    otp: str


def change_identifier(user_id: str, new_email: str) -> str:
    """``change-email-otp-<userId>:<newEmail>``: a code bound to one user and one address."""
    return f"change-email-otp-{user_id}:{new_email}"


class AccountRoutes:
    """Reset and change-of-address endpoints, bound to one plugin."""

    def __init__(self, plugin: EmailOTPPlugin) -> None:
        self.plugin = plugin

    # -- password reset ----------------------------------------------------------------------
    def request_password_reset(self, ctx: Context) -> SuccessResult:
        """Mail a forget-password code to a known address; the same answer for any."""
        body: EmailBody = ctx.body
        email = checked_email(body.email)
        self.plugin.routes.issue_and_send(ctx, "forget-password", email)
        return SuccessResult()

    def reset_password(self, ctx: Context) -> SuccessResult:
        """Set a new password with a forget-password code."""
        auth = ctx.auth
        body: ResetBody = ctx.body
        email = checked_email(body.email)
        check_password_length(ctx, body.password)
        ident = identifier("forget-password", email)
        store = self.plugin.store
        store.verify(ctx, ident, body.otp, restore=True)
        user = auth.db.get_user_by_email(email)
        if user is None:
            raise APIError(400, "USER_NOT_FOUND")
        # Hash before the transaction: the slow part must not hold the database lock.
        password_hash = auth.hasher.hash(body.password)
        revoke = auth.options.email_and_password.revoke_sessions_on_password_reset
        with auth.db.transaction() as tx:
            # Consumed together with the write: a concurrent reset with the same code, or a
            # newer code sent meanwhile, makes this one fail instead of both succeeding.
            try:
                store.verify(ctx, ident, body.otp, db=tx)
            except APIError:
                raise otp_error("INVALID_OTP") from None
            if revoke:
                tx.delete_user_sessions(ctx, user.id)
            account = tx.get_credential_account(user.id)
            now = auth.now()
            if account is None:
                written = tx.create_account(ctx, Account(
                    id=generate_id(), account_id=user.id, provider_id="credential",
                    user_id=user.id, password=password_hash, created_at=now,
                    updated_at=now)) is not None
            else:
                written = tx.update_account(ctx, account.id,
                                            {"password": password_hash, "updatedAt": now})
            if not written:
                raise APIError(400, "FAILED_TO_UPDATE_USER")  # rolled back: the code stays
        log_event(ctx, "password_reset.completed", user_id=user.id, sessions_revoked=revoke,
                  method="email-otp")
        hook = auth.options.email_and_password.on_password_reset
        if hook is not None:
            run_user_hook(hook, ctx, user)
        if not user.email_verified:
            # Receiving the code proved the mailbox.
            auth.db.update_user(ctx, user.id, {"emailVerified": True, "updatedAt": auth.now()})
        return SuccessResult()

    # -- change of address -------------------------------------------------------------------
    def _enabled(self) -> None:
        if not self.plugin.options.change_email_enabled:
            raise message_only("Change email with OTP is disabled")

    def request_email_change(self, ctx: Context) -> SuccessResult:
        """Mail a change-email code to the new address (signed in, from the store)."""
        self._enabled()
        auth = ctx.auth
        current = ctx.require_session(sensitive=True)
        body: RequestChangeBody = ctx.body
        new_email = checked_email(body.newEmail)
        if new_email == current.user.email.lower():
            raise message_only("Email is the same")
        store = self.plugin.store
        if self.plugin.options.change_email_verify_current:
            if not body.otp:
                raise message_only("OTP is required to verify current email")
            store.verify(ctx, identifier("email-verification", current.user.email.lower()),
                         body.otp)
        ident = change_identifier(current.user.id, new_email)
        code = self.plugin.new_or_reused_code(ctx, ident, new_email, "change-email")
        if auth.db.get_user_by_email(new_email) is not None:
            # Taken: the same answer, no mail (the caller learns nothing about the address).
            store.discard(ctx, ident)
            return SuccessResult()
        self.plugin.send(ctx, email=new_email, otp=code, otp_type="change-email")
        log_event(ctx, "email_otp.sent", user_id=current.user.id, otp_type="change-email")
        return SuccessResult()

    def change_email(self, ctx: Context) -> SuccessResult:
        """Switch the address with the code mailed to it; the new address is verified."""
        self._enabled()
        auth = ctx.auth
        current = ctx.require_session(sensitive=True)
        body: ChangeBody = ctx.body
        new_email = checked_email(body.newEmail)
        self.plugin.store.verify(ctx, change_identifier(current.user.id, new_email), body.otp)
        user = auth.db.get_user_by_id(current.user.id)
        if user is None:
            raise APIError(400, "USER_NOT_FOUND")
        if auth.db.get_user_by_email(new_email) is not None:
            raise message_only("Email already in use")
        try:
            updated = auth.db.update_user(ctx, user.id, {
                "email": new_email, "emailVerified": True, "updatedAt": auth.now()})
        except DuplicateError:
            raise message_only("Email already in use") from None
        if updated is None:
            raise APIError(500, "FAILED_TO_UPDATE_USER")
        log_event(ctx, "email.changed", user_id=updated.id, method="email-otp")
        auth.sessions.reissue_cookies(ctx, current.session, updated)
        ctx.new_session = None
        return SuccessResult()
