"""A recording email callback for endpoint tests: what would have been mailed, to whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Sent:
    """One captured call."""

    kind: str
    email: str
    url: str
    token: str
    user: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def path_and_query(self) -> str:
        """The link below the origin, to follow it with a test client."""
        parts = urlsplit(self.url)
        return parts.path + ("?" + parts.query if parts.query else "")


class Mailbox:
    """Hands out callbacks that record into one list."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def callback(self, kind: str) -> Any:
        def record(*, user: Any, url: str, token: str, **extra: Any) -> None:
            self.sent.append(Sent(kind, user.email, url, token, user, extra))

        record.__name__ = f"send_{kind}"
        return record

    def of(self, kind: str, email: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.kind == kind and (email is None or s.email == email)]

    def last(self, kind: str, email: str | None = None) -> Sent:
        found = self.of(kind, email)
        assert found, f"no {kind} mail{' to ' + email if email else ''}: {self.sent}"
        return found[-1]

    def options(self) -> dict[str, Any]:
        """``make_auth`` keyword arguments wiring every callback to this mailbox."""
        return {
            "email_verification": {"send_verification_email": self.callback("verify-email")},
            "email_and_password": {"send_reset_password": self.callback("reset-password")},
        }
