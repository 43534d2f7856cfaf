"""Checking a presented key and counting its use: expiry, quota with refill, per-key rate limit.

Every counter changes through a guarded UPDATE (the WHERE clause restates what was read), so
concurrent requests on one key, in one process or across authkit and Node on one database,
can neither push ``remaining`` below zero nor let ``requestCount`` pass ``rateLimitMax``. The
rate-limit window counts from the last *allowed* request, as Better Auth's does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...storage.query import Condition
from .errors import RateLimited, key_error
from .schema import MODEL, hash_key, parse_json

if TYPE_CHECKING:
    from ...core import AuthKit
    from . import ApiKeyPlugin

_RETRIES = 5


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


def find(plugin: ApiKeyPlugin, auth: AuthKit, key: str) -> dict[str, Any] | None:
    """The row of a plaintext key."""
    stored = key if plugin.options.disable_key_hashing else hash_key(key)
    return auth.storage.find_row(MODEL, {"key": stored})


def check(plugin: ApiKeyPlugin, auth: AuthKit, row: dict[str, Any] | None,
          permissions: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The checks before any use is counted; expired and exhausted keys are deleted."""
    if row is None:
        raise key_error(401, "INVALID_API_KEY")
    if row.get("enabled") is False:
        raise key_error(401, "KEY_DISABLED")
    now = auth.now()
    if row.get("expiresAt") is not None and now > row["expiresAt"]:
        auth.storage.delete_rows(MODEL, {"id": row["id"]})
        raise key_error(401, "KEY_EXPIRED")
    if permissions:
        granted = parse_json(row.get("permissions")) if row.get("permissions") else None
        if not isinstance(granted, dict) or not plugin.permits(granted, permissions):
            raise key_error(401, "KEY_NOT_FOUND")
    if row.get("remaining") == 0 and row.get("refillAmount") is None:
        auth.storage.delete_rows(MODEL, {"id": row["id"]})
        raise key_error(429, "USAGE_EXCEEDED")
    return row


def claim(plugin: ApiKeyPlugin, auth: AuthKit, row: dict[str, Any]) -> dict[str, Any]:
    """Count one use: quota (with refill), then the rate limit, then ``updatedAt``."""
    if row.get("remaining") is not None:
        _consume_remaining(auth, row)
    _consume_rate_limit(plugin, auth, row)
    now = auth.now()
    auth.storage.update_rows(MODEL, {"id": row["id"]}, {"updatedAt": now})
    fresh = auth.storage.find_row(MODEL, {"id": row["id"]})
    # The use was counted; a concurrent request that found the quota used up may have
    # deleted the row since (Better Auth then refuses a use it already counted).
    return fresh if fresh is not None else {**row, "updatedAt": now}


def _consume_remaining(auth: AuthKit, row: dict[str, Any]) -> None:
    storage = auth.storage
    col = storage.table(MODEL).c
    now = auth.now()
    interval, amount = row.get("refillInterval"), row.get("refillAmount")
    refill_due = bool(interval and amount) and _ms(
        now - (row.get("lastRefillAt") or row["createdAt"])) > (interval or 0)
    # One request wins the refill (compare-and-swap on lastRefillAt); the others decrement
    # the refilled count below.
    if refill_due and storage.update_rows(
            MODEL, [Condition("id", "eq", row["id"]),
                    Condition("lastRefillAt", "eq", row.get("lastRefillAt"))],
            {"remaining": (amount or 0) - 1, "lastRefillAt": now}):
        return
    if not storage.update_rows(MODEL, [Condition("id", "eq", row["id"]),
                                       Condition("remaining", "gt", 0)],
                               {"remaining": col.remaining - 1}):
        raise key_error(429, "USAGE_EXCEEDED")


def _consume_rate_limit(plugin: ApiKeyPlugin, auth: AuthKit, row: dict[str, Any]) -> None:
    storage = auth.storage
    col = storage.table(MODEL).c
    for _ in range(_RETRIES):
        now = auth.now()
        if not plugin.options.rate_limit_enabled or row.get("rateLimitEnabled") is False:
            storage.update_rows(MODEL, {"id": row["id"]}, {"lastRequest": now})
            return
        window, limit = row.get("rateLimitTimeWindow"), row.get("rateLimitMax")
        if window is None or limit is None:
            return
        last: datetime | None = row.get("lastRequest")
        window_start = now - timedelta(milliseconds=window)
        if last is not None and _ms(now - last) <= window:
            count = row.get("requestCount") or 0
            if count >= limit:
                raise RateLimited(math.ceil(window - _ms(now - last)))
            guard = [Condition("id", "eq", row["id"]), Condition("lastRequest", "gt", window_start),
                     Condition("requestCount", "lt", limit)]
            if storage.update_rows(MODEL, guard, {"requestCount": col.requestCount + 1,
                                                  "lastRequest": now}):
                return
        else:
            guard = [Condition("id", "eq", row["id"]),
                     Condition("lastRequest", "eq", None) if last is None
                     else Condition("lastRequest", "lte", window_start)]
            if storage.update_rows(MODEL, guard, {"requestCount": 1, "lastRequest": now}):
                return
        # Another request changed the row between our read and our write: decide again.
        fresh = storage.find_row(MODEL, {"id": row["id"]})
        if fresh is None:
            raise key_error(401, "INVALID_API_KEY")
        row = fresh
    raise RateLimited(int(row.get("rateLimitTimeWindow") or 0))


def delete_expired(auth: AuthKit) -> int:
    """Delete every key whose ``expiresAt`` has passed."""
    return auth.storage.delete_rows(MODEL, [Condition("expiresAt", "ne", None),
                                            Condition("expiresAt", "lt", auth.now())])
