"""Adding a passkey: registration options, then verifying the authenticator's answer.

Both need a fresh session read from the store: registering a passkey adds a credential to
the account. Verification is py_webauthn's (challenge, origin, RP ID hash, user presence,
algorithm, attestation statement); unlike the Node plugin, which answers a library error with
a 500, every refused registration here is a 400 ``FAILED_TO_VERIFY_REGISTRATION``: the client
sent something wrong, the server is fine.
"""

from __future__ import annotations

import base64
import logging
import secrets
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import StringConstraints
from webauthn import verify_registration_response
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException

from ...errors import APIError
from ...tokens import LOWER_ALPHANUMERIC, random_string
from ...validation import Body
from . import challenge
from .errors import pk_error
from .schema import MAX_CREDENTIAL_ID_LENGTH, MAX_NAME_LENGTH, TABLE, wire

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...models import SessionWithUser
    from . import PasskeyPlugin

log = logging.getLogger("authkit")

# What the options offer (EdDSA, ES256, RS256) and what verification accepts (SimpleWebAuthn's
# list, as far as py_webauthn implements it).
OFFERED_ALGS = (-8, -7, -257)
ACCEPTED_ALGS = [a for a in COSEAlgorithmIdentifier
                 if a.value in (-8, -7, -35, -36, -37, -38, -39, -257, -258, -259, -65535)]


class RegisterOptionsQuery(Body):
    """Query of ``/passkey/generate-register-options``."""

    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    name: str | None = None
    context: str | None = None


class VerifyRegistrationBody(Body):
    """Body of ``/passkey/verify-registration``."""

    response: Any = None
    name: Annotated[str, StringConstraints(strip_whitespace=True,
                                           max_length=MAX_NAME_LENGTH)] | None = None
    createSession: bool | None = None


def _fresh_session(ctx: Context) -> SessionWithUser:
    found = ctx.require_session(sensitive=True)
    if not ctx.auth.sessions.is_fresh(found.session):
        raise APIError(403, "SESSION_NOT_FRESH")
    return found


def _descriptors(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item: dict[str, Any] = {"id": row["credentialID"]}
        if row.get("transports") is not None:
            item["transports"] = str(row["transports"]).split(",")
        item["type"] = "public-key"
        out.append(item)
    return out


def generate_register_options(plugin: PasskeyPlugin, ctx: Context) -> dict[str, Any]:
    """GET /passkey/generate-register-options."""
    found = _fresh_session(ctx)
    user = found.user
    query: RegisterOptionsQuery = ctx.query
    label = user.email or user.id
    rows = ctx.auth.storage.find_rows(TABLE, {"userId": user.id})
    selection: dict[str, Any] = {"residentKey": "preferred", "userVerification": "preferred",
                                 **plugin.options.authenticator_selection}
    if query.authenticatorAttachment:
        selection["authenticatorAttachment"] = query.authenticatorAttachment
    if "residentKey" in selection:
        selection["requireResidentKey"] = selection["residentKey"] == "required"
    # A random user handle, never the account id: authenticators may show or sync it.
    user_handle = random_string(32, LOWER_ALPHANUMERIC).encode("ascii")
    options = {
        "challenge": bytes_to_base64url(secrets.token_bytes(32)),
        "rp": {"name": plugin.options.rp_name or ctx.auth.app_name,
               "id": plugin.rp_id(ctx)},
        "user": {"id": bytes_to_base64url(user_handle), "name": query.name or label,
                 "displayName": label},
        "pubKeyCredParams": [{"alg": alg, "type": "public-key"} for alg in OFFERED_ALGS],
        "timeout": 60000,
        "attestation": "none",
        "excludeCredentials": _descriptors(rows),
        "authenticatorSelection": selection,
        "extensions": {"credProps": True},
        "hints": [],
    }
    challenge.issue(plugin, ctx, {
        "type": "registration", "expectedChallenge": options["challenge"],
        "userData": {"id": user.id, "name": label, "displayName": label},
        "context": query.context})
    return options


def _transports(response: dict[str, Any]) -> str:
    inner = response.get("response")
    listed = inner.get("transports") if isinstance(inner, dict) else None
    if isinstance(listed, list) and all(isinstance(t, str) for t in listed):
        return ",".join(listed)
    return ""


def verify_registration(plugin: PasskeyPlugin, ctx: Context) -> dict[str, Any]:
    """POST /passkey/verify-registration: store the new passkey (and sign in with
    ``createSession``)."""
    auth = ctx.auth
    found = _fresh_session(ctx)
    expected_origin = plugin.expected_origin(ctx)
    if not expected_origin:
        raise pk_error(400, "FAILED_TO_VERIFY_REGISTRATION")
    body: VerifyRegistrationBody = ctx.body
    data = challenge.take(plugin, ctx, "registration")
    user_data = data.get("userData")
    if not isinstance(user_data, dict) or user_data.get("id") != found.user.id:
        raise pk_error(401, "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY")
    response = body.response
    if not isinstance(response, dict) or not isinstance(response.get("id"), str) \
            or len(response["id"]) > MAX_CREDENTIAL_ID_LENGTH:
        raise pk_error(400, "FAILED_TO_VERIFY_REGISTRATION")
    try:
        verified = verify_registration_response(
            credential=response, expected_challenge=base64url_to_bytes(data["expectedChallenge"]),
            expected_rp_id=plugin.rp_id(ctx), expected_origin=expected_origin,
            require_user_verification=False, supported_pub_key_algs=ACCEPTED_ALGS)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        log.info("passkey registration refused for user %s: %s", found.user.id, exc)
        raise pk_error(400, "FAILED_TO_VERIFY_REGISTRATION") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    # WebAuthn's step "the credential id is not yet registered": with attestation "none" any
    # client can claim any id, and a second row with someone else's id would shadow theirs
    # at sign-in (Better Auth does not check; authkit refuses).
    if (len(credential_id) > MAX_CREDENTIAL_ID_LENGTH
            or auth.storage.count_rows(TABLE, {"credentialID": credential_id})):
        raise pk_error(400, "FAILED_TO_VERIFY_REGISTRATION")
    row = auth.storage.create_row(TABLE, {
        "name": body.name or None,
        "publicKey": base64.b64encode(verified.credential_public_key).decode("ascii"),
        "userId": found.user.id,
        "credentialID": credential_id,
        "counter": verified.sign_count,
        "deviceType": ("multiDevice" if verified.credential_device_type.value == "multi_device"
                       else "singleDevice"),
        "backedUp": verified.credential_backed_up,
        "transports": _transports(response),
        "createdAt": auth.now(),
        "aaguid": verified.aaguid,
    })
    out = wire(row)
    if not body.createSession:
        return out
    try:
        session = auth.sessions.create(ctx, found.user, status=500)
    except APIError:
        auth.storage.delete_rows(TABLE, {"id": row["id"]})  # all or nothing, as Node's tx
        raise
    auth.sessions.set_cookies(ctx, session, found.user)
    return {**out, "session": session, "user": found.user}
