"""How long a string each column takes, read from the schema itself, and the check that
every write passes before it reaches the database.

The limits are MySQL/MariaDB's, the strictest of the three databases: a ``varchar(n)``
column (ids, unique, indexed and sortable strings: ``user.name``, ``user.email``,
``session.token`` …) takes ``n`` characters, a ``text`` column 65,535 bytes of UTF-8.
MariaDB refuses more (error 1406, "Data too long"), which would answer 500; SQLite and
PostgreSQL would store it. Checking the same limits on every database gives one answer
everywhere: 400 ``VALIDATION_ERROR`` (``ValueTooLong``, rendered by the pipeline).

The limit comes from the column's type, so a plugin's columns (``FieldSpec`` in
``Plugin.tables``, ``user_fields`` …) are covered without a word from the plugin, and
``column_limit(auth.storage.tables.user.c.name)`` (or ``auth.storage.limit("user",
"name")``) tells a plugin what to check early, before work it cannot undo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, String, Table, Text
from sqlalchemy.dialects import mysql

from ..errors import AuthError

# MySQL/MariaDB TEXT: 2**16 - 1 bytes.
TEXT_BYTES = 65_535
_MYSQL = mysql.dialect()


@dataclass(frozen=True)
class StringLimit:
    """At most ``chars`` characters (``varchar(n)``) or ``utf8_bytes`` bytes (``text``)."""

    chars: int | None = None
    utf8_bytes: int | None = None

    def allows(self, value: str) -> bool:
        """Does the column take ``value``?"""
        if self.chars is not None and len(value) > self.chars:
            return False
        # Counting bytes only when the characters could pass them (a cheap common case).
        return self.utf8_bytes is None or len(value) * 4 <= self.utf8_bytes or \
            len(value.encode("utf-8", "surrogatepass")) <= self.utf8_bytes

    def describe(self) -> str:
        """zod's words for the limit."""
        if self.chars is not None:
            return f"Too big: expected string to have <={self.chars} characters"
        return f"Too big: expected string to have <={self.utf8_bytes} bytes (UTF-8)"


class ValueTooLong(AuthError):
    """A value longer than its column takes; answered 400 ``VALIDATION_ERROR``."""

    def __init__(self, table: str, column: str, limit: StringLimit) -> None:
        self.table = table
        self.column = column
        self.limit = limit
        super().__init__(f"[{column}] {limit.describe()}")


def column_limit(column: Column[Any]) -> StringLimit | None:
    """The longest string ``column`` takes, or ``None`` for non-string columns."""
    cached: StringLimit | None | bool = column.info.get("authkit.limit", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    impl = column.type.dialect_impl(_MYSQL)
    found: StringLimit | None = None
    if isinstance(impl, String) and not isinstance(impl, Text) and impl.length:
        found = StringLimit(chars=impl.length)
    elif isinstance(impl, Text):
        found = StringLimit(utf8_bytes=TEXT_BYTES)
    column.info["authkit.limit"] = found
    return found


def check_lengths(table: Table, values: Mapping[str, Any]) -> None:
    """Raise ``ValueTooLong`` for the first string in ``values`` its column cannot take."""
    for name, value in values.items():
        if not isinstance(value, str) or name not in table.c:
            continue
        limit = column_limit(table.c[name])
        if limit is not None and not limit.allows(value):
            raise ValueTooLong(table.name, name, limit)


def fit_key(table: Table, column: str, value: str) -> str:
    """``value``, or a fixed-length digest of it when the column cannot take it: for keys
    authkit makes itself (rate-limit keys hold the request path), where refusing would be
    wrong and truncating would merge different keys."""
    limit = column_limit(table.c[column])
    if limit is None or limit.allows(value):
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
