"""What the two-factor plugin adds to the schema: ``user.twoFactorEnabled`` and the
``twoFactor`` table, column for column as Better Auth creates them, so a Node server sharing
the database reads the same rows.

``verified`` defaults to true, as in Better Auth: a row without the value (written before the
column existed) counts as confirmed; the checks are ``verified is not False``.
"""

from __future__ import annotations

from ...storage.fields import FieldSpec

TABLE = "twoFactor"

USER_FIELDS: tuple[FieldSpec, ...] = (
    # input=False: neither sign-up nor update-user may switch 2FA on or off.
    FieldSpec("twoFactorEnabled", "boolean", default=False, input=False),
)

TWO_FACTOR_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("secret", "string", required=True, returned=False, index=True),
    FieldSpec("backupCodes", "string", required=True, returned=False),
    FieldSpec("userId", "string", required=True, returned=False, references=("user", "id"),
              index=True),
    FieldSpec("verified", "boolean", default=True, input=False),
    FieldSpec("failedVerificationCount", "number", default=0, input=False, returned=False),
    FieldSpec("lockedUntil", "date", input=False, returned=False),
)
