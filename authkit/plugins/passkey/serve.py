"""``AUTHKIT_PLUGINS=passkey`` for ``authkit serve``: the reference deployment's knobs, read as
``AUTHKIT_<KNOB>``; the RP name defaults to ``AUTHKIT_APP_NAME``."""

from __future__ import annotations

from ..serve_registry import ServeContext, ServeResult
from . import passkey

KNOBS: dict[str, str] = {
    "AUTHKIT_PASSKEY_RP_ID": "WebAuthn RP ID (default: the host of AUTHKIT_BASE_URL)",
    "AUTHKIT_PASSKEY_RP_NAME": "RP name shown by authenticators (default: AUTHKIT_APP_NAME)",
    "AUTHKIT_PASSKEY_ORIGIN": "expected page origin(s), comma list (default: the request's)",
    "AUTHKIT_PASSKEY_RESIDENT_KEY": "authenticatorSelection.residentKey (default preferred)",
    "AUTHKIT_PASSKEY_USER_VERIFICATION": "authenticatorSelection.userVerification (preferred)",
    "AUTHKIT_PASSKEY_ATTACHMENT": "authenticatorSelection.authenticatorAttachment",
    "AUTHKIT_PASSKEY_CHALLENGE_COOKIE": "challenge cookie key (default better-auth-passkey)",
}


def configure(ctx: ServeContext) -> ServeResult:
    """Build ``passkey()`` from the environment."""
    selection: dict[str, object] = {}
    for knob, key in (("PASSKEY_RESIDENT_KEY", "resident_key"),
                      ("PASSKEY_USER_VERIFICATION", "user_verification"),
                      ("PASSKEY_ATTACHMENT", "authenticator_attachment")):
        value = ctx.text(knob)
        if value:
            selection[key] = value
    origins = ctx.csv("PASSKEY_ORIGIN")
    return ServeResult(plugins=[passkey(
        rp_id=ctx.text("PASSKEY_RP_ID"),
        rp_name=ctx.text("PASSKEY_RP_NAME") or ctx.app_name,
        origin=(origins[0] if len(origins) == 1 else origins) or None,
        authenticator_selection=selection,
        challenge_cookie=ctx.text("PASSKEY_CHALLENGE_COOKIE") or "better-auth-passkey")])
