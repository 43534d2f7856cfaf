"""Where codes live and how a guess is checked (Better Auth's ``atomicVerifyOTP``).

A code is a ``verification`` row: identifier ``<type>-otp-<email>`` (change of email:
``change-email-otp-<userId>:<newEmail>``), value ``<stored code>:<wrong attempts>``, the
format the Node plugin writes, so a code sent by either server is accepted by the other once
and attempts counted on one count on the other. ``<stored code>`` is the code (``plain``),
base64url(SHA-256(code)) (``hashed``) or the core's symmetric encryption of it
(``encrypted``), so a leaked table need not hold usable codes.

Checking a guess takes the row atomically before comparing: of concurrent guesses only one
sees it, so attempts cannot be raced past the limit. A wrong guess puts the row back with one
more attempt (same expiry); the guess after ``allowed_attempts`` wrong ones is refused even if
right, and the row is gone for good. ``restore`` puts a right code back unused (the checks that
do not consume).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from ... import verifications
from ...crypto import DecryptionError, symmetric_decrypt, symmetric_encrypt
from ...errors import APIError
from ...models import Verification
from ...tokens import generate_id
from .errors import otp_error

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...db import Database
    from ...endpoints.context import Context

StoreMode = Literal["plain", "hashed", "encrypted"]
# MySQL/MariaDB keep identifiers in a varchar(255); a longer one is refused before the database.
MAX_IDENTIFIER = 255


def hash_code(code: str) -> str:
    """SHA-256 of the code, base64url without padding (``store_otp="hashed"``)."""
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def split_value(value: str) -> tuple[str, int]:
    """``"<stored>:<attempts>"`` → (stored, attempts), split at the last ``:``."""
    stored, sep, attempts = value.rpartition(":")
    if not sep:
        return value, 0
    try:
        return stored, int(attempts)
    except ValueError:
        return stored, 0


@dataclass
class CodeStore:
    """Codes of one plugin: how they are stored and how many wrong guesses each allows."""

    mode: StoreMode
    allowed_attempts: int
    expires_in: int
    auth_getter: Callable[[], AuthKit]

    # -- the stored form --------------------------------------------------------------------
    def encode(self, code: str) -> str:
        """The stored form of a fresh code."""
        if self.mode == "hashed":
            return hash_code(code)
        if self.mode == "encrypted":
            return symmetric_encrypt(self.auth_getter().secret_config, code)
        return code

    def recover(self, stored: str) -> str | None:
        """The code of a stored form, or ``None`` when it cannot be recovered (hashed)."""
        if self.mode == "hashed":
            return None
        if self.mode == "encrypted":
            try:
                return symmetric_decrypt(self.auth_getter().secret_config, stored)
            except DecryptionError:  # written with another secret, or not encrypted at all
                return None
        return stored

    def matches(self, stored: str, guess: str) -> bool:
        """Constant-time comparison of a guess with a stored form."""
        if self.mode == "hashed":
            expected: str | None = stored
            guess = hash_code(guess)
        else:
            expected = self.recover(stored)
        if expected is None:
            return False
        return hmac.compare_digest(expected.encode("utf-8"), guess.encode("utf-8"))

    # -- rows ---------------------------------------------------------------------------------
    def issue(self, ctx: Context, identifier: str, code: str) -> Verification | None:
        """Store a new code (the newest row is the one that counts)."""
        check_identifier(identifier)
        return verifications.create(ctx, identifier, f"{self.encode(code)}:0", self.expires_in)

    def reusable(self, ctx: Context, identifier: str) -> str | None:
        """For ``resend_strategy="reuse"``: the live code of ``identifier`` pushed to a new
        expiry, when it can be recovered and has attempts left; else ``None``."""
        auth = ctx.auth
        row = verifications.find(auth, identifier)
        if row is None or not verifications.is_live(auth, row):
            return None
        stored, attempts = split_value(row.value)
        code = self.recover(stored)
        if code is None or attempts >= self.allowed_attempts:
            return None
        taken = verifications.consume(ctx, identifier)
        if taken is None or taken.value != row.value:
            return None  # used or replaced meanwhile: send a new code instead
        self._put_back(ctx, taken, taken.value,
                       auth.now() + timedelta(seconds=self.expires_in))
        return code

    def discard(self, ctx: Context, identifier: str) -> None:
        """Remove every code of ``identifier`` (nothing was sent for it)."""
        verifications.consume(ctx, identifier)

    def verify(self, ctx: Context, identifier: str, guess: str, *, restore: bool = False,
               db: Database | None = None) -> None:
        """Check ``guess`` against the newest code of ``identifier``; raise the OTP errors.

        Right: the row is consumed (or, with ``restore``, put back unchanged). ``db`` is a
        transaction view when the consumption must commit with what it authorises.
        """
        check_identifier(identifier)
        auth = ctx.auth
        newest = verifications.find(auth, identifier)
        if newest is not None and not verifications.is_live(auth, newest):
            verifications.consume(ctx, identifier, db)
            raise otp_error("OTP_EXPIRED")
        taken = _take(ctx, identifier, db)
        if taken is None:
            raise otp_error("INVALID_OTP")
        stored, attempts = split_value(taken.value)
        if attempts >= self.allowed_attempts:
            raise otp_error("TOO_MANY_ATTEMPTS")
        if not self.matches(stored, guess):
            self._put_back(ctx, taken, f"{stored}:{attempts + 1}", taken.expires_at, db)
            raise otp_error("INVALID_OTP")
        if restore:
            self._put_back(ctx, taken, taken.value, taken.expires_at, db)

    @staticmethod
    def _put_back(ctx: Context, taken: Verification, value: str, expires_at: datetime,
                  db: Database | None = None) -> None:
        # The identifier as stored (plain or hashed by the core), so lookups find it again.
        now = ctx.auth.now()
        (db or ctx.auth.db).create_verification(ctx, Verification(
            id=generate_id(), identifier=taken.identifier, value=value, expires_at=expires_at,
            created_at=now, updated_at=now))


def _take(ctx: Context, identifier: str, db: Database | None) -> Verification | None:
    """Atomically take the newest row (expired ones count as missing)."""
    return verifications.consume(ctx, identifier, db)


def check_identifier(identifier: str) -> None:
    """Refuse identifiers the verification table cannot hold (an absurdly long address)."""
    if len(identifier) > MAX_IDENTIFIER:
        raise APIError(400, "INVALID_EMAIL", "Invalid email")
