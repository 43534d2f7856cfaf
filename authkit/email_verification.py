"""Renamed to ``authkit.email_tokens`` (a name that says what it holds); this path stays
importable."""

from __future__ import annotations

from .email_tokens import (
    CHANGE_EMAIL_CONFIRMATION,
    CHANGE_EMAIL_VERIFICATION,
    CLOCK_SKEW,
    MAX_TOKEN_LENGTH,
    REQUEST_TYPES,
    EmailClaims,
    EmailTokenError,
    create_email_token,
    decode_email_token,
    send_verification_email,
    verification_url,
)

__all__ = ["CHANGE_EMAIL_CONFIRMATION", "CHANGE_EMAIL_VERIFICATION", "CLOCK_SKEW", "MAX_TOKEN_LENGTH", "REQUEST_TYPES", "EmailClaims", "EmailTokenError", "create_email_token", "decode_email_token", "send_verification_email", "verification_url"]
