"""``AUTHKIT_PLUGINS=two-factor`` for ``authkit serve``: the reference deployment's knobs,
read as ``AUTHKIT_<KNOB>``; the emailed code goes to the outbox (``two-factor-otp`` lines) and,
with ``AUTHKIT_SMTP_URL``, through SMTP."""

from __future__ import annotations

from typing import Any

from ...errors import ConfigError
from ..serve_registry import ServeContext, ServeResult
from . import otp_mailer, two_factor

KNOBS: dict[str, str] = {
    "AUTHKIT_TWO_FACTOR_ISSUER": "issuer in the otpauth:// URI (default: AUTHKIT_APP_NAME)",
    "AUTHKIT_TWO_FACTOR_OTP": "on|off: codes by email as a second factor (default on)",
    "AUTHKIT_TWO_FACTOR_OTP_STORE": "plain|hashed|encrypted: how an emailed code is kept",
    "AUTHKIT_TWO_FACTOR_OTP_PERIOD": "emailed code lifetime in minutes (default 3)",
    "AUTHKIT_TWO_FACTOR_OTP_DIGITS": "emailed code length (default 6)",
    "AUTHKIT_TWO_FACTOR_OTP_ATTEMPTS": "wrong emailed codes allowed per code (default 5)",
    "AUTHKIT_TWO_FACTOR_TOTP_DIGITS": "TOTP code length, 6 or 8 (default 6)",
    "AUTHKIT_TWO_FACTOR_TOTP_PERIOD": "TOTP period in seconds (default 30)",
    "AUTHKIT_TWO_FACTOR_TOTP_DISABLE": "on|off: turn TOTP off (default off)",
    "AUTHKIT_TWO_FACTOR_BACKUP_STORE": "encrypted|plain: how backup codes are stored",
    "AUTHKIT_TWO_FACTOR_BACKUP_AMOUNT": "number of backup codes (default 10)",
    "AUTHKIT_TWO_FACTOR_BACKUP_LENGTH": "characters per backup code (default 10)",
    "AUTHKIT_TWO_FACTOR_SKIP_VERIFICATION": "on|off: enable without a first code",
    "AUTHKIT_TWO_FACTOR_ALLOW_PASSWORDLESS": "on|off: password-less users manage 2FA freely",
    "AUTHKIT_TWO_FACTOR_COOKIE_MAX_AGE": "seconds a sign-in waits on its second factor (600)",
    "AUTHKIT_TWO_FACTOR_TRUST_DEVICE_MAX_AGE": "seconds a trusted browser skips 2FA (30 days)",
    "AUTHKIT_TWO_FACTOR_LOCKOUT": "on|off: account lockout after repeated failures (on)",
    "AUTHKIT_TWO_FACTOR_LOCKOUT_MAX": "failures before the lockout (default 10)",
    "AUTHKIT_TWO_FACTOR_LOCKOUT_SECONDS": "lockout duration in seconds (default 900)",
}


def _choice(ctx: ServeContext, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = ctx.text(name, default) or default
    if value not in allowed:
        raise ConfigError(f"AUTHKIT_{name}={value!r}: use one of {', '.join(allowed)}")
    return value


def configure(ctx: ServeContext) -> ServeResult:
    """Build ``two_factor()`` from the environment."""
    otp_options: dict[str, Any] | None = None
    if ctx.flag("TWO_FACTOR_OTP", True):
        mailer = (otp_mailer(ctx.mail_sender, app_name=ctx.app_name)
                  if ctx.mail_sender is not None else None)

        def send_otp(*, user: Any, otp: str, **_: Any) -> None:
            # Synchronously, so the line is in the outbox when the response arrives.
            ctx.outbox("two-factor-otp", email=user.email, otp=otp, userId=user.id)
            if mailer is not None:
                mailer(user=user, otp=otp)

        otp_options = {
            "send_otp": send_otp,
            "period": ctx.num("TWO_FACTOR_OTP_PERIOD", 3),
            "digits": ctx.num("TWO_FACTOR_OTP_DIGITS", 6),
            "allowed_attempts": ctx.num("TWO_FACTOR_OTP_ATTEMPTS", 5),
            "store_otp": _choice(ctx, "TWO_FACTOR_OTP_STORE", "plain",
                                 ("plain", "hashed", "encrypted")),
        }
    plugin = two_factor(
        issuer=ctx.text("TWO_FACTOR_ISSUER"),
        skip_verification_on_enable=ctx.flag("TWO_FACTOR_SKIP_VERIFICATION", False),
        allow_passwordless=ctx.flag("TWO_FACTOR_ALLOW_PASSWORDLESS", False),
        two_factor_cookie_max_age=ctx.num("TWO_FACTOR_COOKIE_MAX_AGE", 600),
        trust_device_max_age=ctx.num("TWO_FACTOR_TRUST_DEVICE_MAX_AGE", 2592000),
        account_lockout={"enabled": ctx.flag("TWO_FACTOR_LOCKOUT", True),
                         "max_failed_attempts": ctx.num("TWO_FACTOR_LOCKOUT_MAX", 10),
                         "duration_seconds": ctx.num("TWO_FACTOR_LOCKOUT_SECONDS", 900)},
        totp_options={"digits": ctx.num("TWO_FACTOR_TOTP_DIGITS", 6),
                      "period": ctx.num("TWO_FACTOR_TOTP_PERIOD", 30),
                      "disable": ctx.flag("TWO_FACTOR_TOTP_DISABLE", False)},
        otp_options=otp_options,
        backup_code_options={
            "store_backup_codes": _choice(ctx, "TWO_FACTOR_BACKUP_STORE", "encrypted",
                                          ("encrypted", "plain")),
            "amount": ctx.num("TWO_FACTOR_BACKUP_AMOUNT", 10),
            "length": ctx.num("TWO_FACTOR_BACKUP_LENGTH", 10)},
    )
    return ServeResult(plugins=[plugin])
