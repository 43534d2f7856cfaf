"""The value a sender delivers, and the one-method sender seam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Mail:
    """One rendered message: recipient, subject, plain text and optional HTML.

    ``kind`` names what it is for (``"verify-email"``, ``"reset-password"``,
    ``"change-email-confirmation"``, ``"delete-account"``); ``user_id`` is for log lines.
    """

    to: str
    subject: str
    text: str
    html: str | None = None
    kind: str = ""
    user_id: str | None = None

    def __repr__(self) -> str:
        # The body holds a live token link: keep it out of reprs and tracebacks
        # (docs/security.md#emailed-tokens).
        return f"Mail(to={self.to!r}, subject={self.subject!r}, kind={self.kind!r})"


@runtime_checkable
class Sender(Protocol):
    """Anything with ``send(mail)``; raising means "not delivered" (the caller logs it)."""

    def send(self, mail: Mail) -> None:
        """Deliver one message or raise."""
