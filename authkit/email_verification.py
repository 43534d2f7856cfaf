"""Email-verification tokens (stateless HS256 JWTs, spec §2.5) and sending them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
import jwt

from .callbacks import call_user_callback
from .cookies import encode_value
from .models import User

if TYPE_CHECKING:
    from .endpoints.context import Context

log = logging.getLogger("authkit")


def create_email_token(ctx: Context, email: str, user_id: str, *,
                       extra: dict[str, Any] | None = None) -> str:
    """An HS256 JWT ``{email, userId, iat, exp, ...extra}`` signed with the current secret."""
    auth = ctx.auth
    iat = int(auth.now().timestamp())
    payload: dict[str, Any] = {"email": email.lower(), **(extra or {}), "userId": user_id,
                               "iat": iat, "exp": iat + auth.options.email_verification.expires_in}
    return jwt.encode(payload, auth.secrets.current.reveal(), algorithm="HS256")


def send_verification_email(ctx: Context, user: User, callback_url: str) -> None:
    """Mail the verification link; a failing sender is logged, never shown to the client."""
    sender = ctx.auth.options.email_verification.send_verification_email
    if sender is None:
        return
    token = create_email_token(ctx, user.email, user.id)
    url = f"{ctx.base_url}/verify-email?token={token}&callbackURL={encode_value(callback_url)}"
    try:
        call_user_callback(sender, user=user, url=url, token=token)
    except Exception:
        log.exception("sending the verification email to user %s failed", user.id)
