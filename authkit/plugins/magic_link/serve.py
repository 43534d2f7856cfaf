"""``AUTHKIT_PLUGINS=magic-link`` for ``authkit serve``: the knobs of the reference deployment.

Each link goes to the outbox as ``{"type":"magic-link","email","url","token","metadata"}``
and, with ``AUTHKIT_SMTP_URL``, by mail with the default template.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from ...errors import ConfigError
from ..serve_registry import ServeContext, ServeResult
from . import magic_link
from .mail import magic_link_mail

KNOBS: dict[str, str] = {
    "AUTHKIT_MAGIC_LINK_EXPIRES_IN": "magic-link lifetime in seconds (300)",
    "AUTHKIT_MAGIC_LINK_DISABLE_SIGN_UP": "on: unknown addresses are refused at verify (off)",
    "AUTHKIT_MAGIC_LINK_STORE_TOKEN": "plain|hashed: how link tokens are stored (plain)",
    "AUTHKIT_MAGIC_LINK_RATE_WINDOW": "magic-link rate-limit window in seconds (60)",
    "AUTHKIT_MAGIC_LINK_RATE_MAX": "magic-link requests per window and address (5)",
}


def configure(ctx: ServeContext) -> ServeResult:
    """The magic-link plugin, mailing through the outbox and/or SMTP."""
    store = ctx.text("MAGIC_LINK_STORE_TOKEN", "plain")
    if store not in ("plain", "hashed"):
        raise ConfigError(f"AUTHKIT_MAGIC_LINK_STORE_TOKEN={store!r}: use plain or hashed")
    mailer = (magic_link_mail(ctx.mail_sender, app_name=ctx.app_name)
              if ctx.mail_sender is not None else None)

    def send(*, email: str, url: str, token: str, metadata: dict[str, Any] | None) -> None:
        ctx.outbox("magic-link", email=email, url=url, token=token, metadata=metadata)
        if mailer is not None:
            mailer(email=email, url=url, token=token)

    plugin = magic_link(
        send_magic_link=send,
        expires_in=ctx.num("MAGIC_LINK_EXPIRES_IN", 300),
        disable_sign_up=ctx.flag("MAGIC_LINK_DISABLE_SIGN_UP", False),
        store_token=cast(Literal["plain", "hashed"], store),
        rate_limit={"window": ctx.num("MAGIC_LINK_RATE_WINDOW", 60),
                    "max": ctx.num("MAGIC_LINK_RATE_MAX", 5)},
    )
    return ServeResult(plugins=[plugin])
