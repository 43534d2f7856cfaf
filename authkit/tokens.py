"""Random tokens, the secret list, and Better Auth's signed-cookie values.

A signed value is ``value + "." + base64(HMAC-SHA256(secret, value))`` with standard,
padded base64 (docs/wire-compatibility.md#signed-cookies). Secrets are a list: the first signs,
every one verifies, so a
secret can be rotated without signing everybody out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import string
from collections.abc import Iterable, Sequence

ALPHANUMERIC = string.ascii_letters + string.digits
LOWER_ALPHANUMERIC = string.digits + string.ascii_lowercase


def random_string(length: int, alphabet: str = ALPHANUMERIC) -> str:
    """``length`` characters drawn uniformly from ``alphabet`` with a CSPRNG."""
    return "".join(_secrets.choice(alphabet) for _ in range(length))


def generate_id() -> str:
    """A 32-character alphanumeric row id, as Better Auth generates them."""
    return random_string(32)


class Secret:
    """A secret string whose repr and str never show the value."""

    __slots__ = ("_key", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        self._key = value.encode("utf-8")

    def reveal(self) -> str:
        """The secret itself, for the few places that must use it."""
        return self._value

    @property
    def key(self) -> bytes:
        """The UTF-8 bytes used as the HMAC key."""
        return self._key

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._key, other._key)

    def __hash__(self) -> int:
        return hash(self._key)


class SecretList:
    """Secrets newest first: ``current`` signs, ``all`` verify."""

    __slots__ = ("_secrets", "verified_cookies")

    def __init__(self, values: Iterable[str | Secret]) -> None:
        items = [v if isinstance(v, Secret) else Secret(v) for v in values]
        if not items:
            raise ValueError("at least one secret is required")
        self._secrets: tuple[Secret, ...] = tuple(items)
        # Raw signed cookie values that verified with these secrets → their value: a
        # browser sends the same session cookie on every request (``Context``).
        self.verified_cookies: dict[str, str] = {}

    @property
    def current(self) -> Secret:
        """The secret that signs."""
        return self._secrets[0]

    @property
    def all(self) -> Sequence[Secret]:
        """Every secret, newest first."""
        return self._secrets

    def __repr__(self) -> str:
        return f"SecretList(<{len(self._secrets)} secrets>)"


def hmac_signature(secret: Secret, value: str) -> str:
    """Standard padded base64 of HMAC-SHA256(secret, value): 44 characters."""
    mac = hmac.new(secret.key, value.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def sign(value: str, secrets: SecretList) -> str:
    """``value.signature`` with the current secret (not yet percent-encoded)."""
    return f"{value}.{hmac_signature(secrets.current, value)}"


def unsign(signed: str, secrets: SecretList) -> str | None:
    """The value of a ``value.signature`` string, or ``None`` when it does not verify.

    The split is at the last dot; the signature must be 44 characters ending in ``=``,
    as Better Auth requires, so URL-safe base64 or a truncated signature is refused.
    """
    dot = signed.rfind(".")
    if dot < 1:
        return None
    value, signature = signed[:dot], signed[dot + 1:]
    if len(signature) != 44 or not signature.endswith("="):
        return None
    given = signature.encode("ascii", "replace")
    for secret in secrets.all:
        # compare_digest: no timing oracle on how many signature bytes matched.
        if hmac.compare_digest(hmac_signature(secret, value).encode("ascii"), given):
            return value
    return None
