"""``FieldSpec``: an extra column brought by a plugin or by ``additional_fields``.

The same attributes as Better Auth's ``DBFieldAttribute`` (``type``, ``required``,
``defaultValue``, ``input``, ``returned``, ``unique``, ``index``, ``sortable``,
``references``), so a schema declared for Node maps over one to one and both create the
same column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError

FieldType = Literal["string", "number", "boolean", "date", "string[]", "number[]"]
FIELD_TYPES: frozenset[str] = frozenset(
    ("string", "number", "boolean", "date", "string[]", "number[]")
)

# Column names end up quoted in DDL, but a plain identifier keeps them portable and readable.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class FieldSpec:
    """One extra column. ``name`` is both the wire (camelCase) key and the column name.

    ``default`` is a value or a zero-argument callable, applied by storage when a create call
    does not give the field. ``references=(table, column)`` adds a foreign key with
    ``ON DELETE CASCADE``. ``string[]``/``number[]`` are stored as JSON, as Better Auth does.
    ``bigint`` widens a ``number`` column (Better Auth's ``bigint: true``). ``validator``
    checks client input (Better Auth's ``validator.input``): it returns the value to store or
    raises ``ValueError`` whose message becomes the 400 ``VALIDATION_ERROR`` message.
    """

    name: str
    type: FieldType
    required: bool = False
    default: Any = None
    input: bool = True
    returned: bool = True
    unique: bool = False
    index: bool = False
    sortable: bool = False
    references: tuple[str, str] | None = None
    bigint: bool = False
    validator: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(
                f"field name {self.name!r} must be an identifier (letters, digits, underscore)"
            )
        if self.type not in FIELD_TYPES:
            raise ConfigError(
                f"field {self.name!r}: type {self.type!r} is not one of {sorted(FIELD_TYPES)}"
            )
        if self.bigint and self.type != "number":
            raise ConfigError(f"field {self.name!r}: bigint applies to number fields only")
        if self.references is not None and len(self.references) != 2:
            raise ConfigError(f"field {self.name!r}: references must be (table, column)")

    def default_value(self) -> Any:
        """The default to store when a create call omits the field (callables are called)."""
        if callable(self.default):
            factory: Callable[[], Any] = self.default
            return factory()
        return self.default


@dataclass(frozen=True)
class IndexSpec:
    """An extra index on existing columns, for a plugin's queries (list-users sorts and filters).

    ``name`` defaults to Better Auth's ``<table>_<column>_idx``. ``pattern=True`` makes a
    PostgreSQL-only ``text_pattern_ops`` index, the one that serves ``LIKE 'prefix%'`` under any
    collation; other databases use their ordinary index for that and get none.
    """

    table: str
    columns: tuple[str, ...]
    name: str | None = None
    pattern: bool = False

    def __post_init__(self) -> None:
        if not self.columns or not all(_NAME.match(c) for c in self.columns):
            raise ConfigError(f"index on {self.table!r}: columns must be identifiers")
        if self.pattern and len(self.columns) != 1:
            raise ConfigError(f"index on {self.table!r}: a pattern index takes one column")
