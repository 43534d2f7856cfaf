"""WebAuthn challenges: a signed cookie naming a five-minute verification row.

Both option endpoints store ``{"type", "expectedChallenge", "userData", ...}`` under a random
32-character token and set it (signed) in the ``better-auth-passkey`` cookie; the verify
endpoints consume the row, so a challenge answers one ceremony only, and a registration
challenge cannot be spent on a sign-in (or the reverse).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ... import single_use_tokens
from ...tokens import random_string, sign
from .errors import pk_error

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import PasskeyPlugin

CHALLENGE_SECONDS = 300
TOKEN_ALPHABET = ("abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "0123456789-_")


def issue(plugin: PasskeyPlugin, ctx: Context, data: dict[str, Any]) -> None:
    """Store ``data`` (compact JSON, key order kept) and set the challenge cookie."""
    token = random_string(32, TOKEN_ALPHABET)
    ctx.set_cookie(plugin.challenge_cookie(ctx), sign(token, ctx.auth.secrets),
                   max_age=CHALLENGE_SECONDS)
    single_use_tokens.create(ctx, token, json.dumps(data, separators=(",", ":"),
                                                ensure_ascii=False), CHALLENGE_SECONDS)


def take(plugin: PasskeyPlugin, ctx: Context, ceremony: str) -> dict[str, Any]:
    """Consume the request's challenge of ``ceremony``; 400 ``CHALLENGE_NOT_FOUND`` when
    there is none, it expired, was used, or belongs to the other ceremony."""
    token = ctx.get_signed_cookie(plugin.challenge_cookie(ctx))
    if not token:
        raise pk_error(400, "CHALLENGE_NOT_FOUND")
    row = single_use_tokens.consume(ctx, token)
    if row is None:
        raise pk_error(400, "CHALLENGE_NOT_FOUND")
    try:
        data = json.loads(row.value)
    except ValueError:
        raise pk_error(400, "CHALLENGE_NOT_FOUND") from None
    if not isinstance(data, dict) or data.get("type") != ceremony \
            or not isinstance(data.get("expectedChallenge"), str):
        raise pk_error(400, "CHALLENGE_NOT_FOUND")
    return data
