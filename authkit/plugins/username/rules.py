"""Username validation and normalisation, shared by the routes and the database hooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ...errors import APIError
from ...passwords import password_length as js_length  # UTF-16 units, as JS .length

Normalizer = Callable[[str], str]
Validator = Callable[[str], bool]

_DEFAULT_CHARS = re.compile(r"^[a-zA-Z0-9_.]+$")


def default_validator(name: str) -> bool:
    """Better Auth's default: letters, digits, ``_`` and ``.`` only (ASCII)."""
    return bool(_DEFAULT_CHARS.match(name))



@dataclass(frozen=True)
class UsernameRules:
    """Length, characters and normalisation of usernames (Better Auth's defaults)."""

    min_length: int = 3
    max_length: int = 30
    validator: Validator = default_validator
    display_validator: Validator | None = None
    normalize: Normalizer | None = str.lower
    normalize_display: Normalizer | None = None
    # "pre-normalization" (Better Auth's default) checks what the user typed.
    validate_after_normalization: bool = False

    def normalized(self, name: str) -> str:
        return self.normalize(name) if self.normalize is not None else name

    def problem(self, name: str) -> str | None:
        """The error code for an invalid username, or ``None``."""
        checked = self.normalized(name) if self.validate_after_normalization else name
        length = js_length(checked)  # JavaScript's .length: UTF-16 units
        if length < self.min_length:
            return "USERNAME_TOO_SHORT"
        if length > self.max_length:
            return "USERNAME_TOO_LONG"
        if not self.validator(checked):
            return "INVALID_USERNAME"
        return None

    def check(self, name: str, *, status: int) -> None:
        """Raise the code of an invalid username with ``status`` (400 or 422 by route)."""
        code = self.problem(name)
        if code is not None:
            raise APIError(status, code, USERNAME_MESSAGES[code])

    def display(self, value: str) -> str:
        return self.normalize_display(value) if self.normalize_display is not None else value


USERNAME_MESSAGES: dict[str, str] = {
    "INVALID_USERNAME_OR_PASSWORD": "Invalid username or password",
    "EMAIL_NOT_VERIFIED": "Email not verified",
    "UNEXPECTED_ERROR": "Unexpected error",
    "USERNAME_IS_ALREADY_TAKEN": "Username is already taken. Please try another.",
    "USERNAME_TOO_SHORT": "Username is too short",
    "USERNAME_TOO_LONG": "Username is too long",
    "INVALID_USERNAME": "Username is invalid",
    "INVALID_DISPLAY_USERNAME": "Display username is invalid",
    "USERNAME_IS_IMMUTABLE": "Username cannot be updated",
}
