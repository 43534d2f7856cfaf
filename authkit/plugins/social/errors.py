"""Error codes of the OAuth endpoints beyond the core table (Better Auth 1.7.25's wording)."""

from __future__ import annotations

from ...errors import BASE_ERROR_CODES, APIError

SOCIAL_ERROR_CODES: dict[str, str] = {
    "PROVIDER_NOT_FOUND": "Provider not found",
    "ID_TOKEN_NOT_SUPPORTED": "id_token not supported",
    "INVALID_TOKEN": "Invalid token",
    "FAILED_TO_GET_USER_INFO": "Failed to get user info",
    "USER_EMAIL_NOT_FOUND": "User email not found",
    "EMAIL_NOT_VERIFIED": "Email not verified",
    "OAUTH_LINK_ERROR": "Failed to link account",
    "SOCIAL_ACCOUNT_ALREADY_LINKED": "Social account already linked",
    "LINKING_NOT_ALLOWED": "Account not linked - linking not allowed",
    "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED": "Account not linked - different emails not allowed",
    "LINKING_FAILED": "Account not linked - unable to create account",
    "FAILED_TO_UNLINK_LAST_ACCOUNT": "You can't unlink your last account",
    "ACCOUNT_NOT_FOUND": "Account not found",
    "PROVIDER_NOT_SUPPORTED": "Provider is not supported.",
    "FAILED_TO_GET_ACCESS_TOKEN": "Failed to get a valid access token",
    "TOKEN_REFRESH_NOT_SUPPORTED": "Provider does not support token refreshing.",
    "REFRESH_TOKEN_NOT_FOUND": "Refresh token not found",
    "FAILED_TO_REFRESH_ACCESS_TOKEN": "Failed to refresh access token",
    "PROVIDER_NOT_CONFIGURED": "Account is not associated with a configured social provider.",
    "ACCESS_TOKEN_NOT_FOUND": "Access token not found",
    "SESSION_NOT_FRESH": "Session is not fresh",
    "INVALID_OAUTH_CONFIGURATION": "Invalid OAuth configuration",
    "TOKEN_URL_NOT_FOUND": "Invalid OAuth configuration. Token URL not found.",
}


def social_error(status: int, code: str, message: str | None = None) -> APIError:
    """An ``APIError`` with this table's message (or ``message``)."""
    return APIError(status, code, message or SOCIAL_ERROR_CODES.get(code)
                    or BASE_ERROR_CODES.get(code, ""))
