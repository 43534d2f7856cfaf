"""POST /send-verification-email and GET /verify-email
(docs/wire-compatibility.md#send-verification-email, docs/wire-compatibility.md#verify-email,
docs/wire-compatibility.md#change-email, docs/wire-compatibility.md#corrections)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..email_tokens import (
    CHANGE_EMAIL_CONFIRMATION,
    EmailClaims,
    EmailTokenError,
    create_email_token,
    decode_email_token,
    send_verification_email,
)
from ..errors import APIError, Redirect
from ..mail.dispatch import accepts
from ..models import SessionWithUser, User
from ..observability import log_event
from ..origins import check_callback_url
from ..storage import DuplicateError
from ..user_callbacks import call_user_callback
from ..validation import Body, Email
from .context import Context
from .redirects import append_query, protect_token_response
from .registry import Endpoint, endpoint

# Unauthenticated requests take at least this long (real time, Better Auth's 500 ms), so the
# slow path "user exists, mail goes out" looks like the fast path "nobody here"
# (docs/wire-compatibility.md#enumeration).
MINIMUM_UNAUTHENTICATED_SECONDS = 0.5


class SendVerificationBody(Body):
    """Body of ``/send-verification-email``."""

    email: Email
    callbackURL: str | None = None


class VerifyEmailQuery(Body):
    """Query of ``/verify-email``."""

    token: str
    callbackURL: str | None = None


@dataclass
class StatusResult:
    """``{"status": true}``."""

    status: bool = True

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"status": self.status}


@dataclass
class VerifyEmailResult:
    """``{"status": true, "user": null | User}``."""

    status: bool
    user: User | None

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"status": self.status, "user": self.user.to_json() if self.user else None}


def run_user_hook(hook: Callable[..., Any], ctx: Context, user: User) -> None:
    """Call a user hook with ``user=`` (and ``request=``, Better Auth's second argument, when
    the hook takes it); what it raises (an ``APIError`` to refuse) propagates."""
    kwargs: dict[str, Any] = {"user": user}
    if accepts(hook, "request"):
        kwargs["request"] = ctx.request
    call_user_callback(hook, **kwargs)


def optional_session(ctx: Context) -> SessionWithUser | None:
    """The caller's session when there is one (these routes work signed in or not)."""
    if ctx.session is None:
        ctx.session = ctx.auth.sessions.resolve(ctx)
    return ctx.session


# -- POST /send-verification-email ---------------------------------------------------------
def send_verification(ctx: Context) -> StatusResult:
    """Send a verification link to the caller, or (signed out) to an unverified address."""
    auth = ctx.auth
    if auth.options.email_verification.send_verification_email is None:
        raise APIError(400, "VERIFICATION_EMAIL_NOT_ENABLED")
    body: SendVerificationBody = ctx.body
    session = optional_session(ctx)
    if session is None:
        return _send_unauthenticated(ctx, body)
    if session.user.email.lower() != body.email.lower():
        raise APIError(400, "EMAIL_MISMATCH")
    if session.user.email_verified:
        raise APIError(400, "EMAIL_ALREADY_VERIFIED")
    send_verification_email(ctx, session.user, body.callbackURL)
    return StatusResult()


def _send_unauthenticated(ctx: Context, body: SendVerificationBody) -> StatusResult:
    # The same answer, the same work (one signed token) and at least the same time whether
    # the address is unknown, verified, or waiting for verification
    # (docs/security.md#account-enumeration's sibling). A
    # failing sender is logged, not re-thrown as Better Auth does: the error would only
    # appear for addresses that exist (docs/security.md#outages).
    started = time.monotonic()
    auth = ctx.auth
    user = auth.db.get_user_by_email(body.email.lower())
    if user is None or user.email_verified:
        create_email_token(auth, body.email, "")
    else:
        send_verification_email(ctx, user, body.callbackURL)
    remaining = MINIMUM_UNAUTHENTICATED_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return StatusResult()


# -- GET /verify-email ---------------------------------------------------------------------
class _Flow:
    """One verify-email call: its callback URL decides between redirects and JSON errors."""

    def __init__(self, ctx: Context, callback_url: str | None) -> None:
        self.ctx = ctx
        self.callback_url = callback_url or None

    def fail(self, code: str, status: int = 401) -> APIError:
        """``302 callbackURL?error=CODE`` with a callback, else ``{code, message}``."""
        if self.callback_url:
            return Redirect(append_query(self.callback_url, {"error": code}))
        return APIError(status, code)

    def done(self, result: Any) -> Any:
        """``302`` to the callback unchanged, else ``result``."""
        if self.callback_url:
            raise Redirect(self.callback_url)
        return result


def verify_email(ctx: Context) -> Any:
    """Check an emailed token and mark the address verified (or finish an email change)."""
    protect_token_response(ctx)
    auth = ctx.auth
    query: VerifyEmailQuery = ctx.query
    if ctx.request is not None and not auth.options.advanced.disable_origin_check:
        check_callback_url(query.callbackURL, auth.origins, ctx.request)
    flow = _Flow(ctx, query.callbackURL)
    try:
        claims = decode_email_token(auth, query.token)
    except EmailTokenError as exc:
        raise flow.fail(exc.code) from None
    if claims.update_to is not None:
        return _change_email(ctx, flow, claims)
    user = auth.db.get_user_by_email(claims.email)
    if user is None:
        raise flow.fail("USER_NOT_FOUND")
    if claims.user_id != user.id:
        # Issued for another account that held this address before
        # (docs/security.md#emailed-tokens).
        raise flow.fail("INVALID_TOKEN")
    if user.email_verified:
        return flow.done(VerifyEmailResult(True, None))
    ev = auth.options.email_verification
    if ev.before_email_verification is not None:
        run_user_hook(ev.before_email_verification, ctx, user)
    updated = auth.db.update_user(ctx, user.id, {"emailVerified": True,
                                                 "updatedAt": auth.now()})
    if updated is None:
        raise APIError(500, "FAILED_TO_UPDATE_USER")
    log_event(ctx, "email.verified", user_id=updated.id)
    if ev.after_email_verification is not None:
        run_user_hook(ev.after_email_verification, ctx, updated)
    if ev.auto_sign_in_after_verification:
        _sign_in_after_verification(ctx, updated)
    return flow.done(VerifyEmailResult(True, None))


def _sign_in_after_verification(ctx: Context, user: User) -> None:
    auth = ctx.auth
    current = optional_session(ctx)
    if current is None:
        session = auth.sessions.create(ctx, user, status=500)
        auth.sessions.set_cookies(ctx, session, user)
    elif current.user.id == user.id:
        _reissue(ctx, current, user)
    # Signed in as someone else: that session stays (authkit deviation,
    # docs/security.md#emailed-tokens). Swapping it
    # for the link owner's would let anyone sign a victim into the attacker's account by
    # getting them to click a verification link (login CSRF).


def _reissue(ctx: Context, current: SessionWithUser, user: User) -> None:
    """Set the current session's cookie again with the updated user (setSessionCookie)."""
    sessions = ctx.auth.sessions
    dont_remember = ctx.get_signed_cookie(sessions.cookies.dont_remember) is not None
    sessions.set_cookies(ctx, current.session, user, dont_remember=dont_remember)
    ctx.new_session = None  # not a new sign-in for after-hooks


def _change_email(ctx: Context, flow: _Flow, claims: EmailClaims) -> Any:
    """The second and third steps of POST /change-email
    (docs/wire-compatibility.md#change-email)."""
    auth = ctx.auth
    assert claims.update_to is not None
    bound = auth.db.get_user_by_id(claims.user_id)
    if bound is None:
        raise flow.fail("USER_NOT_FOUND")
    if bound.email.lower() != claims.email:
        # The address changed since the link was sent: the link is spent
        # (docs/security.md#emailed-tokens).
        raise flow.fail("INVALID_TOKEN")
    session = optional_session(ctx)
    if session is not None and session.user.id != bound.id:
        raise flow.fail("INVALID_USER")
    if claims.request_type == CHANGE_EMAIL_CONFIRMATION:
        # The old address confirmed: now prove the new one.
        token = create_email_token(auth, claims.email, bound.id, update_to=claims.update_to,
                                   request_type="change-email-verification")
        send_verification_email(ctx, dataclasses.replace(bound, email=claims.update_to),
                                flow.callback_url, token=token)
        return flow.done(StatusResult())
    email_verified = bound.email_verified  # Better Auth keeps the previous value (docs/wire-compatibility.md#quirks)
    try:
        updated = auth.db.update_user(ctx, bound.id, {
            "email": claims.update_to, "emailVerified": email_verified,
            "updatedAt": auth.now()})
    except DuplicateError:
        # Someone took the address after the link was sent.
        raise flow.fail("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", 422) from None
    if updated is None:
        raise APIError(500, "FAILED_TO_UPDATE_USER")
    log_event(ctx, "email.changed", user_id=updated.id)
    after = auth.options.email_verification.after_email_verification
    if email_verified and after is not None:
        run_user_hook(after, ctx, updated)
    if session is not None:
        _reissue(ctx, session, updated)
    return flow.done(VerifyEmailResult(True, updated))


ENDPOINTS: list[Endpoint] = [
    endpoint("send_verification_email", "/send-verification-email", "POST", send_verification,
             body=SendVerificationBody, summary="Send a verification email",
             error_codes=("VERIFICATION_EMAIL_NOT_ENABLED", "EMAIL_MISMATCH",
                          "EMAIL_ALREADY_VERIFIED", "INVALID_CALLBACK_URL")),
    endpoint("verify_email", "/verify-email", "GET", verify_email, query=VerifyEmailQuery,
             summary="Verify an email address",
             error_codes=("INVALID_TOKEN", "TOKEN_EXPIRED", "USER_NOT_FOUND", "INVALID_USER",
                          "INVALID_CALLBACK_URL")),
]
