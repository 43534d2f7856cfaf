"""Storage: Better Auth's schema in SQLAlchemy Core, and the only module that runs SQL.

``build_tables`` gives the schema (plus plugin columns as ``FieldSpec``), ``SQLStorage``
reads and writes it on SQLite, PostgreSQL or MySQL/MariaDB, interchangeably with a Node
Better Auth 1.7 on the same database. Errors callers handle: ``DuplicateError`` (a unique
key clash) and ``StorageUnavailable`` (the database is down: answer 503).
"""

from .errors import DuplicateError, StorageUnavailable
from .fields import FieldSpec, FieldType
from .sql import SQLStorage, Tx
from .tables import Tables, build_tables

__all__ = [
    "DuplicateError",
    "FieldSpec",
    "FieldType",
    "SQLStorage",
    "StorageUnavailable",
    "Tables",
    "Tx",
    "build_tables",
]
