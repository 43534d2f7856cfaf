"""Stateful single-use tokens in the ``verification`` table (docs/wire-compatibility.md#tokens).

Password-reset and delete-account tokens live here as ``identifier → value`` rows. With
``verification.store_identifier="hashed"`` the identifier is stored as SHA-256/base64url
(Better Auth's ``"hashed"`` format, so a Node server with the same option reads the same
rows): whoever reads the table cannot use what is in it (docs/security.md#sessions). Lookups fall
back to the
plain identifier, so rows written before the switch keep working until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import weakref
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .models import Verification
from .tokens import generate_id

if TYPE_CHECKING:
    from .core import AuthKit
    from .db import Database
    from .endpoints.context import Context

# Expired rows are pruned at most once a minute, on lookup (as Better Auth) and on insert
# (so decoy rows never pile up).
CLEANUP_INTERVAL = timedelta(minutes=1)
_next_cleanup: weakref.WeakKeyDictionary[AuthKit, datetime] = weakref.WeakKeyDictionary()


def hash_identifier(identifier: str) -> str:
    """SHA-256 of the identifier, base64url without padding (Better Auth's key hasher)."""
    digest = hashlib.sha256(identifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _candidates(auth: AuthKit, identifier: str) -> list[str]:
    """The stored forms to try, newest format first."""
    if auth.options.verification.store_identifier == "hashed":
        return [hash_identifier(identifier), identifier]
    return [identifier]


def create(ctx: Context, identifier: str, value: str, expires_in: int, *,
           expires_at: datetime | None = None) -> Verification | None:
    """Store ``identifier → value`` for ``expires_in`` seconds (or until ``expires_at``, for
    a row re-created with its predecessor's expiry); ``None`` if a hook vetoed."""
    auth = ctx.auth
    _maybe_cleanup(auth)
    now = auth.now()
    if expires_at is None:
        expires_at = now + timedelta(seconds=expires_in)
    row = Verification(id=generate_id(), identifier=_candidates(auth, identifier)[0],
                       value=value, expires_at=expires_at,
                       created_at=now, updated_at=now)
    return auth.db.create_verification(ctx, row)


def decoy(ctx: Context, identifier: str) -> None:
    """Write an already-expired, empty row, as ``create`` would write a real one.

    For enumeration-safe flows: an unknown address costs the same committed write as a known
    one, so response times do not tell them apart (docs/security.md#account-enumeration). The row
    can never be used (no
    value, expired) and the periodic cleanup removes it.
    """
    auth = ctx.auth
    _maybe_cleanup(auth)
    now = auth.now()
    auth.db.create_verification(ctx, Verification(
        id=generate_id(), identifier=_candidates(auth, identifier)[0], value="",
        expires_at=now - timedelta(seconds=1), created_at=now, updated_at=now))


def find(auth: AuthKit, identifier: str) -> Verification | None:
    """The newest row of ``identifier`` (expired or not: callers check), without taking it.

    Expired rows are pruned after the lookup, as Better Auth does, so a caller can still tell
    an expired code from a wrong one (email OTP answers OTP_EXPIRED).
    """
    found = None
    for stored in _candidates(auth, identifier):
        found = auth.db.find_verification(stored)
        if found is not None:
            break
    _maybe_cleanup(auth)
    return found


def consume(ctx: Context, identifier: str, db: Database | None = None) -> Verification | None:
    """Atomically take the row of ``identifier``: of concurrent callers exactly one gets it.

    ``db`` is a transaction view when the consumption must commit together with what the
    token authorises (the reset's password write, docs/security.md#outages). An expired row is still
    taken, so it
    can never be replayed, but ``None`` is returned for it.
    """
    auth = ctx.auth
    target = db if db is not None else auth.db
    for stored in _candidates(auth, identifier):
        taken = target.consume_verification(ctx, stored)
        if taken is not None:
            return taken if is_live(auth, taken) else None
    return None


def is_live(auth: AuthKit, row: Verification | None) -> bool:
    """A row exists and has not expired (valid up to its ``expiresAt``, as Better Auth)."""
    return row is not None and row.expires_at >= auth.now()


def _maybe_cleanup(auth: AuthKit) -> None:
    if auth.options.verification.disable_cleanup:
        return
    now = auth.now()
    due = _next_cleanup.get(auth)
    if due is not None and now < due:
        return
    _next_cleanup[auth] = now + CLEANUP_INTERVAL
    auth.db.storage.delete_expired_verifications(now)
