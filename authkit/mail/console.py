"""A development sender that prints each message instead of sending it."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from .message import Mail


class ConsoleSender:
    """Writes messages to ``stream`` (default stderr).

    For development only: the printed text contains live links with their tokens.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, mail: Mail) -> None:
        """Print the headers and the plain-text body, framed so messages stay apart."""
        stream = self._stream or sys.stderr
        block = (f"----- mail ({mail.kind or 'message'}) -----\n"
                 f"To: {mail.to}\nSubject: {mail.subject}\n\n{mail.text.rstrip()}\n"
                 "----- end of mail -----\n")
        with self._lock:
            stream.write(block)
            stream.flush()

    def __repr__(self) -> str:
        return "ConsoleSender()"
