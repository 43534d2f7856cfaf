"""POST /sign-in/email (spec §2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..email_verification import send_verification_email
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
    account = auth.db.get_credential_account(user.id) if user is not None else None
    if user is None or account is None or not account.password:
        # Unknown user, no credential or no password: the same work and answer as a wrong
        # password, so neither time nor body tells which (SEC-01).
        auth.hasher.dummy_verify(body.password)
        log_event(ctx, "sign_in.failure", email=body.email, reason="UNKNOWN_USER_OR_NO_PASSWORD")
        raise APIError(401, "INVALID_EMAIL_OR_PASSWORD")
    if not verify_any(body.password, account.password, auth.hasher):
        log_event(ctx, "sign_in.failure", user_id=user.id, reason="INVALID_PASSWORD")
        raise APIError(401, "INVALID_EMAIL_OR_PASSWORD")
    if opts.require_email_verification and not user.email_verified:
        if auth.options.email_verification.send_on_sign_in:
            send_verification_email(ctx, user, body.callbackURL or "/")
        log_event(ctx, "sign_in.failure", user_id=user.id, reason="EMAIL_NOT_VERIFIED")
        raise APIError(403, "EMAIL_NOT_VERIFIED")
    if auth.hasher.needs_rehash(account.password):
        # Only after a successful verify, so no failure path does extra work (SEC-02).
        auth.db.update_account(ctx, account.id, {"password": auth.hasher.hash(body.password),
                                                 "updatedAt": auth.now()})
    dont_remember = body.rememberMe is False
    session = auth.sessions.create(ctx, user, dont_remember=dont_remember)
    auth.sessions.set_cookies(ctx, session, user, dont_remember=dont_remember)
    log_event(ctx, "sign_in.success", user_id=user.id, session_id=session.id)
    if body.callbackURL:
        ctx.set_header("Location", body.callbackURL)
    return SignInResult(bool(body.callbackURL), session.token, body.callbackURL, user)


ENDPOINTS: list[Endpoint] = [
    endpoint("sign_in_email", "/sign-in/email", "POST", sign_in_email, body=SignInBody,
             allow_form=True, form_csrf=True, summary="Sign in with email and password",
             error_codes=("EMAIL_PASSWORD_DISABLED", "INVALID_EMAIL", "PASSWORD_TOO_LONG",
                          "INVALID_EMAIL_OR_PASSWORD", "EMAIL_NOT_VERIFIED",
                          "FAILED_TO_CREATE_SESSION")),
]
