"""Backup codes: generated, stored (encrypted by default) and used once.

Stored as Better Auth stores them: the compact JSON array of the codes, in their original
order, through ``symmetric_encrypt`` (``store="encrypted"``) or as the JSON itself
(``store="plain"``). A value that does not decrypt or parse reads as "no codes".
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Literal

from ...crypto.symmetric import symmetric_decrypt, symmetric_encrypt
from ...tokens import ALPHANUMERIC, random_string

Store = Literal["encrypted", "plain"]


def generate(amount: int = 10, length: int = 10) -> list[str]:
    """``amount`` codes of ``length`` characters ``[a-zA-Z0-9]``, shown as ``XXXXX-YYYYY``."""
    codes = [random_string(length, ALPHANUMERIC) for _ in range(amount)]
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def encode(codes: list[str], secret: Any, store: Store) -> str:
    """The column value for ``codes``."""
    text = json.dumps(codes, separators=(",", ":"), ensure_ascii=False)
    return symmetric_encrypt(secret, text) if store == "encrypted" else text


def decode(stored: str, secret: Any, store: Store) -> list[str] | None:
    """The codes of a column value, or ``None`` when it cannot be read."""
    try:
        text = symmetric_decrypt(secret, stored) if store == "encrypted" else stored
        value = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        return None
    return value


def take(codes: list[str], code: str) -> list[str] | None:
    """The codes left once ``code`` is used, or ``None`` when it is not one of them.

    Every stored code is compared (in constant time) whatever matched, so the time taken does
    not tell how far into the list a guess got.
    """
    given = code.encode("utf-8")
    found = False
    for candidate in codes:
        found = hmac.compare_digest(candidate.encode("utf-8"), given) | found
    if not found:
        return None
    return [c for c in codes if c != code]
