"""POST /sign-in/email (docs/wire-compatibility.md#sign-in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..email_tokens import send_verification_email
from ..errors import APIError
from ..models import User, masked_repr
from ..observability import log_event
from ..passwords import password_length, verify_any
from ..validation import Body, is_valid_email
from .context import Context
from .registry import Endpoint, endpoint


class SignInBody(Body):
    """Body of ``/sign-in/email``; the email is checked by the handler (INVALID_EMAIL)."""

    email: str
    password: str
    callbackURL: str | None = None
    rememberMe: bool | None = None


@dataclass
class SignInResult:
    """``{redirect, token, url?, user}``."""

    redirect: bool
    token: str
    url: str | None
    user: User

    def __repr__(self) -> str:
        return masked_repr(self)  # the session token never prints

    def to_json(self) -> dict[str, Any]:
        """The wire shape; ``url`` is left out when there was no callback URL."""
        out: dict[str, Any] = {"redirect": self.redirect, "token": self.token}
        if self.url is not None:
            out["url"] = self.url
        out["user"] = self.user.to_json()
        return out


def sign_in_email(ctx: Context) -> SignInResult:
    """Check the password and start a session."""
    auth = ctx.auth
    opts = auth.options.email_and_password
    body: SignInBody = ctx.body
    if not opts.enabled:
        raise APIError(400, "EMAIL_PASSWORD_DISABLED")
    if not is_valid_email(body.email):
        raise APIError(400, "INVALID_EMAIL")
    if password_length(body.password) > opts.max_password_length:
        raise APIError(400, "PASSWORD_TOO_LONG")
    user = auth.db.get_user_by_email(body.email.lower())
    return password_sign_in(ctx, user, password=body.password, callback_url=body.callbackURL,
                            remember_me=body.rememberMe, failure_code="INVALID_EMAIL_OR_PASSWORD",
                            who={"email": body.email})


def password_sign_in(ctx: Context, user: User | None, *, password: str,
                     callback_url: str | None, remember_me: bool | None, failure_code: str,
                     who: dict[str, Any]) -> SignInResult:
    """Check ``password`` against ``user``'s credential and start a session.

    Shared by every password sign-in (email, username): an unknown user, a user without a
    password and a wrong password cost the same hashing work and get the same 401
    ``failure_code``, so neither time nor body tells them apart. ``who`` names the attempt in
    the failure log line.
    """
    auth = ctx.auth
    opts = auth.options.email_and_password
    account = auth.db.get_credential_account(user.id) if user is not None else None
    if user is None or account is None or not account.password:
        auth.hasher.dummy_verify(password)
        log_event(ctx, "sign_in.failure", **who, reason="UNKNOWN_USER_OR_NO_PASSWORD")
        raise APIError(401, failure_code)
    if not verify_any(password, account.password, auth.hasher):
        log_event(ctx, "sign_in.failure", user_id=user.id, reason="INVALID_PASSWORD")
        raise APIError(401, failure_code)
    if opts.require_email_verification and not user.email_verified:
        if auth.options.email_verification.send_on_sign_in:
            send_verification_email(ctx, user, callback_url or "/")
        log_event(ctx, "sign_in.failure", user_id=user.id, reason="EMAIL_NOT_VERIFIED")
        raise APIError(403, "EMAIL_NOT_VERIFIED")
    if auth.hasher.needs_rehash(account.password):
        # Only after a successful verify, so no failure path does extra work.
        auth.db.update_account(ctx, account.id, {"password": auth.hasher.hash(password),
                                                 "updatedAt": auth.now()})
    dont_remember = remember_me is False
    session = auth.sessions.create(ctx, user, dont_remember=dont_remember)
    auth.sessions.set_cookies(ctx, session, user, dont_remember=dont_remember)
    log_event(ctx, "sign_in.success", user_id=user.id, session_id=session.id)
    if callback_url:
        ctx.set_header("Location", callback_url)
    return SignInResult(bool(callback_url), session.token, callback_url, user)

ENDPOINTS: list[Endpoint] = [
    endpoint("sign_in_email", "/sign-in/email", "POST", sign_in_email, body=SignInBody,
             allow_form=True, form_csrf=True, summary="Sign in with email and password",
             error_codes=("EMAIL_PASSWORD_DISABLED", "INVALID_EMAIL", "PASSWORD_TOO_LONG",
                          "INVALID_EMAIL_OR_PASSWORD", "EMAIL_NOT_VERIFIED",
                          "FAILED_TO_CREATE_SESSION")),
]
