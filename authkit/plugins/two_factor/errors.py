"""The two-factor plugin's error codes (Better Auth's ``TWO_FACTOR_ERROR_CODES``)."""

from __future__ import annotations

from ...errors import APIError

TWO_FACTOR_ERROR_CODES: dict[str, str] = {
    "OTP_NOT_ENABLED": "OTP not enabled",
    "OTP_NOT_CONFIGURED": "OTP is not available",
    "OTP_HAS_EXPIRED": "OTP has expired",
    "TOTP_NOT_ENABLED": "TOTP not enabled",
    "TOTP_ALREADY_ENABLED": "TOTP is already enabled",
    "TOTP_NOT_CONFIGURED": "TOTP is not available",
    "TWO_FACTOR_NOT_ENABLED": "Two factor isn't enabled",
    "BACKUP_CODES_NOT_ENABLED": "Backup codes aren't enabled",
    "INVALID_BACKUP_CODE": "Invalid backup code",
    "INVALID_CODE": "Invalid code",
    "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE": "Too many attempts. Please request a new code.",
    "ACCOUNT_TEMPORARILY_LOCKED": ("Too many failed verification attempts. Your account is "
                                   "temporarily locked. Please try again later."),
    "INVALID_TWO_FACTOR_COOKIE": "Invalid two factor cookie",
}


def tf_error(status: int, code: str, message: str | None = None) -> APIError:
    """An ``APIError`` with the plugin's message for ``code``."""
    return APIError(status, code, message or TWO_FACTOR_ERROR_CODES[code])


def totp_not_configured() -> APIError:
    """What the TOTP endpoints answer when TOTP is switched off (their own wording)."""
    return APIError(400, "TOTP_NOT_CONFIGURED", "totp isn't configured")


def otp_not_configured() -> APIError:
    """What send-otp answers without a ``send_otp`` callback (its own wording)."""
    return APIError(400, "OTP_NOT_CONFIGURED", "otp isn't configured")
