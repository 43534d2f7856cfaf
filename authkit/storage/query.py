"""Filtered, sorted listings of a table, built only from bound parameters
(docs/security.md#authorization, docs/security.md#input-validation).

The admin plugin's list-users turns its query string into ``Condition`` and ``Sort`` values;
this module turns those into SQLAlchemy expressions. Field names are looked up among the
table's columns (never interpolated), values are converted to the column's type and always
bound, and ``LIKE`` patterns escape ``%`` and ``_`` so a search for ``50%`` matches the
literal text. Anything that cannot be expressed raises ``QueryError``; Better Auth answers
such a listing with an empty page, and so do callers of this module.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Table, and_, true
from sqlalchemy.sql.elements import UnaryExpression

from ..errors import AuthError
from ..models import parse_iso
from .types import IntBool, JSONList, UTCDateTime

Operator = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains",
                   "starts_with", "ends_with"]
OPERATORS: frozenset[str] = frozenset(
    ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "starts_with",
     "ends_with")
)
# Not a backslash: MySQL would read one inside the ESCAPE literal as an escape itself.
_ESCAPE = "!"


class QueryError(AuthError, ValueError):
    """A listing that cannot be run: unknown field, bad operator, or a value of the wrong type."""


@dataclass(frozen=True)
class Condition:
    """``field <operator> value``; conditions of one listing are ANDed."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True)
class Sort:
    """``ORDER BY field asc|desc``."""

    field: str
    direction: Literal["asc", "desc"] = "asc"


def like_pattern(value: str, operator: str) -> str:
    """The ``LIKE`` pattern for a literal ``value``: wildcards in it are escaped."""
    escaped = (value.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
               .replace("_", _ESCAPE + "_"))
    if operator == "contains":
        return f"%{escaped}%"
    if operator == "starts_with":
        return f"{escaped}%"
    return f"%{escaped}"


def _column(table: Table, name: str, hidden: Collection[str]) -> Any:
    # A field the server never returns is never a filter either: otherwise an admin could
    # read it one guessed prefix at a time (PYSEC-2022-247, docs/security.md#authorization).
    if not isinstance(name, str) or name not in table.c or name in hidden:
        raise QueryError(f"unknown field {name!r}")
    return table.c[name]


def _scalar(column: Any, value: Any) -> Any:
    """``value`` as the column's type, the way Better Auth's adapter converts query strings."""
    kind = column.type
    if isinstance(kind, JSONList):
        raise QueryError(f"{column.name} cannot be filtered")
    if isinstance(kind, IntBool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value == "true"
        raise QueryError(f"{column.name} takes true or false")
    if isinstance(kind, UTCDateTime):
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return parse_iso(value)
            except ValueError:
                raise QueryError(f"{column.name} takes an ISO date") from None
        raise QueryError(f"{column.name} takes an ISO date")
    if isinstance(kind, Integer):
        if isinstance(value, str) and value.strip():
            try:
                value = float(value)
            except ValueError:
                raise QueryError(f"{column.name} takes a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise QueryError(f"{column.name} takes a number")
        if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
            raise QueryError(f"{column.name} takes an integer")
        return int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A number sent for a text column compares as its text, as JavaScript would send it.
        return str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        raise QueryError(f"{column.name} takes a string")
    return value


def condition_clause(table: Table, cond: Condition, hidden: Collection[str] = ()
                     ) -> ColumnElement[bool]:
    """One ``Condition`` as a SQL expression with bound values."""
    column = _column(table, cond.field, hidden)
    op = cond.operator
    if op not in OPERATORS:
        raise QueryError(f"unknown operator {op!r}")
    if op in ("in", "not_in"):
        if not isinstance(cond.value, (list, tuple)):
            raise QueryError(f"{op} takes a list of values")
        values = [_scalar(column, v) for v in cond.value]
        clause: ColumnElement[bool] = (column.in_(values) if op == "in"
                                       else column.not_in(values))
        return clause
    if op in ("contains", "starts_with", "ends_with"):
        if not isinstance(cond.value, str):
            raise QueryError(f"{op} takes a string")
        _scalar(column, cond.value)  # refuses LIKE on dates, booleans, lists
        return column.like(like_pattern(cond.value, op), escape=_ESCAPE)  # type: ignore[no-any-return]
    if cond.value is None:
        if op == "eq":
            return column.is_(None)  # type: ignore[no-any-return]
        if op == "ne":
            return column.is_not(None)  # type: ignore[no-any-return]
        raise QueryError(f"{op} cannot compare with null")
    value = _scalar(column, cond.value)
    comparisons = {
        "eq": column.__eq__, "ne": column.__ne__, "lt": column.__lt__,
        "lte": column.__le__, "gt": column.__gt__, "gte": column.__ge__,
    }
    return comparisons[op](value)  # type: ignore[no-any-return]


def where_clause(table: Table, conditions: Sequence[Condition], hidden: Collection[str] = ()
                 ) -> ColumnElement[bool]:
    """Every condition ANDed (``TRUE`` when there is none)."""
    if not conditions:
        return true()
    return and_(*(condition_clause(table, c, hidden) for c in conditions))


def order_clause(table: Table, sort: Sort, hidden: Collection[str] = ()
                 ) -> list[UnaryExpression[Any]]:
    """``ORDER BY`` for ``sort``, with ``id`` as a tie-breaker so pages never overlap."""
    column = _column(table, sort.field, hidden)
    if sort.direction not in ("asc", "desc"):
        raise QueryError(f"unknown sort direction {sort.direction!r}")
    primary = column.asc() if sort.direction == "asc" else column.desc()
    if sort.field == "id":
        return [primary]
    tie = table.c.id.asc() if sort.direction == "asc" else table.c.id.desc()
    return [primary, tie]
