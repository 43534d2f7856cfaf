"""Better Auth's symmetric JWE: ``dir`` + ``A256CBC-HS512`` with an HKDF-derived key.

What ``symmetricEncodeJWT`` / ``symmetricDecodeJWT`` (better-auth 1.7.25 on jose 6) do, with
pyca/cryptography (docs/wire-compatibility.md#cookie-cache):

* key = HKDF-SHA256(ikm = secret, salt, info = "BetterAuth.js Generated Encryption Key", 64 B);
* header ``{"alg":"dir","enc":"A256CBC-HS512","kid":<RFC 7638 thumbprint of the key>}``;
* claims = payload + ``iat``, ``exp``, ``jti``; 15 s of clock tolerance when reading.

Reading refuses, before any decryption (docs/security.md#sessions, python-jose CVE-2024-33664
class): tokens
over ``MAX_TOKEN_SIZE``, a ``zip`` header (jose does not implement compression either, so a
compressed token can never be legitimate), ``crit``, any other ``alg``/``enc``, and a
non-empty encrypted key. ``A256GCM``, which Better Auth lists as accepted, needs a 32-byte
key that the 64-byte derived key can never be, so jose refuses it too; so does authkit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import jsjson
from .errors import AuthError
from .tokens import Secret, SecretList

INFO = b"BetterAuth.js Generated Encryption Key"
ENC = "A256CBC-HS512"
CLOCK_TOLERANCE = 15
# A cookie cache (chunked at most 100 × 4 KB in Better Auth) never needs more; larger input
# is refused unread so a hostile cookie costs no decoding work.
MAX_TOKEN_SIZE = 64 * 1024


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url (no padding, no other alphabet) → bytes; ``ValueError`` otherwise."""
    if not text.isascii() or any(c in text for c in "+/= \t\r\n"):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:
        # Non-zero padding bits: another spelling of the same bytes. Refused, so a token
        # has exactly one accepted form (a flipped last character never still verifies).
        raise ValueError("non-canonical base64url")
    return data


@lru_cache(maxsize=64)
def _derive(secret_key: bytes, salt: bytes) -> tuple[bytes, str]:
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=INFO).derive(secret_key)
    # RFC 7638: the required members in lexicographic order, no whitespace.
    jwk = '{"k":"' + b64url(key) + '","kty":"oct"}'
    kid = b64url(hashlib.sha256(jwk.encode("ascii")).digest())
    return key, kid


def derive_key(secret: Secret, salt: str) -> tuple[bytes, str]:
    """The 64-byte content key for ``salt`` and its ``kid`` thumbprint."""
    return _derive(secret.key, salt.encode("utf-8"))


def _tag(mac_key: bytes, aad: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    al = (len(aad) * 8).to_bytes(8, "big")
    return hmac.new(mac_key, aad + iv + ciphertext + al, hashlib.sha512).digest()[:32]


def encrypt(claims: str, secrets: SecretList, salt: str) -> str:
    """Encrypt the JSON text ``claims`` with the current secret (compact serialization)."""
    key, kid = derive_key(secrets.current, salt)
    header = b64url(json.dumps({"alg": "dir", "enc": ENC, "kid": kid},
                               separators=(",", ":")).encode("ascii"))
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(claims.encode("utf-8")) + padder.finalize()
    enc = Cipher(algorithms.AES(key[32:]), modes.CBC(iv)).encryptor()
    ciphertext = enc.update(plain) + enc.finalize()
    tag = _tag(key[:32], header.encode("ascii"), iv, ciphertext)
    return f"{header}..{b64url(iv)}.{b64url(ciphertext)}.{b64url(tag)}"


def new_jti() -> str:
    """A random UUID, as ``crypto.randomUUID()``."""
    return str(uuid.uuid4())


class JWEError(AuthError, ValueError):
    """A token that is malformed, refused or does not decrypt (callers treat it as absent)."""


def _decrypt_with(key: bytes, header_b64: str, iv: bytes, ciphertext: bytes,
                  tag: bytes) -> bytes:
    if not hmac.compare_digest(_tag(key[:32], header_b64.encode("ascii"), iv, ciphertext), tag):
        raise JWEError("authentication tag mismatch")
    dec = Cipher(algorithms.AES(key[32:]), modes.CBC(iv)).decryptor()
    plain = dec.update(ciphertext) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError:
        raise JWEError("bad padding") from None


def decrypt(token: str, secrets: SecretList, salt: str, now: float) -> dict[str, Any]:
    """The claims of a token from ``encrypt`` (any configured secret), or ``JWEError``.

    ``now`` is epoch seconds; ``exp`` and ``nbf`` are checked with jose's 15 s tolerance.
    """
    if len(token) > MAX_TOKEN_SIZE:
        raise JWEError("token too large")
    parts = token.split(".")
    if len(parts) != 5:
        raise JWEError("not a compact JWE")
    header_b64, encrypted_key, iv_b64, ct_b64, tag_b64 = parts
    try:
        header = jsjson.parse(b64url_decode(header_b64), revive=False)
        iv, ciphertext, tag = (b64url_decode(p) for p in (iv_b64, ct_b64, tag_b64))
    except ValueError:
        raise JWEError("malformed JWE") from None
    if not isinstance(header, dict):
        raise JWEError("header is not an object")
    if "zip" in header:
        raise JWEError("compressed JWE refused")  # never decompressed (docs/security.md#sessions)
    if "crit" in header or header.get("alg") != "dir" or header.get("enc") != ENC:
        raise JWEError("unsupported JWE header")
    if encrypted_key or len(iv) != 16 or len(tag) != 32 or not ciphertext \
            or len(ciphertext) % 16:
        raise JWEError("malformed JWE")
    kid = header.get("kid")
    if kid is not None:
        # A kid names its secret: try that one only, as Better Auth does.
        for secret in secrets.all:
            key, expected = derive_key(secret, salt)
            if hmac.compare_digest(str(kid).encode(), expected.encode()):
                plain = _decrypt_with(key, header_b64, iv, ciphertext, tag)
                break
        else:
            raise JWEError("no secret matches the kid")
    else:
        plain = b""
        for secret in secrets.all:
            try:
                plain = _decrypt_with(derive_key(secret, salt)[0], header_b64, iv,
                                      ciphertext, tag)
                break
            except JWEError:
                continue
        else:
            raise JWEError("no secret decrypts the token")
    try:
        claims = jsjson.parse(plain, revive=False)
    except ValueError:
        raise JWEError("claims are not JSON") from None
    if not isinstance(claims, dict):
        raise JWEError("claims are not an object")
    check_times(claims, now, CLOCK_TOLERANCE)
    return claims


def check_times(claims: dict[str, Any], now: float, tolerance: int) -> None:
    """jose's ``exp``/``nbf``/``iat`` rules (``JWEError`` when they fail)."""
    for name in ("iat", "nbf", "exp"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, int | float)):
            raise JWEError(f"{name} is not a number")
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if nbf is not None and nbf > now + tolerance:
        raise JWEError("not yet valid")
    if exp is not None and exp <= now - tolerance:
        raise JWEError("expired")
