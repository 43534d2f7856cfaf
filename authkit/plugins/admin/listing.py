"""GET /admin/list-users: search, filter, sort and paginate
(docs/wire-compatibility.md#admin-endpoints, "list-users query").

The query string becomes storage ``Condition``/``Sort`` values: field names are matched
against the user table's columns and values are bound, never spliced into SQL; ``%`` and
``_`` in a search match themselves (docs/security.md#authorization,
docs/security.md#input-validation, a deliberate difference from Better
Auth, whose ``LIKE`` takes them as wildcards). A listing the database cannot run (an unknown
``sortBy`` or ``filterField``, a value of the wrong type, a negative limit) answers
``{"users": [], "total": 0}``, as Better Auth does when its adapter throws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ...js import truthy
from ...models import User
from ...storage.query import Condition, QueryError, Sort
from ...validation import Body

if TYPE_CHECKING:
    from ...core import AuthKit

# Better Auth's advanced.database.defaultFindManyLimit.
DEFAULT_LIMIT = 100
FilterOperator = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains",
                         "starts_with", "ends_with"]


class ListUsersQuery(Body):
    """The query of ``/admin/list-users``."""

    searchValue: str | None = None
    searchField: Literal["email", "name"] | None = None
    searchOperator: Literal["contains", "starts_with", "ends_with"] | None = None
    limit: str | float | None = None
    offset: str | float | None = None
    sortBy: str | None = None
    sortDirection: Literal["asc", "desc"] | None = None
    filterField: str | None = None
    filterValue: str | float | bool | list[str] | list[float] | None = None
    filterOperator: FilterOperator | None = None


@dataclass
class UserPage:
    """``{users, total, limit?, offset?}``."""

    users: list[User]
    total: int
    limit: float | None = None
    offset: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire shape: ``limit``/``offset`` only when they were given and non-zero."""
        out: dict[str, Any] = {"users": [u.to_json() for u in self.users], "total": self.total}
        if self.limit is not None:
            out["limit"] = _js_number(self.limit)
        if self.offset is not None:
            out["offset"] = _js_number(self.offset)
        return out


def _js_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def js_number(value: str | float | None) -> float | None:
    """``Number(value) || undefined``: how Better Auth reads limit and offset."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text) if text else 0.0
        except ValueError:
            return None
    else:
        number = float(value)
    if not truthy(number):  # Number(value) || undefined
        return None
    return number


def _count(value: float | None, default: int) -> int:
    if value is None:
        return default
    if not math.isfinite(value) or not value.is_integer() or value < 0:
        raise QueryError("limit and offset take non-negative integers")
    return int(value)


def conditions_of(query: ListUsersQuery) -> list[Condition]:
    """The search (when ``searchValue`` is non-empty) and the filter (when given), ANDed."""
    out: list[Condition] = []
    if query.searchValue:
        out.append(Condition(query.searchField or "email", query.searchOperator or "contains",
                             query.searchValue))
    if query.filterValue is not None:
        out.append(Condition(query.filterField or "email", query.filterOperator or "eq",
                             query.filterValue))
    return out


def list_users(auth: AuthKit, query: ListUsersQuery) -> UserPage:
    """Run the listing; an impossible one is an empty page (see the module docstring)."""
    limit, offset = js_number(query.limit), js_number(query.offset)
    sort = Sort(query.sortBy, query.sortDirection or "asc") if query.sortBy else None
    try:
        users, total = auth.storage.list_users(
            conditions_of(query), sort=sort, limit=_count(limit, DEFAULT_LIMIT),
            offset=_count(offset, 0))
    except QueryError:
        return UserPage([], 0)
    return UserPage(users, total, limit, offset)
