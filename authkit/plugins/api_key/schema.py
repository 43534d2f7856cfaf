"""The ``apikey`` table (21 columns plus ``id``, Better Auth's order) and its wire shape.

``key`` holds ``base64url(SHA-256(key))`` without padding, ``metadata`` and ``permissions``
JSON text (a key made without metadata stores the text ``null``), durations in milliseconds.
There is no foreign key on ``referenceId``: deleting a user leaves its keys, as on Node.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from ...models import iso
from ...storage.fields import FieldSpec

MODEL = "apikey"
APIKEY_TABLE: dict[str, Sequence[FieldSpec]] = {MODEL: (
    FieldSpec("configId", "string", required=True, default="default", index=True),
    FieldSpec("name", "string"),
    FieldSpec("start", "string"),
    FieldSpec("referenceId", "string", required=True, index=True),
    FieldSpec("prefix", "string"),
    FieldSpec("key", "string", required=True, index=True),
    FieldSpec("refillInterval", "number"),
    FieldSpec("refillAmount", "number"),
    FieldSpec("lastRefillAt", "date"),
    FieldSpec("enabled", "boolean", default=True),
    FieldSpec("rateLimitEnabled", "boolean", default=True),
    FieldSpec("rateLimitTimeWindow", "number"),
    FieldSpec("rateLimitMax", "number"),
    FieldSpec("requestCount", "number", default=0),
    FieldSpec("remaining", "number"),
    FieldSpec("lastRequest", "date"),
    FieldSpec("expiresAt", "date"),
    FieldSpec("createdAt", "date", required=True),
    FieldSpec("updatedAt", "date", required=True),
    FieldSpec("permissions", "string"),
    FieldSpec("metadata", "string"),
)}
COLUMNS = ("id", *(spec.name for spec in APIKEY_TABLE[MODEL]))


def hash_key(key: str) -> str:
    """What the ``key`` column stores: unpadded base64url of SHA-256."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def parse_json(text: Any) -> Any:
    """A JSON column's value; unparseable text reads as ``None``."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def metadata_of(row: dict[str, Any]) -> tuple[Any, bool]:
    """(metadata, was double-encoded): older rows hold a JSON string of the JSON."""
    value = parse_json(row.get("metadata"))
    if isinstance(value, str):
        return parse_json(value), True
    return value, False


def wire(row: dict[str, Any], *, key: str | None = None) -> dict[str, Any]:
    """The key object: columns in table order, ``id`` last; ``key`` only when given (create)."""
    out: dict[str, Any] = {}
    for name in COLUMNS[1:]:
        if name == "key":
            if key is not None:
                out["key"] = key
            continue
        value = row.get(name)
        if name == "metadata":
            value = metadata_of(row)[0]
        elif name == "permissions":
            value = parse_json(value) if value else None
        elif name in ("lastRefillAt", "lastRequest", "expiresAt", "createdAt", "updatedAt"):
            value = iso(value)
        out[name] = value
    out["id"] = row["id"]
    return out
