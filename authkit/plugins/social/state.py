"""The OAuth ``state``: what binds a provider's callback to the browser and the request
that started it, kept as Better Auth keeps it so either server can finish a flow the other
started.

``database`` strategy: a verification row ``auth-state:<state>`` holding the JSON (10
minutes) plus the signed ``<prefix>.state`` cookie (5 minutes) naming the same state, so a
callback URL replayed in another browser fails. ``cookie`` strategy: the JSON encrypted
(XChaCha20-Poly1305 under a key derived for this purpose only) in ``<prefix>.oauth_state``.
Never a framework session: a flow started behind one load-balanced instance finishes on any.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ...cookies import CookieSpec
from ...crypto import purpose_key, symmetric_decrypt, symmetric_encrypt
from ...errors import AuthError
from ...jsjson import stringify
from ...models import Verification
from ...tokens import generate_id, random_string, sign

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context

URL_SAFE = string.ascii_letters + string.digits + "-_"
STATE_TTL = 600
STATE_COOKIE_MAX_AGE = 300
STATE_PREFIX = "auth-state:"
STATE_COOKIE_PURPOSE = "oauth-state-cookie"
LINK_TOKEN_PURPOSE = "oauth-link-session-token"
# A state value is 32 characters; anything much longer never came from us.
MAX_STATE_LENGTH = 256
MAX_STATE_JSON = 16_384


class StateError(AuthError):
    """The callback's state does not check out: ``code`` goes into ``?error=``, to
    ``error_url`` (the flow's own) when the state could be read, else to the default."""

    def __init__(self, code: str, error_url: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.error_url = error_url


@dataclass
class NewState:
    """A freshly started flow."""

    state: str
    code_verifier: str
    nonce: str | None


def state_cookie(auth: AuthKit, key: str) -> CookieSpec:
    """``<prefix>.state`` / ``<prefix>.oauth_state`` with the session cookie's attributes."""
    name = f"{auth.options.advanced.cookie_prefix}.{key}"
    if auth.cookies.secure:
        name = f"__Secure-{name}"
    return CookieSpec(name, auth.cookies.session_token.attrs)


def encrypt_for(auth: AuthKit, purpose: str, plaintext: str) -> str:
    """``symmetricEncrypt`` under the purpose key of every configured secret version."""
    return symmetric_encrypt(purpose_key(auth.secret_config, purpose), plaintext)


def decrypt_for(auth: AuthKit, purpose: str, data: str) -> str:
    """The inverse of ``encrypt_for`` (raises on a bad ciphertext)."""
    return symmetric_decrypt(purpose_key(auth.secret_config, purpose), data)


def generate_state(ctx: Context, *, strategy: str, callback_url: str,
                   error_url: str | None, new_user_url: str | None,
                   link: dict[str, str] | None, request_sign_up: bool | None,
                   additional_data: dict[str, Any] | None, with_nonce: bool) -> NewState:
    """Create the state, code verifier and (OIDC) nonce and persist them."""
    auth = ctx.auth
    new = NewState(random_string(32, URL_SAFE), random_string(128, URL_SAFE),
                   random_string(32, URL_SAFE) if with_nonce else None)
    now = auth.now()
    # JSON.stringify order, undefined left out; internal keys overwrite additionalData's
    # same-named ones where they stand (a JS object keeps the first insertion's position).
    # An internal key left undefined still removes the client's same-named value: a client
    # must never choose where a new user or an error is redirected, nor link to an account.
    data: dict[str, Any] = dict(additional_data or {})
    internal: list[tuple[str, Any]] = [
        ("callbackURL", callback_url), ("codeVerifier", new.code_verifier),
        ("errorURL", error_url or None), ("newUserURL", new_user_url or None), ("link", link),
        ("serverContext", None),
        ("expiresAt", int((now + timedelta(seconds=STATE_TTL)).timestamp() * 1000)),
        ("requestSignUp", request_sign_up), ("idTokenNonce", new.nonce),
        ("oauthState", new.state)]
    for key, value in internal:
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    text = stringify(data)
    if len(text) > MAX_STATE_JSON:
        # The verification value is a TEXT column (64 KiB on MySQL); a cookie holds ~4 KiB.
        from ...errors import APIError

        raise APIError(400, "VALIDATION_ERROR",
                       f"[body] Too big: the OAuth state may hold at most {MAX_STATE_JSON} "
                       "characters (callback URLs and additionalData)")
    if strategy == "cookie":
        ctx.set_cookie(state_cookie(auth, "oauth_state"),
                       encrypt_for(auth, STATE_COOKIE_PURPOSE, text), max_age=STATE_TTL)
        return new
    created = auth.db.create_verification(ctx, Verification(
        id=generate_id(), identifier=STATE_PREFIX + new.state, value=text,
        expires_at=now + timedelta(seconds=STATE_TTL), created_at=now, updated_at=now))
    if created is None:
        from ...errors import APIError

        raise APIError(500, "FAILED_TO_CREATE_VERIFICATION")
    ctx.set_cookie(state_cookie(auth, "state"), sign(new.state, auth.secrets),
                   max_age=STATE_COOKIE_MAX_AGE)
    return new


def _load(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("callbackURL"), str) \
            or not isinstance(data.get("codeVerifier"), str) \
            or not isinstance(data.get("expiresAt"), (int, float)):
        return None
    return data


def _error_url(data: dict[str, Any]) -> str | None:
    value = data.get("errorURL")
    return value if isinstance(value, str) and value else None


def parse_state(ctx: Context, state: str, *, strategy: str,
                skip_cookie_check: bool) -> dict[str, Any]:
    """The flow's stored JSON, consumed; ``StateError`` when the state does not check out.

    Checks run before anything is consumed, so a callback replayed from another browser
    leaves the real flow intact.
    """
    auth = ctx.auth
    now_ms = auth.now().timestamp() * 1000
    if len(state) > MAX_STATE_LENGTH:
        raise StateError("state_mismatch")
    if strategy == "cookie":
        spec = state_cookie(auth, "oauth_state")
        raw = ctx.get_cookie(spec)
        if not raw:
            raise StateError("state_mismatch")
        try:
            data = _load(decrypt_for(auth, STATE_COOKIE_PURPOSE, raw))
        except Exception:  # noqa: BLE001 - any failure to decrypt is the same answer
            data = None
        if data is None:
            raise StateError("state_invalid")
        if data.get("oauthState") != state:
            raise StateError("state_mismatch", _error_url(data))
        ctx.expire_cookie(spec)
    else:
        identifier = STATE_PREFIX + state
        row = auth.db.find_verification(identifier)
        if row is None:
            raise StateError("state_mismatch")
        data = _load(row.value)
        if data is None:
            raise StateError("state_mismatch")
        if data.get("oauthState") != state:
            raise StateError("state_mismatch", _error_url(data))
        spec = state_cookie(auth, "state")
        if not skip_cookie_check and ctx.get_signed_cookie(spec) != state:
            raise StateError("state_mismatch", _error_url(data))
        ctx.expire_cookie(spec)
        # Atomic: of two callbacks racing with one state only one gets the row.
        if auth.db.consume_verification(ctx, identifier) is None:
            raise StateError("state_mismatch", _error_url(data))
    if data["expiresAt"] < now_ms:
        raise StateError("state_mismatch", _error_url(data))
    return data
