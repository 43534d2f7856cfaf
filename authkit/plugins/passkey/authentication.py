"""Signing in with a passkey: options (username-less when signed out), then the assertion.

The assertion is checked by py_webauthn against the stored COSE key, the challenge, the
expected origin and RP ID, the user-presence flag and the signature counter (once either side
counts, the new counter must be higher: a cloned authenticator shows up as a repeat). The
counter is advanced with a compare-and-swap, so two assertions racing on one stored counter
cannot both pass. No two-factor interception: a passkey is itself two factors.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from webauthn import verify_authentication_response
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException

from ...errors import APIError
from ...second_factor import FIELD
from ...validation import Body
from . import challenge
from .errors import pk_error
from .registration import _descriptors
from .schema import MAX_CREDENTIAL_ID_LENGTH, TABLE

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import PasskeyPlugin

log = logging.getLogger("authkit")


class VerifyAuthenticationBody(Body):
    """Body of ``/passkey/verify-authentication``."""

    response: dict[str, Any]


def generate_authenticate_options(plugin: PasskeyPlugin, ctx: Context) -> dict[str, Any]:
    """GET /passkey/generate-authenticate-options."""
    found = ctx.auth.sessions.resolve(ctx)
    rows = ctx.auth.storage.find_rows(TABLE, {"userId": found.user.id}) if found else []
    options: dict[str, Any] = {"rpId": plugin.rp_id(ctx),
                               "challenge": bytes_to_base64url(secrets.token_bytes(32))}
    if rows:
        options["allowCredentials"] = _descriptors(rows)
    options["timeout"] = 60000
    options["userVerification"] = "preferred"
    challenge.issue(plugin, ctx, {"type": "authentication",
                                  "expectedChallenge": options["challenge"],
                                  "userData": {"id": found.user.id if found else ""}})
    return options


def verify_authentication(plugin: PasskeyPlugin, ctx: Context) -> dict[str, Any]:
    """POST /passkey/verify-authentication: a new session for the passkey's owner."""
    auth = ctx.auth
    expected_origin = plugin.expected_origin(ctx)
    if not expected_origin:
        raise APIError(400, None, "origin missing")
    data = challenge.take(plugin, ctx, "authentication")
    response = ctx.body.response
    credential_id = response.get("id")
    row = (auth.storage.find_row(TABLE, {"credentialID": credential_id})
           if isinstance(credential_id, str) and len(credential_id) <= MAX_CREDENTIAL_ID_LENGTH
           else None)
    if row is None:
        raise pk_error(401, "PASSKEY_NOT_FOUND")
    stored_counter = int(row["counter"] or 0)
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=base64url_to_bytes(data["expectedChallenge"]),
            expected_rp_id=plugin.rp_id(ctx), expected_origin=expected_origin,
            credential_public_key=base64.b64decode(str(row["publicKey"])),
            credential_current_sign_count=stored_counter, require_user_verification=False)
    except (WebAuthnException, ValueError, TypeError, KeyError, binascii.Error) as exc:
        log.info("passkey sign-in refused for passkey %s: %s", row["id"], exc)
        # A well-formed assertion whose signature does not verify is Node's "verified: false"
        # (401); anything malformed or mismatched is its library error (400).
        status = 401 if isinstance(exc.__context__, InvalidSignature) else 400
        raise pk_error(status, "AUTHENTICATION_FAILED") from None
    moved = auth.storage.update_rows(TABLE, {"id": row["id"], "counter": row["counter"]},
                                     {"counter": verified.new_sign_count})
    if not moved:
        raise pk_error(401, "AUTHENTICATION_FAILED")
    user = auth.db.get_user_by_id(str(row["userId"]))
    if user is None:
        raise APIError(500, None, "User not found")
    session = auth.sessions.create(ctx, user, status=500, extra={FIELD: "passkey"})
    auth.sessions.set_cookies(ctx, session, user)
    return {"session": session, "user": user}
