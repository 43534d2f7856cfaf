"""Trusted devices: the ``trust_device`` cookie that lets one browser skip the second factor.

The cookie holds ``<mac>!<trustId>`` (signed like every auth cookie), where ``mac`` is
base64url(HMAC-SHA256(secret, "<userId>!<trustId>")) and ``trustId`` names a verification row
whose value is the user id. All three must agree, so a cookie is worth nothing for another
user, after its row is gone (2FA disabled) or once it expired. Each trusted sign-in replaces
the row and the cookie, so a copied cookie works at most once more.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from ... import single_use_tokens
from ...tokens import random_string, sign

if TYPE_CHECKING:
    from ...cookies import CookieSpec
    from ...endpoints.context import Context
    from ...tokens import Secret
    from . import TwoFactorPlugin

TRUST_ALPHABET = ("abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "0123456789-_")


def _mac(secret: Secret, user_id: str, trust_id: str) -> str:
    digest = hmac.new(secret.key, f"{user_id}!{trust_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TrustedDevices:
    """Issue, check and revoke ``trust_device`` cookies for one plugin."""

    def __init__(self, plugin: TwoFactorPlugin) -> None:
        self.plugin = plugin

    def spec(self, ctx: Context) -> CookieSpec:
        """The cookie's name and attributes."""
        return self.plugin.cookie(ctx, "trust_device")

    def issue(self, ctx: Context, user_id: str) -> None:
        """A new trust row and cookie for ``user_id``."""
        auth = ctx.auth
        max_age = self.plugin.options.trust_device_max_age
        trust_id = f"trust-device-{random_string(32, TRUST_ALPHABET)}"
        single_use_tokens.create(ctx, trust_id, user_id, max_age)
        value = f"{_mac(auth.secrets.current, user_id, trust_id)}!{trust_id}"
        ctx.set_cookie(self.spec(ctx), sign(value, auth.secrets), max_age=max_age)

    def read(self, ctx: Context) -> str | None:
        """The cookie's verified (signed) value, if any."""
        return ctx.get_signed_cookie(self.spec(ctx))

    def is_trusted(self, ctx: Context, value: str, user_id: str) -> bool:
        """Does ``value`` trust this browser for ``user_id`` right now?"""
        mac, sep, trust_id = value.partition("!")
        if not sep or not mac or not trust_id or "!" in trust_id:
            return False
        given = mac.encode("ascii", "replace")
        if not any(hmac.compare_digest(_mac(s, user_id, trust_id).encode("ascii"), given)
                   for s in ctx.auth.secrets.all):
            return False
        row = single_use_tokens.find(ctx.auth, trust_id)
        return single_use_tokens.is_live(ctx.auth, row) and row is not None and row.value == user_id

    def rotate(self, ctx: Context, value: str, user_id: str) -> None:
        """Replace a used trust with a new one."""
        single_use_tokens.consume(ctx, value.partition("!")[2])
        self.issue(ctx, user_id)

    def revoke(self, ctx: Context) -> None:
        """Forget this browser's trust (its row and its cookie), if it sends one."""
        value = self.read(ctx)
        if value is None:
            return
        trust_id = value.partition("!")[2]
        if trust_id:
            single_use_tokens.consume(ctx, trust_id)
        ctx.expire_cookie(self.spec(ctx))
