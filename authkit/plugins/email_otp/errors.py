"""The email-OTP plugin's error table and the errors it raises."""

from __future__ import annotations

from ...errors import APIError

# Code → message, as Better Auth 1.7.25's EMAIL_OTP error codes.
EMAIL_OTP_ERROR_CODES: dict[str, str] = {
    "OTP_EXPIRED": "OTP expired",
    "INVALID_OTP": "Invalid OTP",
    "TOO_MANY_ATTEMPTS": "Too many attempts",
}


def otp_error(code: str) -> APIError:
    """400 ``OTP_EXPIRED`` / ``INVALID_OTP``, 403 ``TOO_MANY_ATTEMPTS``."""
    status = 403 if code == "TOO_MANY_ATTEMPTS" else 400
    return APIError(status, code, EMAIL_OTP_ERROR_CODES[code])


def message_only(message: str, status: int = 400) -> APIError:
    """An error whose body is ``{"message"}`` only, as Better Auth answers for these."""
    return APIError(status, None, message, body_kind="message")
