"""Better Auth's ``symmetricEncrypt``/``symmetricDecrypt``, byte for byte.

Stored secrets that Better Auth encrypts (two-factor secrets and backup codes, OAuth tokens,
JWT private keys, OAuth state cookies) use one format, so authkit and a Node server on the
same database read each other's values:

* key: SHA-256 of the secret's UTF-8 bytes (no KDF);
* XChaCha20-Poly1305 with a random 24-byte nonce, no associated data;
* output: lower-case hex of ``nonce ‖ ciphertext ‖ tag``;
* with versioned secrets, the hex is wrapped as ``$ba$<version>$<hex>`` under the current
  version; a bare hex value then decrypts with the legacy (unversioned) secret.

libsodium (through PyNaCl) provides XChaCha20-Poly1305; ``cryptography`` has only the
12-byte-nonce ChaCha20-Poly1305.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl import bindings
from nacl.exceptions import CryptoError

from ..errors import AuthError

_NONCE = 24
_TAG = 16
_ENVELOPE = re.compile(r"^\$ba\$(\d+)\$([0-9a-f]*)$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
# HKDF parameters of Better Auth's purpose keys (OAuth state cookie, link session token).
_PURPOSE_SALT = b"better-auth:oauth-encryption:v1"


class DecryptionError(AuthError, ValueError):
    """A value that does not decrypt with any configured secret (tampered, or another key)."""


@dataclass(frozen=True, repr=False)
class SecretConfig:
    """The secrets values are encrypted with: Better Auth's ``secretConfig``.

    ``versions`` is ``[(version, secret), ...]`` newest first; when empty, values are bare hex
    under ``legacy[0]``. ``legacy`` are unversioned secrets, tried in order for bare hex values
    (the ``secret`` option, and authkit's older rotated secrets after it).
    """

    versions: tuple[tuple[int, str], ...] = ()
    legacy: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.versions and not self.legacy:
            raise ValueError("a SecretConfig needs at least one secret")
        seen = [v for v, _ in self.versions]
        if len(set(seen)) != len(seen):
            raise ValueError("secret versions must be distinct")

    @classmethod
    def of(cls, secret: SecretConfig | str) -> SecretConfig:
        """A config from a config or one plain secret."""
        return secret if isinstance(secret, SecretConfig) else cls(legacy=(secret,))

    @property
    def versioned(self) -> bool:
        return bool(self.versions)

    def __repr__(self) -> str:  # secrets never print
        return (f"SecretConfig(versions={[v for v, _ in self.versions]}, "
                f"legacy=<{len(self.legacy)} secret(s)>)")


def _encrypt(secret: str, plaintext: str, nonce: bytes | None = None) -> str:
    key = hashlib.sha256(secret.encode("utf-8")).digest()
    nonce = os.urandom(_NONCE) if nonce is None else nonce
    sealed = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext.encode("utf-8"), None, nonce, key)
    return (nonce + sealed).hex()


def _decrypt(secret: str, hex_data: str) -> str:
    raw = bytes.fromhex(hex_data)
    if len(raw) < _NONCE + _TAG:
        raise DecryptionError("the encrypted value is too short")
    key = hashlib.sha256(secret.encode("utf-8")).digest()
    try:
        plain = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            raw[_NONCE:], None, raw[:_NONCE], key)
    except CryptoError:
        raise DecryptionError("the value does not decrypt with this secret") from None
    return plain.decode("utf-8")


def symmetric_encrypt(secret: SecretConfig | str, plaintext: str, *,
                      nonce: bytes | None = None) -> str:
    """Encrypt as Better Auth does. ``nonce`` is for test vectors only (24 random bytes
    otherwise)."""
    config = SecretConfig.of(secret)
    if config.versions:
        version, value = config.versions[0]
        return f"$ba${version}${_encrypt(value, plaintext, nonce)}"
    return _encrypt(config.legacy[0], plaintext, nonce)


def symmetric_decrypt(secret: SecretConfig | str, data: str) -> str:
    """Decrypt a value written by either server; ``DecryptionError`` when no secret fits."""
    config = SecretConfig.of(secret)
    envelope = _ENVELOPE.match(data)
    if envelope is not None:
        version = int(envelope.group(1))
        for known, value in config.versions:
            if known == version:
                return _decrypt(value, envelope.group(2))
        raise DecryptionError(f"secret version {version} not found in keys "
                              "(key may have been retired)")
    if not _HEX.match(data):
        raise DecryptionError("not an encrypted value")
    if not config.legacy:
        raise DecryptionError("a value without a version needs the unversioned secret")
    last: DecryptionError | None = None
    for value in config.legacy:
        try:
            return _decrypt(value, data)
        except DecryptionError as exc:
            last = exc
    assert last is not None
    raise last


def looks_encrypted(value: str) -> bool:
    """Better Auth's test before decrypting a stored OAuth token: the ``$ba$`` envelope, or
    even-length hex. Anything else was stored in the clear (before encryption was on)."""
    return value.startswith("$ba$") or bool(_HEX.match(value))


def _purpose_secret(secret: str, purpose: str) -> str:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_PURPOSE_SALT,
                info=f"better-auth:{purpose}:v1".encode())
    return hkdf.derive(secret.encode("utf-8")).hex()


def purpose_key(secret: SecretConfig | str, purpose: str) -> SecretConfig:
    """The config for one purpose (``oauth-state-cookie``, ``oauth-link-session-token``): each
    secret replaced by the hex of HKDF-SHA256 over it, as Better Auth derives them."""
    config = SecretConfig.of(secret)
    return SecretConfig(
        versions=tuple((v, _purpose_secret(s, purpose)) for v, s in config.versions),
        legacy=tuple(_purpose_secret(s, purpose) for s in config.legacy))


def parse_versioned(value: str | Iterable[tuple[int, str]] | Sequence[str]
                    ) -> tuple[tuple[int, str], ...]:
    """``"2:new,1:old"`` (Better Auth's ``BETTER_AUTH_SECRETS``) or ``[(2, "new"), ...]``."""
    items: list[tuple[int, str]] = []
    raw = value.split(",") if isinstance(value, str) else list(value)
    for item in raw:
        if isinstance(item, str):
            version, sep, secret = item.strip().partition(":")
            if not sep or not version.strip().isdigit() or not secret:
                raise ValueError("versioned secrets are written 'version:secret', e.g. "
                                 "'2:new-secret,1:old-secret'")
            items.append((int(version), secret))
        else:
            number, text = item
            if not isinstance(number, int) or not isinstance(text, str) or not text:
                raise ValueError("versioned secrets are (version: int, secret: str) pairs")
            items.append((number, text))
    return tuple(items)
