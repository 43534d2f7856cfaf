"""``MailQueue``: rendering and sending email on worker threads, for every email authkit sends.

The request only hands the job over: rendering and the SMTP conversation happen on a worker,
so a known address costs the request no more than an unknown one and a slow or dead mail
server changes neither the answer nor its timing (docs/security.md#account-enumeration). With
``background=False`` the request waits for the send, but never longer than ``wait`` seconds.
A failure is one log line that never carries the link, token or code (``secrets``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from .dispatch import one_line
from .message import Mail, Sender

log = logging.getLogger("authkit.mail")


class MailQueue:
    """Deliver rendered mail through ``sender`` on up to ``workers`` threads."""

    def __init__(self, sender: Sender, *, background: bool = True, wait: float | None = None,
                 workers: int = 2) -> None:
        self.sender = sender
        self.background = background
        self.wait = wait if wait is not None else float(getattr(sender, "timeout", 10.0))
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, render: Callable[[], Mail], *, kind: str, secrets: Iterable[str],
               user_id: str | None = None) -> None:
        """Render and send on a worker. ``kind`` and ``user_id`` name the email in log lines;
        ``secrets`` are masked out of a failure's message."""
        masked = tuple(s for s in secrets if s)
        label = f"{kind} email" + (f" for user {user_id}" if user_id is not None else "")
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers,
                                                thread_name_prefix="authkit-mail")
            future = self._pool.submit(self._send_logged, render, label, masked)
            self._pending.add(future)
        future.add_done_callback(self._forget)
        if self.background:
            return
        try:
            future.result(timeout=self.wait)
        except TimeoutError:
            log.warning("%s is still being sent after %.1f s; answering without waiting for "
                        "it", label, self.wait)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _send_logged(self, render: Callable[[], Mail], label: str,
                     secrets: tuple[str, ...]) -> None:
        try:
            self.sender.send(render())
        except Exception as exc:  # noqa: BLE001 - a failed send is logged, never raised
            log.warning("%s was not sent: %s", label,
                        one_line(f"{type(exc).__name__}: {exc}", *secrets))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for queued mail; ``True`` if nothing is left (tests, shutdown)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            try:
                future.result(timeout=timeout)
            except TimeoutError:
                return False
        return True

    def close(self) -> None:
        """Finish queued mail and stop the worker threads."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
