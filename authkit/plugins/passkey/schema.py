"""The ``passkey`` table, column for column as @better-auth/passkey creates it.

Stored byte-exactly as the Node plugin stores them, so either server verifies the other's
users: ``publicKey`` is standard padded base64 of the COSE key from the attested credential
data, ``credentialID`` unpadded base64url of the credential id, ``deviceType``
``singleDevice``/``multiDevice``, ``transports`` the client's list joined with commas, and
``aaguid`` the lower-case UUID text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...models import iso
from ...storage.fields import FieldSpec

TABLE = "passkey"

PASSKEY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "string"),
    FieldSpec("publicKey", "string", required=True),
    FieldSpec("userId", "string", required=True, references=("user", "id"), index=True),
    FieldSpec("credentialID", "string", required=True, index=True),
    FieldSpec("counter", "number", required=True),
    FieldSpec("deviceType", "string", required=True),
    FieldSpec("backedUp", "boolean", required=True),
    FieldSpec("transports", "string"),
    FieldSpec("createdAt", "date"),
    FieldSpec("aaguid", "string"),
)

# A label, not a document: and MySQL/MariaDB TEXT holds 64 KB, which a 1 MB body could exceed.
MAX_NAME_LENGTH = 256

# The indexed credentialID column is VARCHAR(255) on MySQL/MariaDB; a longer id can never be
# stored, so it is refused before it reaches the database.
MAX_CREDENTIAL_ID_LENGTH = 255


def wire(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the Node plugin answers it (dates as ISO text, column order)."""
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()}
