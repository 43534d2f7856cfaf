"""The magic-link email: its default template and the sender callback built on authkit's mail
layer.

    from authkit.mail import SMTPSender
    from authkit.plugins.magic_link import magic_link, magic_link_mail

    send = magic_link_mail(SMTPSender.from_url(url, from_address="auth@example.com"),
                           app_name="Example")
    AuthKit(..., plugins=[magic_link(send_magic_link=send)])

Placeholders: ``$app_name``, ``$email`` (the address as typed) and ``$url`` (the link).
"""

from __future__ import annotations

from typing import Any

from ...mail.message import Sender
from ...mail.plugin_mail import MailQueue, MessageTemplate, RenderFn, render_with

PLACEHOLDERS = frozenset({"app_name", "email", "url"})

DEFAULT_TEMPLATE = MessageTemplate(
    subject="Sign in to $app_name",
    text=("Hello,\n\nOpen this link to sign in to $app_name as $email:\n\n$url\n\n"
          "The link works once and expires in a few minutes. If you did not ask for it, "
          "ignore this email.\n"),
    html=("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\n"
          "<p>Hello,</p>\n<p>Open this link to sign in to $app_name as $email:</p>\n"
          "<p><a href=\"$url\">Sign in</a></p>\n"
          "<p style=\"color:#555\">The link works once and expires in a few minutes. If you "
          "did not ask for it, ignore this email.</p>\n"
          "<p style=\"color:#555\">If the button does not work, copy this address into your "
          "browser:<br>$url</p>\n</body></html>\n"),
).check(PLACEHOLDERS)


class MagicLinkMail:
    """A ``send_magic_link`` callback rendering ``template`` and delivering with ``sender``."""

    def __init__(self, sender: Sender, template: MessageTemplate | RenderFn | None = None, *,
                 app_name: str = "authkit", background: bool = True,
                 wait: float | None = None) -> None:
        if isinstance(template, MessageTemplate):
            template.check(PLACEHOLDERS)
        self.template: MessageTemplate | RenderFn = template or DEFAULT_TEMPLATE
        self.app_name = app_name
        self.queue = MailQueue(sender, background=background, wait=wait)

    def __call__(self, *, email: str, url: str, token: str, **_: Any) -> None:
        values = {"app_name": self.app_name, "email": email, "url": url}
        self.queue.submit(
            lambda: render_with(self.template, to=email, kind="magic-link", values=values),
            kind="magic-link", secrets=(token, url))

    def __repr__(self) -> str:
        return f"MagicLinkMail({self.queue.sender!r})"


def magic_link_mail(sender: Sender, template: MessageTemplate | RenderFn | None = None, *,
                    app_name: str = "authkit", background: bool = True,
                    wait: float | None = None) -> MagicLinkMail:
    """The ``send_magic_link`` callback for ``sender`` (see ``MagicLinkMail``)."""
    return MagicLinkMail(sender, template, app_name=app_name, background=background, wait=wait)
