"""authkit.js: the JavaScript semantics written once (vectors checked against V8)."""

from __future__ import annotations

import json

import pytest

from authkit.js import number_to_string, refuse_constant, truthy


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (-0.0, "0"), (1.0, "1"), (1.5, "1.5"), (-2.25, "-2.25"), (1e21, "1e+21"),
    (1e20, "100000000000000000000"), (0.000001, "0.000001"), (1e-7, "1e-7"),
    (123456789.125, "123456789.125"), (5e-324, "5e-324"), (1.7976931348623157e308,
                                                           "1.7976931348623157e+308"),
    (float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity"),
])
def test_number_to_string(value: float, text: str) -> None:
    assert number_to_string(value) == text


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), (False, False), (0, False), (0.0, False), (float("nan"), False), ("", False),
    (True, True), (1, True), (-0.5, True), ("0", True), ("false", True), ([], True), ({}, True),
])
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"a": NaN}'])
def test_non_finite_constants_are_not_json(text: str) -> None:
    with pytest.raises(ValueError, match="is not JSON"):
        json.loads(text, parse_constant=refuse_constant)
