"""Records never print a credential: logging a session, user, account, verification value,
request body or endpoint result must not leak a token, hash, OTP or key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from authkit import Account, Session, SessionWithUser, User
from authkit.endpoints.account import ChangePasswordBody, ChangePasswordResult
from authkit.endpoints.sign_in import SignInBody, SignInResult
from authkit.endpoints.sign_up import SignUpResult
from authkit.models import Verification

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SECRETS = ("RAW-SESSION-TOKEN", "SCRYPT-HASH", "ACCESS-TOK", "REFRESH-TOK", "ID-TOK",
           "TOTP-SECRET", "BACKUP-CODES", "API-KEY-HASH", "OTP-123456", "RESET-TOKEN")


def user() -> User:
    return User("u1", "Ann", "ann@example.com", True, None, NOW, NOW,
                {"role": "admin", "twoFactorSecret": "TOTP-SECRET",
                 "backupCodes": "BACKUP-CODES", "twoFactorEnabled": True})


def session() -> Session:
    return Session("s1", "RAW-SESSION-TOKEN", "u1", NOW, NOW, NOW, "10.0.0.1", "curl",
                   {"impersonatedBy": None, "apiKeyHash": "API-KEY-HASH"})


RECORDS = {
    "session": session,
    "user": user,
    "session with user": lambda: SessionWithUser(session(), user()),
    "account": lambda: Account("a1", "u1", "credential", "u1", "SCRYPT-HASH", NOW, NOW,
                               access_token="ACCESS-TOK", refresh_token="REFRESH-TOK",
                               id_token="ID-TOK", access_token_expires_at=NOW),
    "verification": lambda: Verification("v1", "reset-password:RESET-TOKEN", "OTP-123456",
                                         NOW, NOW, NOW),
    "sign-in body": lambda: SignInBody.model_validate(
        {"email": "ann@example.com", "password": "SCRYPT-HASH", "otpCode": "OTP-123456"}),
    "change-password body": lambda: ChangePasswordBody.model_validate(
        {"newPassword": "ACCESS-TOK", "currentPassword": "REFRESH-TOK"}),
    "sign-in result": lambda: SignInResult(False, "RAW-SESSION-TOKEN", None, user()),
    "sign-up result": lambda: SignUpResult("RAW-SESSION-TOKEN", user()),
    "change-password result": lambda: ChangePasswordResult("RAW-SESSION-TOKEN", user()),
}


@pytest.mark.parametrize("name", RECORDS)
def test_repr_and_str_mask_every_credential(name: str) -> None:
    record = RECORDS[name]()
    for text in (repr(record), str(record), f"{record}"):
        assert not [s for s in SECRETS if s in text], text
        assert "'***'" in text


def test_what_is_not_a_credential_still_prints() -> None:
    text = repr(SessionWithUser(session(), user()))
    for shown in ("'s1'", "'u1'", "'ann@example.com'", "'admin'", "'10.0.0.1'",
                  "twoFactorEnabled': True", "impersonatedBy': None"):
        assert shown in text
    # A timestamp about a token is not the token.
    assert "access_token_expires_at=datetime" in repr(RECORDS["account"]())


@pytest.mark.parametrize(("name", "credential"), [
    ("token", True), ("accessToken", True), ("id_token", True), ("twoFactorSecret", True),
    ("password", True), ("backupCodes", True), ("apiKey", True), ("otp", True),
    ("accessTokenExpiresAt", False), ("role", False), ("email", False), ("userId", False),
])
def test_credential_names(name: str, credential: bool) -> None:
    from authkit.models import is_credential_name

    assert is_credential_name(name) is credential
