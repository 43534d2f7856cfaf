"""Turning a sender and templates into the email callbacks ``AuthKit`` takes.

    mail = mail_callbacks(SMTPSender.from_url(url, from_address="auth@example.com"))
    AuthKit(email_and_password={"send_reset_password": mail.send_reset_password}, ...)

Delivery runs on a small pool of worker threads. By default (``background=True``) the request
does not wait for it at all, so a slow or dead mail server changes neither the answer nor its
timing (docs/security.md#account-enumeration, docs/security.md#outages). With ``background=False``
the request waits for the send, but never
longer than ``wait`` seconds; a send still running after that finishes (or fails) in the
background. Every failure is logged with its reason on one line, without the link's token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .dispatch import call_email_callback
from .message import Mail, Sender
from .queue import MailQueue
from .templates import Templates

log = logging.getLogger("authkit.mail")

Callback = Callable[..., Any]


class MailCallbacks:
    """The four email callbacks, rendering with ``templates`` and delivering with ``sender``.

    Parameters: ``sender`` (anything with ``send(mail)``), ``templates`` (default:
    ``Templates()``), ``background`` (default ``True``), ``wait`` (seconds a foreground send
    may hold the request; default: the sender's ``timeout`` or 10) and ``workers``.
    """

    def __init__(self, sender: Sender, templates: Templates | None = None, *,
                 background: bool = True, wait: float | None = None,
                 workers: int = 2) -> None:
        self.sender = sender
        self.templates = templates or Templates()
        self._queue = MailQueue(sender, background=background, wait=wait, workers=workers)
        self.background = background
        self.wait = self._queue.wait

    # -- the callbacks -------------------------------------------------------------------
    def send_verification_email(self, *, user: Any, url: str, token: str, **_: Any) -> None:
        """``email_verification.send_verification_email``."""
        self._deliver("verify-email", user, url, token)

    def send_reset_password(self, *, user: Any, url: str, token: str, **_: Any) -> None:
        """``email_and_password.send_reset_password``."""
        self._deliver("reset-password", user, url, token)

    def send_change_email_confirmation(self, *, user: Any, url: str, token: str,
                                       new_email: str | None = None, **_: Any) -> None:
        """``user.send_change_email_confirmation`` (goes to the current address)."""
        self._deliver("change-email-confirmation", user, url, token, new_email=new_email)

    def send_delete_account_verification(self, *, user: Any, url: str, token: str,
                                         **_: Any) -> None:
        """``user.send_delete_account_verification``."""
        self._deliver("delete-account", user, url, token)

    # -- delivery ------------------------------------------------------------------------
    def _deliver(self, kind: str, user: Any, url: str, token: str,
                 new_email: str | None = None) -> None:
        # Rendering happens on the worker too: the request only hands the job over, so a
        # known address costs the request no more than an unknown one
        # (docs/security.md#account-enumeration).
        def render() -> Mail:
            return self.templates.render(kind, to=str(user.email), user=user, url=url,
                                         new_email=new_email)

        self._queue.submit(render, kind=kind, secrets=(token, url),
                           user_id=str(getattr(user, "id", "?")))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for queued mail to finish; ``True`` if nothing is left (tests, shutdown)."""
        return self._queue.flush(timeout)

    def close(self) -> None:
        """Finish queued mail and stop the worker threads."""
        self._queue.close()

    def __repr__(self) -> str:
        mode = "background" if self.background else f"wait={self.wait}"
        return f"MailCallbacks({self.sender!r}, {mode})"


def mail_callbacks(sender: Sender, templates: Templates | None = None, *,
                   background: bool = True, wait: float | None = None) -> MailCallbacks:
    """The email callbacks for ``sender`` (see ``MailCallbacks``)."""
    return MailCallbacks(sender, templates, background=background, wait=wait)


def fan_out(*callbacks: Callback) -> Callback:
    """One callback that calls each of ``callbacks`` in turn (e.g. SMTP and an outbox file);
    one failing does not stop the others."""

    def call_all(**kwargs: Any) -> None:
        for callback in callbacks:
            call_email_callback(callback, "email", **kwargs)

    return call_all
