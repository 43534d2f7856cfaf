"""The one-time-code email: default templates per purpose and the sender callback built on
authkit's mail layer.

    from authkit.plugins.email_otp import email_otp, email_otp_mail

    send = email_otp_mail(sender, app_name="Example")
    AuthKit(..., plugins=[email_otp(send_verification_otp=send)])

Placeholders: ``$app_name``, ``$email``, ``$otp`` and ``$purpose`` (words for the type:
"sign in", "verify your email address", "reset your password", "change your email address").
``templates`` maps a type (``sign-in``, ``email-verification``, ``forget-password``,
``change-email``) to a ``MessageTemplate`` or a function returning a ``Mail``; types left out
use the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ConfigError
from ...mail.message import Sender
from ...mail.plugin_mail import MailQueue, MessageTemplate, RenderFn, render_with

PLACEHOLDERS = frozenset({"app_name", "email", "otp", "purpose"})
OTP_TYPES = ("sign-in", "email-verification", "forget-password", "change-email")
PURPOSES = {
    "sign-in": "sign in",
    "email-verification": "verify your email address",
    "forget-password": "reset your password",
    "change-email": "change your email address",
}

DEFAULT_TEMPLATE = MessageTemplate(
    subject="Your $app_name code: $otp",
    text=("Hello,\n\nUse this code to $purpose on $app_name:\n\n    $otp\n\n"
          "It works once and expires in a few minutes. If you did not ask for it, ignore "
          "this email.\n"),
    html=("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\n"
          "<p>Hello,</p>\n<p>Use this code to $purpose on $app_name:</p>\n"
          "<p style=\"font-size:1.6em;letter-spacing:0.2em\"><strong>$otp</strong></p>\n"
          "<p style=\"color:#555\">It works once and expires in a few minutes. If you did not "
          "ask for it, ignore this email.</p>\n</body></html>\n"),
).check(PLACEHOLDERS)


class EmailOTPMail:
    """A ``send_verification_otp`` callback rendering per type and delivering with
    ``sender``."""

    def __init__(self, sender: Sender,
                 templates: Mapping[str, MessageTemplate | RenderFn] | None = None, *,
                 app_name: str = "authkit", background: bool = True,
                 wait: float | None = None) -> None:
        chosen: dict[str, MessageTemplate | RenderFn] = dict.fromkeys(OTP_TYPES,
                                                                       DEFAULT_TEMPLATE)
        for otp_type, template in (templates or {}).items():
            if otp_type not in OTP_TYPES:
                raise ConfigError(f"unknown code type {otp_type!r}; use one of "
                                  f"{', '.join(OTP_TYPES)}")
            if isinstance(template, MessageTemplate):
                template.check(PLACEHOLDERS)
            elif not callable(template):
                raise ConfigError(f"template for {otp_type!r} must be a MessageTemplate or a "
                                  "function")
            chosen[otp_type] = template
        self.templates = chosen
        self.app_name = app_name
        self.queue = MailQueue(sender, background=background, wait=wait)

    def __call__(self, *, email: str, otp: str, type: str, **_: Any) -> None:
        values = {"app_name": self.app_name, "email": email, "otp": otp,
                  "purpose": PURPOSES.get(type, "sign in")}
        template = self.templates.get(type, DEFAULT_TEMPLATE)
        self.queue.submit(
            lambda: render_with(template, to=email, kind=f"email-otp:{type}", values=values),
            kind=f"email-otp:{type}", secrets=(otp,))

    def __repr__(self) -> str:
        return f"EmailOTPMail({self.queue.sender!r})"


def email_otp_mail(sender: Sender,
                   templates: Mapping[str, MessageTemplate | RenderFn] | None = None, *,
                   app_name: str = "authkit", background: bool = True,
                   wait: float | None = None) -> EmailOTPMail:
    """The ``send_verification_otp`` callback for ``sender`` (see ``EmailOTPMail``)."""
    return EmailOTPMail(sender, templates, app_name=app_name, background=background, wait=wait)
