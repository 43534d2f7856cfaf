"""The 2FA code email through authkit's mail layer, with a template you can replace.

    from authkit.mail import SMTPSender
    from authkit.plugins.two_factor import two_factor, otp_mailer

    two_factor(otp_options={"send_otp": otp_mailer(SMTPSender.from_url(url, from_address=...),
                                                   app_name="Example")})

``OTPTemplate`` placeholders: ``$app_name``, ``$name``, ``$email`` and ``$otp`` (HTML-escaped
in ``html``). Sending runs on a worker thread, so a slow mail server does not hold the
request; a failure is logged on one line without the code.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template as _StringTemplate
from typing import Any

from ...errors import ConfigError
from ...mail.message import Mail, Sender
from ...mail.queue import MailQueue

PLACEHOLDERS = frozenset({"app_name", "name", "email", "otp"})


@dataclass(frozen=True)
class OTPTemplate:
    """Subject, plain text and optional HTML of the code email."""

    subject: str
    text: str
    html: str | None = None

    def __post_init__(self) -> None:
        for value in (self.subject, self.text, self.html):
            if value is None:
                continue
            names = {m.group("named") or m.group("braced")
                     for m in _StringTemplate.pattern.finditer(value)} - {None}
            unknown = names - PLACEHOLDERS
            if unknown:
                raise ConfigError(f"OTPTemplate uses unknown placeholder(s) "
                                  f"{', '.join('$' + str(u) for u in sorted(unknown))}; known: "
                                  f"{', '.join('$' + p for p in sorted(PLACEHOLDERS))}")

    def render(self, *, to: str, user: Any, otp: str, app_name: str) -> Mail:
        """The ``Mail`` for one code."""
        values = {"app_name": app_name, "name": str(getattr(user, "name", "") or ""),
                  "email": to, "otp": otp}
        escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
        user_id = getattr(user, "id", None)
        return Mail(
            to=to,
            subject=" ".join(_StringTemplate(self.subject).safe_substitute(values).split()),
            text=_StringTemplate(self.text).safe_substitute(values),
            html=(_StringTemplate(self.html).safe_substitute(escaped)
                  if self.html is not None else None),
            kind="two-factor-otp", user_id=user_id if isinstance(user_id, str) else None)


DEFAULT_OTP_TEMPLATE = OTPTemplate(
    subject="Your $app_name sign-in code",
    text=("Hello $name,\n\nYour $app_name sign-in code is:\n\n    $otp\n\nIt expires in a few "
          "minutes. If you did not try to sign in, change your password.\n"),
    html=("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\n"
          "<p>Hello $name,</p>\n<p>Your $app_name sign-in code is:</p>\n"
          "<p style=\"font-size:1.6em;letter-spacing:0.2em\"><strong>$otp</strong></p>\n"
          "<p style=\"color:#555\">It expires in a few minutes. If you did not try to sign in, "
          "change your password.</p>\n</body></html>\n"),
)


class OTPMailer:
    """A ``send_otp`` callback that renders ``template`` and hands it to ``sender``."""

    def __init__(self, sender: Sender, template: OTPTemplate | None = None, *,
                 app_name: str = "authkit", background: bool = True) -> None:
        self.sender = sender
        self.template = template or DEFAULT_OTP_TEMPLATE
        self.app_name = app_name
        self.background = background
        # The delivery every authkit email uses: worker threads, the code kept out of logs.
        self.queue = MailQueue(sender, background=background)

    def __call__(self, *, user: Any, otp: str, **_: Any) -> None:
        def render() -> Mail:
            return self.template.render(to=str(user.email), user=user, otp=otp,
                                        app_name=self.app_name)

        self.queue.submit(render, kind="two-factor-otp", secrets=(otp,),
                          user_id=str(getattr(user, "id", "?")))

    def close(self) -> None:
        """Finish queued mail and stop the worker threads."""
        self.queue.close()


def otp_mailer(sender: Sender, template: OTPTemplate | None = None, *,
               app_name: str = "authkit", background: bool = True) -> OTPMailer:
    """A ``send_otp`` callback mailing the code through ``sender`` (see ``OTPMailer``)."""
    return OTPMailer(sender, template, app_name=app_name, background=background)
