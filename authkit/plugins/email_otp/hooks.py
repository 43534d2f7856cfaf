"""``send_verification_on_sign_up``: after a sign-up, mail an email-verification code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import APIError

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import EmailOTPPlugin


def is_sign_up(ctx: Context) -> bool:
    """Any ``/sign-up*`` path."""
    return ctx.path.startswith("/sign-up")


def send_on_sign_up(plugin: EmailOTPPlugin) -> Callable[[Context, Any], None]:
    """The after-hook: a code for the new user's address (the result is left as it is)."""

    def hook(ctx: Context, result: Any) -> None:
        if isinstance(result, APIError):
            return
        user = getattr(result, "user", None)
        email = getattr(user, "email", None)
        if isinstance(email, str) and email:
            plugin.routes.issue_and_send(ctx, "email-verification", email.lower())

    return hook
