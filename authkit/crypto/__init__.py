"""Cryptography shared by the core and the plugins (values Better Auth also reads and writes)."""

from .symmetric import (
    DecryptionError,
    SecretConfig,
    looks_encrypted,
    purpose_key,
    symmetric_decrypt,
    symmetric_encrypt,
)

__all__ = [
    "DecryptionError",
    "SecretConfig",
    "looks_encrypted",
    "purpose_key",
    "symmetric_decrypt",
    "symmetric_encrypt",
]
