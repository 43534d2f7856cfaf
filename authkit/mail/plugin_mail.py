"""Templates and delivery for the plugins' emails (magic links, one-time codes).

The core's ``Templates`` covers the four account emails, each with a link. Plugin emails carry
other things (a code, its purpose), so each plugin declares its own placeholders and default
``MessageTemplate``; users replace it with another ``MessageTemplate`` or a function returning
a ``Mail``. ``MailQueue`` hands rendered messages to a sender on worker threads, like
``mail_callbacks``: the request never waits for the mail server (so answers and their timing
do not depend on it) and a failure is one log line that never carries the link or code.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from string import Template as _StringTemplate

from ..errors import ConfigError
from .dispatch import one_line
from .message import Mail, Sender

log = logging.getLogger("authkit.mail")

RenderFn = Callable[..., Mail]


def _placeholders(text: str) -> set[str]:
    found: set[str] = set()
    for m in _StringTemplate.pattern.finditer(text):
        name = m.group("named") or m.group("braced")
        if name:
            found.add(name)
    return found


@dataclass(frozen=True)
class MessageTemplate:
    """Subject, plain text and optional HTML with ``$name`` placeholders.

    The plugin taking it calls ``check`` with the names it fills in, so a typo raises at
    start-up, not while sending. Values are HTML-escaped in ``html`` only.
    """

    subject: str
    text: str
    html: str | None = None

    def check(self, allowed: Iterable[str]) -> MessageTemplate:
        """This template, after checking it only uses ``allowed`` placeholders."""
        known = frozenset(allowed)
        for label, value in (("subject", self.subject), ("text", self.text),
                             ("html", self.html)):
            unknown = _placeholders(value) - known if value is not None else set()
            if unknown:
                raise ConfigError(
                    f"template {label} uses unknown placeholder(s) "
                    f"{', '.join('$' + u for u in sorted(unknown))}; known: "
                    f"{', '.join('$' + p for p in sorted(known))}")
        return self

    def render(self, *, to: str, kind: str, values: Mapping[str, str]) -> Mail:
        """The ``Mail`` for ``to`` with ``values`` filled in."""
        escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
        return Mail(
            to=to,
            subject=" ".join(_StringTemplate(self.subject).safe_substitute(values).split()),
            text=_StringTemplate(self.text).safe_substitute(values),
            html=(_StringTemplate(self.html).safe_substitute(escaped)
                  if self.html is not None else None),
            kind=kind,
        )


def render_with(template: MessageTemplate | RenderFn, *, to: str, kind: str,
                values: Mapping[str, str]) -> Mail:
    """Render a ``MessageTemplate``, or call a render function with ``to`` and the values."""
    if isinstance(template, MessageTemplate):
        return template.render(to=to, kind=kind, values=values)
    return template(to=to, **values)


class MailQueue:
    """Deliver rendered mail on worker threads; ``background=False`` waits (``wait`` s)."""

    def __init__(self, sender: Sender, *, background: bool = True, wait: float | None = None,
                 workers: int = 2) -> None:
        self.sender = sender
        self.background = background
        self.wait = wait if wait is not None else float(getattr(sender, "timeout", 10.0))
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, render: Callable[[], Mail], *, kind: str, secrets: Iterable[str]) -> None:
        """Render and send on a worker; ``secrets`` are masked in a failure's log line."""
        masked = tuple(s for s in secrets if s)
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers,
                                                thread_name_prefix="authkit-mail")
            future = self._pool.submit(self._send_logged, render, kind, masked)
            self._pending.add(future)
        future.add_done_callback(self._forget)
        if not self.background:
            try:
                future.result(timeout=self.wait)
            except TimeoutError:
                log.warning("%s email is still being sent after %.1f s; answering without "
                            "waiting for it", kind, self.wait)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _send_logged(self, render: Callable[[], Mail], kind: str,
                     secrets: tuple[str, ...]) -> None:
        try:
            self.sender.send(render())
        except Exception as exc:  # noqa: BLE001 - a failed send is logged, never raised
            log.warning("%s email was not sent: %s", kind,
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
