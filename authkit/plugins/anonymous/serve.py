"""``AUTHKIT_PLUGINS=anonymous``: as Better Auth's test deployment, which records every link
as an ``anonymous-link`` outbox line."""

from __future__ import annotations

from typing import Any

from ...models import SessionWithUser
from ..serve_registry import ServeContext, ServeResult
from .plugin import anonymous

KNOBS = {
    "AUTHKIT_ANON_EMAIL_DOMAIN": "placeholder emails become temp-<id>@<domain>",
    "AUTHKIT_ANON_DISABLE_DELETE": "on: keep guests after a link; no /delete-anonymous-user",
    "AUTHKIT_ANON_NAME": "display name of new guests (default Anonymous)",
}


def configure(ctx: ServeContext) -> ServeResult:
    def record_link(guest: SessionWithUser, new: SessionWithUser, _: Any) -> None:
        ctx.outbox("anonymous-link", email=new.user.email, anonymousUserId=guest.user.id,
                   anonymousEmail=guest.user.email, newUserId=new.user.id)

    name = ctx.text("ANON_NAME")
    return ServeResult(plugins=[anonymous(
        email_domain_name=ctx.text("ANON_EMAIL_DOMAIN"),
        generate_name=(lambda _: name) if name else None,
        on_link_account=record_link,
        disable_delete_anonymous_user=ctx.flag("ANON_DISABLE_DELETE", False))])
