"""JSON exactly as JavaScript writes and revives it, for values that are signed as text.

Better Auth's compact cookie cache signs ``JSON.stringify`` of an object that the verifier
rebuilds from the cookie, with ISO date strings revived into ``Date`` objects on the way
(docs/wire-compatibility.md#cookie-cache). A Python signer or verifier must therefore produce the
very bytes V8 would:
``stringify`` follows ECMA-262 ``JSON.stringify`` (key order, number formatting, escapes) and
``parse`` follows ``JSON.parse`` with Better Auth's ``reviveDate`` reviver.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .js import number_to_string, refuse_constant
from .models import iso

# Better Auth's iso8601Regex (core/utils/json): only UTC "Z" strings are revived.
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")
# Array-index keys ("0" .. "4294967294") come first in a JS object, in numeric order.
_INDEX = re.compile(r"^(?:0|[1-9][0-9]{0,9})$")
_SURROGATE = re.compile("[\ud800-\udfff]")


def revive_date(value: str) -> datetime | str:
    """A ``Date`` for an ISO-8601 UTC string (as ``new Date(value)``), else the string."""
    if len(value) < 20 or value[-1] != "Z" or value[10] != "T":
        return value  # cheap rejection: most strings are not dates
    m = _ISO.match(value)
    if m is None:
        return value
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    millis = int((m.group(7) or "0")[:3].ljust(3, "0"))
    try:
        return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    except ValueError:
        # JS gives an Invalid Date here, which the reviver leaves as the string.
        return value


def _revive(value: Any) -> Any:
    # The hot path of every cookie-cache read: the cheap "could be a date" test is inlined.
    if isinstance(value, dict):
        return {k: (revive_date(v) if type(v) is str and len(v) >= 20 and v[-1] == "Z"
                    else _revive(v) if isinstance(v, dict | list) else v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    if isinstance(value, str):
        return revive_date(value)
    return value


def parse(text: str | bytes, *, revive: bool = True) -> Any:
    """``JSON.parse`` (NaN/Infinity refused), with Better Auth's date reviver by default."""
    value = json.loads(text, parse_constant=refuse_constant)
    return _revive(value) if revive else value


def revive(value: Any) -> Any:
    """Better Auth's ``reviveDates`` over an already parsed value."""
    return _revive(value)


def js_number(value: float) -> str:
    """ECMA-262 ``Number::toString`` as ``JSON.stringify`` writes it (non-finite: ``null``)."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers")
    if isinstance(value, int):
        if abs(value) <= 2**53:
            return str(value)
        value = float(value)
    if not math.isfinite(value):
        return "null"  # JSON.stringify writes non-finite numbers as null
    return number_to_string(value)


def _string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    # Well-formed JSON.stringify escapes lone surrogates instead of emitting them raw.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _keys(obj: Mapping[str, Any]) -> list[str]:
    index = sorted((k for k in obj if _INDEX.match(k) and int(k) < 2**32 - 1), key=int)
    taken = set(index)
    return index + [k for k in obj if k not in taken]


def stringify(value: Any) -> str:
    """``JSON.stringify(value)``: no whitespace, dates as ``toISOString()``.

    ``None`` is ``null``; dict entries whose value is ``UNDEFINED`` are left out, as JS
    leaves out ``undefined`` properties.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, datetime):
        return _string(iso(value) or "")
    if isinstance(value, Mapping):
        parts = []
        for key in _keys(value):
            item = value[key]
            if item is UNDEFINED:
                continue
            parts.append(f"{_string(str(key))}:{stringify(item)}")
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join("null" if v is UNDEFINED else stringify(v) for v in value) + "]"
    raise TypeError(f"cannot stringify {type(value).__name__}")


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Any = _Undefined()

