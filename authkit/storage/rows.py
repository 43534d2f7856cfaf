"""Generic row access by model name: what plugins use for their own tables.

Better Auth's plugins reach their tables through the adapter's ``create``, ``findOne``,
``findMany``, ``count``, ``update`` and ``delete``; these are the same operations for
authkit's plugins, so each plugin does not write its own SQL. Rows are plain dicts keyed by
column name (Better Auth's camelCase field names); the column types convert values (aware
UTC ``datetime``, ``bool``, JSON lists) exactly as for the core tables, so a row written here
reads the same from Node.

``where`` is either a mapping (``column == value``; ``None`` means ``IS NULL``) or a
sequence of ``Condition`` values, ANDed. Values come from server code, not from query
strings, so they are used as given (always as bound parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, func, select, true
from sqlalchemy import exc as sa_exc
from sqlalchemy import update as sa_update

from ..tokens import generate_id
from .engine import unique_violation
from .errors import DuplicateError
from .limits import StringLimit, check_lengths, column_limit
from .query import Condition, QueryError, Sort, like_pattern
from .tables import Tables

Where = Mapping[str, Any] | Sequence[Condition]

# The escape character like_pattern uses (not a backslash: MySQL reads one as an escape).
_ESCAPE = "!"


def _clause(table: Table, where: Where) -> ColumnElement[bool]:
    conditions = ([Condition(k, "eq", v) for k, v in where.items()]
                  if isinstance(where, Mapping) else list(where))
    parts: list[ColumnElement[bool]] = []
    for cond in conditions:
        if cond.field not in table.c:
            raise QueryError(f"{table.name} has no column {cond.field!r}")
        col = table.c[cond.field]
        op, value = cond.operator, cond.value
        if op == "eq":
            parts.append(col.is_(None) if value is None else col == value)
        elif op == "ne":
            parts.append(col.is_not(None) if value is None else col != value)
        elif op == "lt":
            parts.append(col < value)
        elif op == "lte":
            parts.append(col <= value)
        elif op == "gt":
            parts.append(col > value)
        elif op == "gte":
            parts.append(col >= value)
        elif op in ("in", "not_in"):
            values = list(value)
            if op == "in":
                parts.append(col.in_(values))
            else:
                parts.append(col.not_in(values))
        elif op in ("contains", "starts_with", "ends_with"):
            parts.append(col.like(like_pattern(str(value), op), escape=_ESCAPE))
        else:
            raise QueryError(f"unknown operator {op!r}")
    return and_(true(), *parts)


class RowOps:
    """The generic operations; mixed into ``SQLStorage`` and ``Tx`` (see :mod:`.sql`)."""

    _tables: Tables

    def _connection(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _reading(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def table(self, model: str) -> Table:
        """The table of a model name (``"user"``, ``"twoFactor"``, ...)."""
        found = self._tables.metadata.tables.get(model)
        if found is None:
            raise QueryError(f"no table named {model!r} in the schema")
        return found

    def limit(self, model: str, column: str) -> StringLimit | None:
        """The longest string ``model.column`` takes (``None``: not a string column); what a
        plugin checks before work it cannot undo. Writes check it anyway (``ValueTooLong``)."""
        table = self.table(model)
        if column not in table.c:
            raise QueryError(f"{table.name} has no column {column!r}")
        return column_limit(table.c[column])

    def check_values(self, model: str, values: Mapping[str, Any]) -> None:
        """Raise ``ValueTooLong`` now for a value a later write of ``model`` would refuse
        (for a value kept elsewhere first, such as the new address in a change-email link)."""
        check_lengths(self.table(model), values)

    def _row_defaults(self, table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(values)
        unknown = [k for k in out if k not in table.c]
        if unknown:
            raise QueryError(f"{table.name} has no column(s) {sorted(unknown)}")
        if out.get("id") is None:
            out["id"] = generate_id()
        for spec in self._tables.fields.get(table.name, ()):
            if spec.name not in out:
                out[spec.name] = spec.default_value()
        return out

    def create_row(self, model: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert one row and return it as read back (``id`` generated when missing)."""
        table = self.table(model)
        row = self._row_defaults(table, values)
        check_lengths(table, row)
        with self._connection() as conn:
            try:
                conn.execute(table.insert().values(**row))
            except sa_exc.IntegrityError as exc:
                duplicate, column = unique_violation(exc)
                if duplicate:
                    raise DuplicateError(table.name, column) from exc
                raise
            found = conn.execute(select(table).where(table.c.id == row["id"])).mappings().first()
        return dict(found) if found is not None else row

    def find_row(self, model: str, where: Where) -> dict[str, Any] | None:
        """The first row matching ``where``, or ``None``."""
        rows = self.find_rows(model, where, limit=1)
        return rows[0] if rows else None

    def find_rows(self, model: str, where: Where = (), *, sort: Sort | None = None,
                  limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """Every row matching ``where``, optionally sorted and paged."""
        table = self.table(model)
        query = select(table).where(_clause(table, where))
        if sort is not None:
            if sort.field not in table.c:
                raise QueryError(f"{table.name} has no column {sort.field!r}")
            col = table.c[sort.field]
            query = query.order_by(col.desc() if sort.direction == "desc" else col.asc())
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self._reading() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def count_rows(self, model: str, where: Where = ()) -> int:
        """How many rows match ``where``."""
        table = self.table(model)
        query = select(func.count()).select_from(table).where(_clause(table, where))
        with self._reading() as conn:
            return int(conn.execute(query).scalar() or 0)

    def update_rows(self, model: str, where: Where, values: Mapping[str, Any]) -> int:
        """Set ``values`` on every row matching ``where``; return how many rows matched."""
        table = self.table(model)
        unknown = [k for k in values if k not in table.c or k == "id"]
        if unknown:
            raise QueryError(f"cannot update {table.name} column(s) {sorted(unknown)}")
        if not values:
            return self.count_rows(model, where)
        check_lengths(table, values)
        with self._connection() as conn:
            try:
                done = conn.execute(sa_update(table).where(_clause(table, where))
                                    .values(**values))
            except sa_exc.IntegrityError as exc:
                duplicate, column = unique_violation(exc)
                if duplicate:
                    raise DuplicateError(table.name, column) from exc
                raise
            return int(done.rowcount or 0)

    def delete_rows(self, model: str, where: Where) -> int:
        """Delete every row matching ``where``; return how many were deleted."""
        table = self.table(model)
        with self._connection() as conn:
            done = conn.execute(delete(table).where(_clause(table, where)))
            return int(done.rowcount or 0)
