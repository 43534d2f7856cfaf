"""Sending codes, checking them, signing in and verifying an address with one.

Every address is lower-cased first. Sending never tells whether an address has an account:
the answer is ``{"success": true}`` either way, and for an address that may not receive a code
the stored row is removed again and nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ... import verifications
from ...endpoints.context import Context
from ...endpoints.fields import parse_input_fields
from ...endpoints.verification import optional_session, run_user_hook
from ...errors import APIError
from ...models import User
from ...observability import log_event
from ...tokens import generate_id
from ...unproven_access import revoke_unproven_access
from ...validation import Body, is_valid_email
from .errors import message_only, otp_error
from .store import split_value

if TYPE_CHECKING:
    from . import EmailOTPPlugin

OTPType = Literal["email-verification", "sign-in", "forget-password", "change-email"]


class SendBody(Body):
    """Body of ``/email-otp/send-verification-otp``."""

    email: str
    type: OTPType


class CheckBody(Body):
    """Body of ``/email-otp/check-verification-otp``."""

    email: str
    type: OTPType
    otp: str


class VerifyEmailBody(Body):
    """Body of ``/email-otp/verify-email``."""

    email: str
    otp: str


# Bounds the reference does not have: MySQL/MariaDB keep names in a varchar(255) and image
# URLs in a 64 KB text, so longer values would fail as a 500 when the user is created.
MAX_NAME = 255
MAX_IMAGE = 4096
MAX_EMAIL = 254


class SignInBody(Body):
    """Body of ``/sign-in/email-otp``; other keys are the user's additional fields."""

    email: str
    otp: str
    name: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    image: Annotated[str, Field(max_length=MAX_IMAGE)] | None = None


class EmailQuery(Body):
    """Query of the server-only ``get_verification_otp``."""

    email: str
    type: OTPType


@dataclass
class SuccessResult:
    """``{"success": true}``."""

    success: bool = True

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"success": self.success}


@dataclass
class TokenUserResult:
    """``{token, user}`` of the code sign-in."""

    token: str
    user: User

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"token": self.token, "user": self.user.to_json()}


@dataclass
class VerifyEmailResult:
    """``{status, token, user}``; ``token`` is set when verifying signed the user in."""

    token: str | None
    user: User
    status: bool = True

    def to_json(self) -> dict[str, Any]:
        """The wire shape, in Better Auth's key order."""
        return {"status": self.status, "token": self.token, "user": self.user.to_json()}


def checked_email(value: str) -> str:
    """The lower-cased address, or 400 ``INVALID_EMAIL`` (also beyond 254 characters, the
    longest address SMTP delivers to and what a varchar(255) email column holds)."""
    email = value.lower()
    if len(email) > MAX_EMAIL or not is_valid_email(email):
        raise APIError(400, "INVALID_EMAIL", "Invalid email")
    return email


def identifier(otp_type: str, email: str) -> str:
    """``<type>-otp-<email>``, the row of one address's code for one purpose."""
    return f"{otp_type}-otp-{email}"


class Routes:
    """The code endpoints, bound to one plugin."""

    def __init__(self, plugin: EmailOTPPlugin) -> None:
        self.plugin = plugin

    # -- sending ---------------------------------------------------------------------------
    def issue_and_send(self, ctx: Context, otp_type: str, email: str,
                       *, may_create: bool = False) -> None:
        """Store a code for ``email`` and mail it when the address may receive one.

        The row is written before the user lookup, so both outcomes do the same writes; an
        address without an account (unless ``may_create``) gets its row removed and no mail.
        """
        plugin = self.plugin
        ident = identifier(otp_type, email)
        code = plugin.new_or_reused_code(ctx, ident, email, otp_type)
        user = ctx.auth.db.get_user_by_email(email)
        if user is None and not may_create:
            plugin.store.discard(ctx, ident)
            log_event(ctx, "email_otp.not_sent", reason="UNKNOWN_EMAIL", otp_type=otp_type)
            return
        plugin.send(ctx, email=user.email if user is not None else email, otp=code,
                    otp_type=otp_type)
        log_event(ctx, "email_otp.sent", user_id=user.id if user else None, otp_type=otp_type)

    def send_verification_otp(self, ctx: Context) -> SuccessResult:
        """POST /email-otp/send-verification-otp."""
        body: SendBody = ctx.body
        if body.type == "change-email":
            raise message_only("Invalid OTP type")
        email = checked_email(body.email)
        may_create = body.type == "sign-in" and not self.plugin.options.disable_sign_up
        self.issue_and_send(ctx, body.type, email, may_create=may_create)
        return SuccessResult()

    def create_verification_otp(self, ctx: Context) -> str:
        """Server-only: store a code and return it (nothing is mailed)."""
        body: SendBody = ctx.body
        email = checked_email(body.email)
        ident = identifier(body.type, email)
        return self.plugin.new_or_reused_code(ctx, ident, email, body.type)

    def get_verification_otp(self, ctx: Context) -> dict[str, Any]:
        """Server-only: ``{"otp": <the live code> | null}`` (null when stored hashed)."""
        query: EmailQuery = ctx.query
        email = checked_email(query.email)
        row = verifications.find(ctx.auth, identifier(query.type, email))
        if row is None or not verifications.is_live(ctx.auth, row):
            return {"otp": None}
        return {"otp": self.plugin.store.recover(split_value(row.value)[0])}

    # -- checking ----------------------------------------------------------------------------
    def check_verification_otp(self, ctx: Context) -> SuccessResult:
        """POST /email-otp/check-verification-otp: a right code stays usable."""
        body: CheckBody = ctx.body
        email = checked_email(body.email)
        self.plugin.store.verify(ctx, identifier(body.type, email), body.otp, restore=True)
        if ctx.auth.db.get_user_by_email(email) is None:
            raise APIError(400, "USER_NOT_FOUND")
        return SuccessResult()

    # -- POST /sign-in/email-otp -------------------------------------------------------------
    def sign_in(self, ctx: Context) -> TokenUserResult:
        """Sign in (or up) with a sign-in code."""
        auth = ctx.auth
        body: SignInBody = ctx.body
        if len(body.email) > MAX_EMAIL:
            raise APIError(400, "INVALID_EMAIL", "Invalid email")  # before the database
        email = body.email.lower()
        if not is_valid_email(email):
            # Better Auth does not validate the address here: it looks for its code, and no
            # code is ever sent to an address send-verification-otp refuses.
            raise otp_error("INVALID_OTP")
        self.plugin.store.verify(ctx, identifier("sign-in", email), body.otp)
        user = auth.db.get_user_by_email(email)
        if user is None:
            if self.plugin.options.disable_sign_up:
                raise otp_error("INVALID_OTP")
            user = self._create_user(ctx, email, body)
        else:
            user = revoke_unproven_access(ctx, user)
        session = auth.sessions.create(ctx, user)
        auth.sessions.set_cookies(ctx, session, user)
        log_event(ctx, "sign_in.success", user_id=user.id, session_id=session.id,
                  method="email-otp")
        return TokenUserResult(session.token, user)

    def _create_user(self, ctx: Context, email: str, body: SignInBody) -> User:
        auth = ctx.auth
        extra = parse_input_fields(auth.user_fields, body.model_extra or {}, action="create")
        now = auth.now()
        user = auth.db.create_user(ctx, {
            **extra, "id": generate_id(), "name": body.name or "", "email": email,
            "emailVerified": True, "image": body.image, "createdAt": now, "updatedAt": now})
        if user is None:
            raise APIError(400, "FAILED_TO_CREATE_USER")
        log_event(ctx, "sign_up", user_id=user.id, method="email-otp")
        return user

    # -- POST /email-otp/verify-email --------------------------------------------------------
    def verify_email(self, ctx: Context) -> VerifyEmailResult:
        """Mark the address verified with an email-verification code."""
        auth = ctx.auth
        body: VerifyEmailBody = ctx.body
        email = checked_email(body.email)
        self.plugin.store.verify(ctx, identifier("email-verification", email), body.otp)
        user = auth.db.get_user_by_email(email)
        if user is None:
            raise APIError(400, "USER_NOT_FOUND")
        ev = auth.options.email_verification
        if ev.before_email_verification is not None:
            run_user_hook(ev.before_email_verification, ctx, user)
        updated = auth.db.update_user(ctx, user.id, {"email": email, "emailVerified": True,
                                                     "updatedAt": auth.now()})
        if updated is None:
            raise APIError(500, "FAILED_TO_UPDATE_USER")
        log_event(ctx, "email.verified", user_id=updated.id, method="email-otp")
        if ev.after_email_verification is not None:
            run_user_hook(ev.after_email_verification, ctx, updated)
        if ev.auto_sign_in_after_verification:
            session = auth.sessions.create(ctx, updated, status=500)
            auth.sessions.set_cookies(ctx, session, updated)
            return VerifyEmailResult(session.token, updated)
        current = optional_session(ctx)
        if current is not None and current.user.id == updated.id:
            # Better Auth refreshes only the cookie cache (setCookieCache): nothing is sent
            # when the cache is off, and the session cookie itself is not re-issued.
            sessions = auth.sessions
            dont_remember = ctx.get_signed_cookie(sessions.cookies.dont_remember) is not None
            sessions.cookie_cache.write(ctx, current.session, updated,
                                        dont_remember=dont_remember)
        return VerifyEmailResult(None, updated)
