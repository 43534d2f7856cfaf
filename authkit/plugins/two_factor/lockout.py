"""The account-level failure budget on the ``twoFactor`` row.

Every wrong TOTP, emailed code or backup code in a sign-in counts; at
``max_failed_attempts`` consecutive failures the row is locked for ``duration_seconds`` and
every factor answers 429 until then, across challenges, so starting a new sign-in does not
buy new guesses. The increment is one UPDATE (``count = count + 1``), so concurrent failures
cannot lose a count. Signed-in calls (confirming a factor) neither count nor are blocked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func

from ...storage.query import Condition
from .errors import tf_error
from .schema import TABLE

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from .options import AccountLockout


def assert_not_locked(ctx: Context, lockout: AccountLockout, row: dict[str, Any]) -> None:
    """429 ``ACCOUNT_TEMPORARILY_LOCKED`` while locked; an expired lock is cleared first."""
    locked_until = row.get("lockedUntil")
    if not lockout.enabled or locked_until is None:
        return
    now = ctx.auth.now()
    if locked_until > now:
        # No X-Retry-After: the official client only waits out the rate limiter's 429.
        raise tf_error(429, "ACCOUNT_TEMPORARILY_LOCKED")
    ctx.auth.storage.update_rows(
        TABLE, [Condition("id", "eq", row["id"]), Condition("lockedUntil", "lte", now)],
        {"failedVerificationCount": 0, "lockedUntil": None})


def record_failure(ctx: Context, lockout: AccountLockout, row: dict[str, Any]) -> None:
    """Count one failure; lock the row once the budget is spent."""
    if not lockout.enabled:
        return
    storage = ctx.auth.storage
    column = storage.table(TABLE).c.failedVerificationCount
    # COALESCE: a row written before the column existed holds NULL, and NULL + 1 is NULL.
    storage.update_rows(TABLE, {"id": row["id"]},
                        {"failedVerificationCount": func.coalesce(column, 0) + 1})
    current = storage.find_row(TABLE, {"id": row["id"]})
    count = int((current or {}).get("failedVerificationCount") or 0)
    if count >= lockout.max_failed_attempts:
        until = ctx.auth.now() + timedelta(seconds=lockout.duration_seconds)
        storage.update_rows(
            TABLE, [Condition("id", "eq", row["id"]),
                    Condition("failedVerificationCount", "gte", lockout.max_failed_attempts)],
            {"lockedUntil": until})


def reset_failures(ctx: Context, lockout: AccountLockout, row: dict[str, Any]) -> None:
    """A success: the count tracks consecutive failures only."""
    if lockout.enabled:
        ctx.auth.storage.update_rows(TABLE, {"id": row["id"]},
                                     {"failedVerificationCount": 0, "lockedUntil": None})
