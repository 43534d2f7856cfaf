"""Email delivery: senders, templates, and the callbacks ``AuthKit`` calls.

    from authkit.mail import SMTPSender, mail_callbacks

    mail = mail_callbacks(SMTPSender.from_url("smtp://user:pass@smtp.example.com:587",
                                              from_address="Example <auth@example.com>"))
    auth = AuthKit(
        email_and_password={"enabled": True, "send_reset_password": mail.send_reset_password},
        email_verification={"send_verification_email": mail.send_verification_email},
        user={"change_email_enabled": True,
              "send_change_email_confirmation": mail.send_change_email_confirmation},
    )

Senders: ``SMTPSender`` (smtplib; STARTTLS, implicit TLS or plain; login; a per-step timeout),
``ConsoleSender`` (prints, for development) — anything with ``send(mail)`` works — and
``OutboxSender``, a ready-made callback appending JSON lines (``AUTHKIT_EMAIL_OUTBOX``).
``Templates`` holds the default plain-text and HTML emails; replace any of them.
"""

from __future__ import annotations

from ..outbox import OutboxSender
from .callbacks import MailCallbacks, fan_out, mail_callbacks
from .console import ConsoleSender
from .message import Mail, Sender
from .smtp import SMTPSender
from .templates import DEFAULT_TEMPLATES, KINDS, Template, Templates

__all__ = [
    "DEFAULT_TEMPLATES",
    "KINDS",
    "ConsoleSender",
    "Mail",
    "MailCallbacks",
    "OutboxSender",
    "SMTPSender",
    "Sender",
    "Template",
    "Templates",
    "fan_out",
    "mail_callbacks",
]
