"""The two storage failures the HTTP layer answers differently from a plain 500.

``DuplicateError`` is a unique-key clash (the caller answers ``USER_ALREADY_EXISTS`` or the
like); ``StorageUnavailable`` means the database could not be reached or is overloaded, which
the HTTP layer answers 503 with ``Retry-After`` (docs/security.md#decisions) rather than
treating the visitor as signed out. Every other database error propagates unchanged.
"""

from __future__ import annotations

from ..errors import AuthError


class DuplicateError(AuthError):
    """An insert or update hit a unique key (``user.email``, ``session.token`` ...)."""

    def __init__(self, table: str, column: str | None = None) -> None:
        self.table = table
        self.column = column
        where = f"{table}.{column}" if column else table
        super().__init__(f"duplicate value for a unique key of {where}")


class StorageUnavailable(AuthError):
    """The database is down, unreachable, or refused the work for now (retry later)."""
