"""TOTP as Better Auth computes it (RFC 6238, HMAC-SHA1), through pyotp.

Better Auth uses the UTF-8 bytes of the stored secret text as the HMAC key: the secret is
*not* base32-decoded. pyotp takes a base32 secret, so the key bytes are base32-encoded on
the way in, and the codes come out identical. A secret stored as ``base32:<B32>`` (imported
from another provider) is the base32 text itself.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import quote_plus

try:
    import pyotp
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("the two-factor plugin needs pyotp: pip install 'authkit-server[two-factor]'"
                      ) from exc

from ...cookies import encode_value
from ...tokens import random_string

SECRET_ALPHABET = ("abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "0123456789-_")
BASE32_PREFIX = "base32:"


def generate_secret() -> str:
    """A new secret: 32 characters of ``[a-zA-Z0-9-_]`` (Better Auth's generateRandomString)."""
    return random_string(32, SECRET_ALPHABET)


def _base32_of(secret: str) -> str:
    """The base32 text pyotp and authenticator apps take for ``secret``."""
    if secret.startswith(BASE32_PREFIX):
        return secret[len(BASE32_PREFIX):].upper().rstrip("=")
    return base64.b32encode(secret.encode("utf-8")).decode("ascii").rstrip("=")


def _totp(secret: str, digits: int, period: int) -> pyotp.TOTP:
    b32 = _base32_of(secret)
    # pyotp decodes with padding; the URI and apps use the unpadded form.
    return pyotp.TOTP(b32 + "=" * (-len(b32) % 8), digits=digits, interval=period)


def code_at(secret: str, at: float, *, digits: int = 6, period: int = 30) -> str:
    """The code for unix time ``at``."""
    return _totp(secret, digits, period).at(int(at))


def verify(secret: str, code: str, *, digits: int = 6, period: int = 30,
           now: float | None = None) -> bool:
    """Is ``code`` the code of the current period or of one period either side?

    Only ASCII digits of the right length can match: pyotp would NFKC-normalise full-width
    digits into a match that Better Auth refuses.
    """
    if len(code) != digits or not (code.isascii() and code.isdigit()):
        return False
    at = time.time() if now is None else now
    return _totp(secret, digits, period).verify(code, for_time=int(at), valid_window=1)


def uri(secret: str, *, issuer: str, account: str, digits: int = 6, period: int = 30) -> str:
    """The ``otpauth://`` URI for authenticator apps, byte for byte as Better Auth builds it:
    ``encodeURIComponent`` in the path, ``URLSearchParams`` (space as ``+``) in the query, in
    the order secret, issuer, digits, period."""
    query = "&".join(f"{k}={_form(v)}" for k, v in (
        ("secret", _base32_of(secret)), ("issuer", issuer), ("digits", str(digits)),
        ("period", str(period))))
    return f"otpauth://totp/{encode_value(issuer)}:{encode_value(account)}?{query}"


def _form(value: str) -> str:
    # application/x-www-form-urlencoded as URLSearchParams writes it: only *-._ stay as is.
    return quote_plus(value, safe="*").replace("~", "%7E")


__all__ = ["BASE32_PREFIX", "code_at", "generate_secret", "uri", "verify"]
