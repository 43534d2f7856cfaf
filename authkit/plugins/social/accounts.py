"""OAuth account rows: finding them, and their tokens sealed and unsealed.

With ``encrypt_oauth_tokens`` the access and refresh tokens are stored as Better Auth's
``symmetricEncrypt`` of the app secret (``$ba$<version>$`` hex with versioned secrets), so
either server reads what the other wrote; the ID token is always stored as received (it is
signed, not secret, and the sign-out hint needs it). Reading decrypts only what looks
encrypted, so tokens stored before encryption was turned on keep working.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...crypto import looks_encrypted, symmetric_decrypt, symmetric_encrypt
from ...models import Account
from .oauth2 import OAuth2Tokens

if TYPE_CHECKING:
    from ...core import AuthKit

def from_row(row: dict[str, Any]) -> Account:
    """An ``Account`` from a generic ``account`` row."""
    return Account(
        id=row["id"], account_id=row["accountId"], provider_id=row["providerId"],
        user_id=row["userId"], password=row.get("password"), created_at=row["createdAt"],
        updated_at=row["updatedAt"], scope=row.get("scope"),
        access_token=row.get("accessToken"), refresh_token=row.get("refreshToken"),
        id_token=row.get("idToken"), access_token_expires_at=row.get("accessTokenExpiresAt"),
        refresh_token_expires_at=row.get("refreshTokenExpiresAt"))


def find_by_provider(auth: AuthKit, provider_id: str, account_id: str) -> Account | None:
    """The account of a provider subject, whoever it belongs to."""
    row = auth.storage.find_row("account", {"providerId": provider_id, "accountId": account_id})
    return None if row is None else from_row(row)


def find_users_account(auth: AuthKit, user_id: str, row_id: str) -> Account | None:
    """The caller's own account with this row id (another user's is "not found")."""
    row = auth.storage.find_row("account", {"id": row_id, "userId": user_id})
    return None if row is None else from_row(row)


def seal(auth: AuthKit, encrypt: bool, token: str | None) -> str | None:
    """A token as stored."""
    if token is None or not encrypt:
        return token
    return symmetric_encrypt(auth.secret_config, token)


def unseal(auth: AuthKit, encrypt: bool, stored: str | None) -> str | None:
    """A stored token in plain text (``ValueError`` when it claims to be encrypted but is
    not decryptable)."""
    if stored is None or not encrypt or not looks_encrypted(stored):
        return stored
    return symmetric_decrypt(auth.secret_config, stored)


def token_columns(auth: AuthKit, encrypt: bool, tokens: OAuth2Tokens,
                  *, with_scope: bool) -> dict[str, Any]:
    """The account columns a token response fills (absent ones ``None``)."""
    values: dict[str, Any] = {
        "accessToken": seal(auth, encrypt, tokens.access_token),
        "refreshToken": seal(auth, encrypt, tokens.refresh_token),
        "idToken": tokens.id_token,
        "accessTokenExpiresAt": tokens.access_token_expires_at,
        "refreshTokenExpiresAt": tokens.refresh_token_expires_at,
    }
    if with_scope:
        values["scope"] = ",".join(tokens.scopes)
    return values


def present(values: dict[str, Any]) -> dict[str, Any]:
    """Only the columns that have a value (an update never blanks a stored token)."""
    return {k: v for k, v in values.items() if v is not None}


def new_account(auth: AuthKit, *, row_id: str, provider_id: str, account_id: str,
                user_id: str, columns: dict[str, Any], now: datetime) -> Account:
    """An ``Account`` value ready for ``auth.db.create_account``."""
    return Account(
        id=row_id, account_id=account_id, provider_id=provider_id, user_id=user_id,
        password=None, created_at=now, updated_at=now, scope=columns.get("scope"),
        access_token=columns.get("accessToken"), refresh_token=columns.get("refreshToken"),
        id_token=columns.get("idToken"),
        access_token_expires_at=columns.get("accessTokenExpiresAt"),
        refresh_token_expires_at=columns.get("refreshTokenExpiresAt"))
