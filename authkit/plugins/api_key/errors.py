"""The api-key plugin's error table (Better Auth's API_KEY_ERROR_CODES) and its errors."""

from __future__ import annotations

from typing import Any

from ...errors import APIError

API_KEY_ERROR_CODES: dict[str, str] = {
    "INVALID_METADATA_TYPE": "metadata must be an object or undefined",
    "REFILL_AMOUNT_AND_INTERVAL_REQUIRED": "refillAmount is required when refillInterval is "
                                           "provided",
    "REFILL_INTERVAL_AND_AMOUNT_REQUIRED": "refillInterval is required when refillAmount is "
                                           "provided",
    "USER_BANNED": "User is banned",
    "UNAUTHORIZED_SESSION": "Unauthorized or invalid session",
    "KEY_NOT_FOUND": "API Key not found",
    "KEY_DISABLED": "API Key is disabled",
    "KEY_EXPIRED": "API Key has expired",
    "USAGE_EXCEEDED": "API Key has reached its usage limit",
    "EXPIRES_IN_IS_TOO_SMALL": "The expiresIn is smaller than the predefined minimum value.",
    "EXPIRES_IN_IS_TOO_LARGE": "The expiresIn is larger than the predefined maximum value.",
    "INVALID_PREFIX_LENGTH": "The prefix length is either too large or too small.",
    "INVALID_NAME_LENGTH": "The name length is either too large or too small.",
    "METADATA_DISABLED": "Metadata is disabled.",
    "RATE_LIMITED": "Rate limit exceeded.",
    "NO_VALUES_TO_UPDATE": "No values to update.",
    "KEY_DISABLED_EXPIRATION": "Custom key expiration values are disabled.",
    "INVALID_API_KEY": "Invalid API key.",
    "INVALID_REFERENCE_ID_FROM_API_KEY": "The reference id from the API key is invalid.",
    "SERVER_ONLY_PROPERTY": "The property you're trying to set can only be set from the server "
                            "auth instance only.",
    "NAME_REQUIRED": "API Key name is required.",
    "ORGANIZATION_PLUGIN_REQUIRED": "Organization plugin is required for organization-owned API "
                                    "keys. Please install and configure the organization plugin.",
    "USER_NOT_MEMBER_OF_ORGANIZATION": "You are not a member of the organization that owns this "
                                       "API key.",
}


def key_error(status: int, code: str) -> APIError:
    """An error of this table with its message."""
    return APIError(status, code, API_KEY_ERROR_CODES[code])


class RateLimited(APIError):
    """429 ``RATE_LIMITED`` with ``details.tryAgainIn`` in milliseconds."""

    def __init__(self, try_again_in: int) -> None:
        super().__init__(429, "RATE_LIMITED", API_KEY_ERROR_CODES["RATE_LIMITED"])
        self.try_again_in = try_again_in

    @property
    def body(self) -> dict[str, Any] | None:
        return {"message": self.message, "code": self.code,
                "details": {"tryAgainIn": self.try_again_in}}
