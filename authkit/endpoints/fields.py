"""Additional user and session fields from request bodies (docs/wire-compatibility.md#sign-up,
docs/wire-compatibility.md#update-user)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from ..errors import APIError
from ..models import parse_iso
from ..storage.fields import FieldSpec


def parse_input_fields(specs: Sequence[FieldSpec], data: Mapping[str, Any], *,
                       action: Literal["create", "update"]) -> dict[str, Any]:
    """The declared fields present in ``data``, validated; unknown keys are dropped.

    A field the client may not set (``input=False``) with a truthy value is refused with
    ``FIELD_NOT_ALLOWED`` unless it has a default on create, which silently wins — the rule
    that keeps ``role`` and ``banned`` out of sign-up (docs/security.md#authorization).
    """
    out: dict[str, Any] = {}
    for spec in specs:
        present = spec.name in data
        if not spec.input:
            if present and data[spec.name] and (action == "update" or spec.default is None):
                raise APIError(400, "FIELD_NOT_ALLOWED", f"{spec.name} is not allowed to be set")
            if action == "create" and spec.default is not None:
                out[spec.name] = spec.default_value()
            continue
        if present:
            value = _coerce(spec, data[spec.name])
            if spec.validator is not None and value is not None:
                try:
                    value = spec.validator(value)
                except ValueError as exc:
                    raise APIError(400, "VALIDATION_ERROR", str(exc) or "Validation Error"
                                   ) from None
            out[spec.name] = value
        elif action == "create":
            if spec.default is not None:
                out[spec.name] = spec.default_value()
            elif spec.required:
                raise APIError(400, "MISSING_FIELD", f"{spec.name} is required")
    return out


def _coerce(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        if spec.required:
            raise APIError(400, "MISSING_FIELD", f"{spec.name} is required")
        return None
    ok: bool
    kind = spec.type
    if kind == "string":
        ok = isinstance(value, str) and "\x00" not in value
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "date":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return parse_iso(value)
            except ValueError:
                ok = False
        else:
            ok = False
    elif kind == "string[]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if not ok:
        expected = {"string[]": "array", "number[]": "array"}.get(kind, kind)
        raise APIError(400, "VALIDATION_ERROR",
                       f"[body.{spec.name}] Invalid input: expected {expected}")
    return value


def hidden_fields(specs: Sequence[FieldSpec]) -> frozenset[str]:
    """Names of fields never returned to clients."""
    return frozenset(s.name for s in specs if not s.returned)
