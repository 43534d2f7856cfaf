"""The claims of authkit's JWTs and jose's time spans ("15m", "2 days", "1h ago")."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

_SPAN = re.compile(r"^(\+|-)? ?(\d+|\d*\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h"
                   r"|days?|d|weeks?|w|years?|yrs?|y)(?: (ago|from now))?$", re.IGNORECASE)
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_UNITS = {"s": 1, "m": _MINUTE, "h": _HOUR, "d": _DAY, "w": 7 * _DAY, "y": 365.25 * _DAY}

Expiration = str | int | datetime


def time_span(text: str) -> int:
    """Seconds of a jose time span: ``"15m"`` → 900, ``"2 days"`` → 172800, ``"1h ago"`` → -3600."""
    m = _SPAN.match(text)
    if m is None:
        raise ValueError(f"invalid time span {text!r} (e.g. '30s', '15m', '1h', '2 days')")
    sign, number, unit, direction = m.groups()
    unit = unit.lower()
    key = "m" if unit.startswith("min") or unit == "m" else unit[0]
    seconds = round(float(number) * _UNITS[key])
    if sign == "-" or direction == "ago":
        return -seconds
    return seconds


def expiry(expiration: Expiration, iat: int) -> int:
    """``exp`` for a token issued at ``iat``: a span is relative, a number or a date absolute."""
    if isinstance(expiration, datetime):
        return math.floor(expiration.timestamp())
    if isinstance(expiration, int):
        return expiration
    return iat + time_span(expiration)


def build(body: Mapping[str, Any], *, iat: int, sub: str, exp: int, iss: str,
          aud: str | Sequence[str]) -> dict[str, Any]:
    """Better Auth's claim order: ``iat``, the body, ``sub``, then ``exp, iss, aud``."""
    claims: dict[str, Any] = {"iat": iat}
    claims.update(body)
    claims["sub"] = sub
    claims["exp"] = exp
    claims["iss"] = iss
    claims["aud"] = aud if isinstance(aud, str) else list(aud)
    return claims
