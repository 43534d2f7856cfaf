"""The passkey plugin's error codes (``PASSKEY_ERROR_CODES`` of @better-auth/passkey)."""

from __future__ import annotations

from ...errors import APIError

PASSKEY_ERROR_CODES: dict[str, str] = {
    "CHALLENGE_NOT_FOUND": "Challenge not found",
    "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY": "You are not allowed to register this passkey",
    "FAILED_TO_VERIFY_REGISTRATION": "Failed to verify registration",
    "PASSKEY_NOT_FOUND": "Passkey not found",
    "AUTHENTICATION_FAILED": "Authentication failed",
    "UNABLE_TO_CREATE_SESSION": "Unable to create session",
    "USER_NOT_FOUND": "User not found",
    "FAILED_TO_UPDATE_PASSKEY": "Failed to update passkey",
}


def pk_error(status: int, code: str) -> APIError:
    """An ``APIError`` with the plugin's message for ``code``."""
    return APIError(status, code, PASSKEY_ERROR_CODES[code])
