"""Storage: Better Auth's schema in SQLAlchemy Core, and the only module that runs SQL.

``build_tables`` gives the schema (plus plugin columns as ``FieldSpec``), ``SQLStorage``
reads and writes it on SQLite, PostgreSQL or MySQL/MariaDB, interchangeably with a Node
Better Auth 1.7 on the same database. Errors callers handle: ``DuplicateError`` (a unique
key clash), ``StorageUnavailable`` (the database is down: answer 503) and ``ValueTooLong``
(a string longer than its column takes, see ``limits``: answer 400).
"""

from .errors import DuplicateError, StorageUnavailable
from .fields import FieldSpec, FieldType
from .limits import StringLimit, ValueTooLong, column_limit
from .sql import SQLStorage, Tx
from .tables import Tables, build_tables

__all__ = [
    "DuplicateError",
    "FieldSpec",
    "FieldType",
    "SQLStorage",
    "StorageUnavailable",
    "StringLimit",
    "Tables",
    "Tx",
    "ValueTooLong",
    "build_tables",
    "column_limit",
]
