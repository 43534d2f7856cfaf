"""JavaScript value semantics that Better Auth's behaviour depends on, written once.

``number_to_string`` is ECMA-262 ``Number::toString`` (what ``String(n)`` and template strings
give, and the digits ``JSON.stringify`` writes); ``truthy`` is ``Boolean(value)`` for the values
a JSON body can hold; ``refuse_constant`` is the refusal of ``NaN``/``Infinity``, which Python's
``json`` accepts and ``JSON.parse`` does not. ``authkit.jsjson`` (signed JSON), the request
validation and the origin checks all use these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def number_to_string(value: float) -> str:
    """ECMAScript ``Number::toString``: ``1e21``, ``0.000001``, ``1e-7``, ``NaN``, ``-Infinity``.

    Python's ``repr`` gives the same shortest round-tripping digits as V8; only the layout
    differs.
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    _, digit_tuple, exponent = Decimal(repr(abs(float(value)))).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    k = len(digits)
    n = exponent + len(digit_tuple)  # the decimal point sits after the n-th digit
    sign = "-" if value < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def truthy(value: Any) -> bool:
    """JavaScript's ``Boolean(value)``: ``null``, ``false``, ``0``, ``NaN`` and ``""`` are
    false; arrays and objects are true even when empty. Markers for ``undefined`` (objects
    whose ``bool()`` is false) count as false."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, list | tuple | Mapping):
        return True
    return bool(value)


def refuse_constant(name: str) -> Any:
    """``json.loads(..., parse_constant=refuse_constant)``: ``NaN``, ``Infinity`` and
    ``-Infinity`` are not JSON to ``JSON.parse``, so they are not here either."""
    raise ValueError(f"{name} is not JSON")
