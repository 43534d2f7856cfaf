"""Email tokens (stateless HS256 JWTs, docs/wire-compatibility.md#send-verification-email,
docs/wire-compatibility.md#tokens) and sending verification links.

A token is ``{email, updateTo?, requestType?, userId, iat, exp}`` signed with the current
secret, byte-compatible with Better Auth's ``signJWT``: a token minted by either server
verifies in the other when they share the secret. Verification is strict
(docs/security.md#emailed-tokens): only
``HS256`` with one of the configured secrets, a header holding nothing but ``alg`` and
``typ`` (no ``kid``/``jku``/``crit`` to steer key selection), ``exp``/``iat``/``nbf`` checked
against the server's clock, and a payload shaped like one of the three purposes
(plain verification, change-email confirmation, change-email verification).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt

from .cookies import encode_value
from .errors import AuthError
from .mail.dispatch import call_email_callback
from .models import User
from .validation import is_valid_email

if TYPE_CHECKING:
    from .core import AuthKit
    from .endpoints.context import Context

log = logging.getLogger("authkit")

CHANGE_EMAIL_CONFIRMATION = "change-email-confirmation"
CHANGE_EMAIL_VERIFICATION = "change-email-verification"
REQUEST_TYPES = frozenset({CHANGE_EMAIL_CONFIRMATION, CHANGE_EMAIL_VERIFICATION})
# Two servers sharing a secret behind one load balancer may disagree on the time by a few
# seconds; a token "issued" further in the future than this was not issued by either.
CLOCK_SKEW = 30
# Our tokens are a few hundred bytes; refuse to parse anything absurd.
MAX_TOKEN_LENGTH = 4096
_ALLOWED_HEADER = frozenset({"alg", "typ"})


class EmailTokenError(AuthError):
    """A token that does not verify; ``code`` is ``INVALID_TOKEN`` or ``TOKEN_EXPIRED``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class EmailClaims:
    """The verified payload of an email token."""

    email: str
    user_id: str
    update_to: str | None = None
    request_type: str | None = None


def create_email_token(auth: AuthKit, email: str, user_id: str, *,
                       update_to: str | None = None, request_type: str | None = None) -> str:
    """Mint a token, keys in Better Auth's order (``email, updateTo, requestType, userId``)."""
    iat = int(auth.now().timestamp())
    payload: dict[str, Any] = {"email": email.lower()}
    if update_to is not None:
        payload["updateTo"] = update_to.lower()
    if request_type is not None:
        payload["requestType"] = request_type
    payload.update({"userId": user_id, "iat": iat,
                    "exp": iat + auth.options.email_verification.expires_in})
    # typ=None drops PyJWT's "typ" header: jose's header is exactly {"alg":"HS256"}.
    return jwt.encode(payload, auth.secrets.current.reveal(), algorithm="HS256",
                      headers={"typ": None})


def decode_email_token(auth: AuthKit, token: str) -> EmailClaims:
    """Verify ``token`` and return its claims; ``EmailTokenError`` says why it failed."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise EmailTokenError("INVALID_TOKEN")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise EmailTokenError("INVALID_TOKEN") from None
    if (header.get("alg") != "HS256" or not set(header) <= _ALLOWED_HEADER
            or header.get("typ", "JWT") != "JWT"):
        raise EmailTokenError("INVALID_TOKEN")
    payload = _verified_payload(auth, token)
    _check_times(auth, payload)
    return _claims(payload)


def _verified_payload(auth: AuthKit, token: str) -> dict[str, Any]:
    # Time claims are checked against the configured clock below, not PyJWT's time.time().
    options: Any = {"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                    "verify_aud": False, "verify_iss": False, "require": []}
    for secret in auth.secrets.all:  # rotation: any configured secret may have signed it
        try:
            payload = jwt.decode(token, secret.reveal(), algorithms=["HS256"], options=options)
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            break
        if isinstance(payload, dict):
            return payload
        break
    raise EmailTokenError("INVALID_TOKEN")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_times(auth: AuthKit, payload: dict[str, Any]) -> None:
    now = auth.now().timestamp()
    iat, exp, nbf = payload.get("iat"), payload.get("exp"), payload.get("nbf")
    # A token without an expiry would be valid forever: neither server mints one.
    if not _number(iat) or not _number(exp) or (nbf is not None and not _number(nbf)):
        raise EmailTokenError("INVALID_TOKEN")
    assert iat is not None and exp is not None
    if (nbf is not None and nbf > now) or iat > now + CLOCK_SKEW:
        raise EmailTokenError("INVALID_TOKEN")
    if exp <= now:  # jose's rule: expired once exp is reached
        raise EmailTokenError("TOKEN_EXPIRED")


def _claims(payload: dict[str, Any]) -> EmailClaims:
    email, user_id = payload.get("email"), payload.get("userId")
    update_to, request_type = payload.get("updateTo"), payload.get("requestType")
    if not isinstance(email, str) or not is_valid_email(email):
        raise EmailTokenError("INVALID_TOKEN")
    # Tokens are bound to the user they were issued for (docs/security.md#emailed-tokens); Better
    # Auth 1.7 always
    # includes userId, so a token without one is not one of ours.
    if not isinstance(user_id, str) or not user_id:
        raise EmailTokenError("INVALID_TOKEN")
    if update_to is None and request_type is None:
        return EmailClaims(email, user_id)
    # A change-email token must say which step it is, and a step needs its target address:
    # neither kind can stand in for the other or for a plain verification
    # (docs/security.md#emailed-tokens).
    if (request_type not in REQUEST_TYPES or not isinstance(update_to, str)
            or not is_valid_email(update_to)):
        raise EmailTokenError("INVALID_TOKEN")
    return EmailClaims(email, user_id, update_to.lower(), request_type)


def verification_url(ctx: Context, token: str, callback_url: str | None) -> str:
    """``<baseURL>/verify-email?token=…&callbackURL=…`` (``/`` when none was given)."""
    return (f"{ctx.base_url}/verify-email?token={token}"
            f"&callbackURL={encode_value(callback_url or '/')}")


def send_verification_email(ctx: Context, user: User, callback_url: str | None, *,
                            token: str | None = None) -> None:
    """Mail the verification link to ``user.email``; a failing sender is only logged."""
    sender = ctx.auth.options.email_verification.send_verification_email
    if sender is None:
        return
    if token is None:
        token = create_email_token(ctx.auth, user.email, user.id)
    call_email_callback(sender, "verify-email", user=user,
                        url=verification_url(ctx, token, callback_url), token=token)
