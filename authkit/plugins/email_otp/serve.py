"""``AUTHKIT_PLUGINS=email-otp`` for ``authkit serve``: the knobs of the reference deployment.

Each code goes to the outbox as ``{"type":"email-otp","email","url":null,"token":null,"otp",
"otpType"}`` and, with ``AUTHKIT_SMTP_URL``, by mail with the default templates.
"""

from __future__ import annotations

from typing import Literal, cast

from ...errors import ConfigError
from ..serve_registry import ServeContext, ServeResult
from . import email_otp
from .mail import email_otp_mail
from .store import StoreMode

KNOBS: dict[str, str] = {
    "AUTHKIT_EMAIL_OTP_LENGTH": "digits per email code (6)",
    "AUTHKIT_EMAIL_OTP_EXPIRES_IN": "email code lifetime in seconds (300)",
    "AUTHKIT_EMAIL_OTP_ALLOWED_ATTEMPTS": "wrong guesses allowed per email code (3)",
    "AUTHKIT_EMAIL_OTP_STORE": "plain|hashed|encrypted: how email codes are stored (plain)",
    "AUTHKIT_EMAIL_OTP_RESEND": "rotate|reuse: a new code per send, or the live one (rotate)",
    "AUTHKIT_EMAIL_OTP_DISABLE_SIGN_UP": "on: sign-in codes never create accounts (off)",
    "AUTHKIT_EMAIL_OTP_SEND_ON_SIGN_UP": "on: mail a verification code after sign-up (off)",
    "AUTHKIT_EMAIL_OTP_OVERRIDE_EMAIL_VERIFICATION":
        "on: verification emails carry a code instead of a link (off)",
    "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL": "on: change of address by code (off)",
    "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL_VERIFY_CURRENT":
        "on: a change of address first needs a code sent to the current one (off)",
    "AUTHKIT_EMAIL_OTP_RATE_WINDOW": "email-OTP rate-limit window in seconds (60)",
    "AUTHKIT_EMAIL_OTP_RATE_MAX": "requests per window, address and email-OTP path (3)",
}


def configure(ctx: ServeContext) -> ServeResult:
    """The email-OTP plugin, mailing through the outbox and/or SMTP."""
    store = ctx.text("EMAIL_OTP_STORE", "plain")
    if store not in ("plain", "hashed", "encrypted"):
        raise ConfigError(f"AUTHKIT_EMAIL_OTP_STORE={store!r}: use plain, hashed or encrypted")
    resend = ctx.text("EMAIL_OTP_RESEND", "rotate")
    if resend not in ("rotate", "reuse"):
        raise ConfigError(f"AUTHKIT_EMAIL_OTP_RESEND={resend!r}: use rotate or reuse")
    mailer = (email_otp_mail(ctx.mail_sender, app_name=ctx.app_name)
              if ctx.mail_sender is not None else None)

    def send(*, email: str, otp: str, type: str) -> None:
        ctx.outbox("email-otp", email=email, otp=otp, otpType=type)
        if mailer is not None:
            mailer(email=email, otp=otp, type=type)

    plugin = email_otp(
        send_verification_otp=send,
        otp_length=ctx.num("EMAIL_OTP_LENGTH", 6),
        expires_in=ctx.num("EMAIL_OTP_EXPIRES_IN", 300),
        allowed_attempts=ctx.num("EMAIL_OTP_ALLOWED_ATTEMPTS", 3),
        store_otp=cast(StoreMode, store),
        resend_strategy=cast(Literal["rotate", "reuse"], resend),
        disable_sign_up=ctx.flag("EMAIL_OTP_DISABLE_SIGN_UP", False),
        send_verification_on_sign_up=ctx.flag("EMAIL_OTP_SEND_ON_SIGN_UP", False),
        override_default_email_verification=ctx.flag(
            "EMAIL_OTP_OVERRIDE_EMAIL_VERIFICATION", False),
        change_email={"enabled": ctx.flag("EMAIL_OTP_CHANGE_EMAIL", False),
                      "verify_current_email": ctx.flag("EMAIL_OTP_CHANGE_EMAIL_VERIFY_CURRENT",
                                                       False)},
        rate_limit={"window": ctx.num("EMAIL_OTP_RATE_WINDOW", 60),
                    "max": ctx.num("EMAIL_OTP_RATE_MAX", 3)},
    )
    return ServeResult(plugins=[plugin])
