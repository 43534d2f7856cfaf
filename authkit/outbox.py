"""A JSON-lines outbox: one line ``{"type","email","url","token"}`` per email.

For development and tests (the reference scenario reads the same format): nothing is sent,
each message is appended to a file under a lock so concurrent requests never interleave lines.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

_lock = threading.Lock()


def write_outbox_line(path: str | os.PathLike[str], message: dict[str, Any]) -> None:
    """Append one JSON line; plugins add their own fields after the four common ones."""
    line = json.dumps(message, ensure_ascii=False)
    with _lock, open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()


class OutboxSender:
    """A sender callable for one message type (``verify-email``, ``reset-password``, ...)."""

    def __init__(self, path: str | os.PathLike[str], message_type: str) -> None:
        self.path = os.fspath(path)
        self.message_type = message_type

    def __call__(self, *, user: Any, url: str, token: str, **_: Any) -> None:
        write_outbox_line(self.path, {"type": self.message_type, "email": user.email,
                                      "url": url, "token": token})

    def __repr__(self) -> str:
        return f"OutboxSender({self.path!r}, {self.message_type!r})"
