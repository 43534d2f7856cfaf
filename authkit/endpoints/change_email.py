"""POST /change-email (docs/wire-compatibility.md#change-email): three flows, none of which reveals
whether the new
address already belongs to someone.

(a) an unverified user with ``update_email_without_verification`` → changed at once, then a
verification link goes to the new address; (b) a verified user with
``send_change_email_confirmation`` → a confirmation link to the old address, whose click
sends (c); (c) otherwise → a ``change-email-verification`` link to the new address, whose
click changes the email. The links are finished by GET /verify-email.
"""

from __future__ import annotations

import dataclasses

from ..email_tokens import (
    CHANGE_EMAIL_CONFIRMATION,
    CHANGE_EMAIL_VERIFICATION,
    create_email_token,
    send_verification_email,
    verification_url,
)
from ..errors import APIError
from ..mail.dispatch import call_email_callback
from ..observability import log_event
from ..storage import DuplicateError
from ..validation import Body, Email
from .context import Context
from .registry import Endpoint, endpoint
from .verification import StatusResult


class ChangeEmailBody(Body):
    """Body of ``/change-email``."""

    newEmail: Email
    callbackURL: str | None = None


def change_email(ctx: Context) -> StatusResult:
    """Start (or, for unverified users when allowed, do) an email change."""
    auth = ctx.auth
    session = ctx.require_session(sensitive=True)
    user_opts = auth.options.user
    if not user_opts.change_email_enabled:
        raise APIError(400, "CHANGE_EMAIL_DISABLED")
    body: ChangeEmailBody = ctx.body
    user = session.user
    new_email = body.newEmail.lower()
    # The address waits in an emailed link: refuse one user.email cannot take now, not
    # when the link is followed.
    auth.storage.check_values("user", {"email": new_email})
    if new_email == user.email:
        raise APIError(400, None, "Email is the same", body_kind="message")
    send_verification = auth.options.email_verification.send_verification_email
    update_now = not user.email_verified and user_opts.update_email_without_verification
    confirm = (send_verification is not None and user.email_verified
               and user_opts.send_change_email_confirmation is not None)
    # Decided before the lookup below, so "no flow available" cannot tell taken addresses
    # from free ones.
    if not update_now and not confirm and send_verification is None:
        raise APIError(400, None, "Verification email isn't enabled", body_kind="message")
    if auth.db.get_user_by_email(new_email) is not None:
        # Taken: answer as if it worked, after the same signing work
        # (docs/wire-compatibility.md#enumeration).
        create_email_token(auth, user.email, user.id, update_to=new_email)
        return StatusResult()
    if update_now:
        try:
            updated = auth.db.update_user(ctx, user.id, {"email": new_email,
                                                         "updatedAt": auth.now()})
        except DuplicateError:
            return StatusResult()  # taken by a concurrent sign-up: the same answer as above
        if updated is None:
            raise APIError(500, "FAILED_TO_UPDATE_USER")
        sessions = auth.sessions
        dont_remember = ctx.get_signed_cookie(sessions.cookies.dont_remember) is not None
        sessions.set_cookies(ctx, session.session, updated, dont_remember=dont_remember)
        ctx.new_session = None  # a re-issued cookie, not a sign-in
        log_event(ctx, "email.changed", user_id=user.id)
        send_verification_email(ctx, updated, body.callbackURL or "/")
        return StatusResult()
    if confirm:
        assert user_opts.send_change_email_confirmation is not None
        token = create_email_token(auth, user.email, user.id, update_to=new_email,
                                   request_type=CHANGE_EMAIL_CONFIRMATION)
        call_email_callback(user_opts.send_change_email_confirmation,
                            "change-email-confirmation", user=user,
                            url=verification_url(ctx, token, body.callbackURL),
                            token=token, new_email=new_email)
        return StatusResult()
    token = create_email_token(auth, user.email, user.id, update_to=new_email,
                               request_type=CHANGE_EMAIL_VERIFICATION)
    # Addressed to the new mailbox: clicking the link proves it is the user's.
    send_verification_email(ctx, dataclasses.replace(user, email=new_email), body.callbackURL,
                            token=token)
    return StatusResult()


ENDPOINTS: list[Endpoint] = [
    endpoint("change_email", "/change-email", "POST", change_email, body=ChangeEmailBody,
             summary="Change the email address",
             error_codes=("CHANGE_EMAIL_DISABLED", "UNAUTHORIZED", "INVALID_CALLBACK_URL")),
]
