"""One SQLite database shared with a real Better Auth 1.7.25: each reads what the other wrote.

The committed vector ``tests/vectors/better_auth_1_7_25.sql`` is a dump of a database the
reference server created and filled (sign-ups, a second sign-in, a reset request); it runs
everywhere. The live tests run the reference server itself (node + its node_modules, found
by ``tests/storage/ref_server.py``) and skip without it.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from authkit.models import Account, Session, iso
from authkit.storage import FieldSpec, SQLStorage, build_tables
from authkit.tokens import SecretList, generate_id, sign

from . import ref_server

ADMIN_SCHEMA = build_tables(
    user_fields=[FieldSpec("role", "string"), FieldSpec("banned", "boolean", default=False),
                 FieldSpec("banReason", "string"), FieldSpec("banExpires", "date")],
    session_fields=[FieldSpec("impersonatedBy", "string")],
)
REF_SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"  # server.mjs default
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def better_auth_hash(password: str, salt_hex: str) -> str:
    """Better Auth's scrypt: the hex salt string itself is the salt (README of the ref)."""
    key = hashlib.scrypt(unicodedata.normalize("NFKC", password).encode(),
                         salt=salt_hex.encode(), n=16384, r=16, p=1, dklen=64,
                         maxmem=64 * 1024 * 1024)
    return f"{salt_hex}:{key.hex()}"


def about(delta: timedelta, expected: timedelta) -> bool:
    # Better Auth takes createdAt and expiresAt from two `new Date()` calls, ms apart.
    return abs(delta - expected) < timedelta(seconds=1)


def open_storage(path: Path) -> SQLStorage:
    return SQLStorage(f"sqlite:///{path}", ADMIN_SCHEMA)


@pytest.fixture
def vector_db(tmp_path: Path) -> Path:
    path = tmp_path / "better_auth.db"
    conn = sqlite3.connect(path)
    try:
        conn.executescript(ref_server.DUMP.read_text(encoding="utf-8"))
    finally:
        conn.close()
    return path


def check_better_auth_rows(storage: SQLStorage) -> None:
    """What ``ref_server.populate`` wrote, read back through SQLStorage."""
    alice = storage.get_user_by_email("alice@example.com")
    assert alice is not None
    assert (alice.name, alice.email_verified, alice.image) == ("Alice", False, None)
    assert alice.extra == {"role": "user", "banned": False, "banReason": None,
                           "banExpires": None}
    assert alice.created_at.tzinfo is UTC and alice.created_at.microsecond % 1000 == 0
    account = storage.get_credential_account(alice.id)
    assert account is not None and account.account_id == alice.id
    assert account.password is not None
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", account.password)
    salt = account.password.split(":")[0]
    assert better_auth_hash(ref_server.PASSWORD, salt) == account.password
    sessions = storage.list_user_sessions(alice.id)
    assert len(sessions) == 2
    for session in sessions:
        assert about(session.expires_at - session.created_at, timedelta(days=7))
        assert session.ip_address == "" and session.extra == {"impersonatedBy": None}
        found = storage.get_session_with_user(session.token)
        assert found is not None and found == (session, alice)
    with storage.engine.connect() as conn:
        identifier = conn.execute(text("SELECT identifier FROM verification")).scalar_one()
    verification = storage.find_verification(identifier)
    assert verification is not None and verification.value == alice.id
    assert about(verification.expires_at - verification.created_at, timedelta(hours=1))
    robert = storage.get_user_by_email("o'hara@example.com")
    assert robert is not None and robert.name == "Robert'); DROP TABLE \"user\";--"
    assert storage.count_users() == 2


def test_reads_better_auth_vector(vector_db: Path) -> None:
    storage = open_storage(vector_db)
    try:
        assert storage.migrate() == []  # Better Auth's schema is already complete
        check_better_auth_rows(storage)
    finally:
        storage.close()


def test_writes_in_better_auth_format(vector_db: Path) -> None:
    storage = open_storage(vector_db)
    try:
        alice = storage.get_user_by_email("alice@example.com")
        assert alice is not None
        storage.update_user(alice.id, {"emailVerified": True, "banned": True,
                                       "updatedAt": datetime.now(UTC)})
        with storage.engine.connect() as conn:
            rows = conn.execute(text(
                'SELECT "createdAt", "updatedAt", "emailVerified", banned FROM "user"')).all()
        for created, updated, verified, banned in rows:
            assert ISO_Z.match(created) and ISO_Z.match(updated)
            assert verified in (0, 1) and banned in (0, 1)
    finally:
        storage.close()


# --- live, against the reference server -----------------------------------------------------


@pytest.fixture
def ref() -> Path:
    # The shared, git-ignored install (tests/interop/.ref), built once per lockfile.
    from ..support.live_servers import reference_dir, require_node

    require_node()
    return reference_dir()


@pytest.fixture
def live_db(ref: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "ref.db"
    with ref_server.running(ref, path, keep_db=False) as server:
        ref_server.populate(server)
    yield path


def test_reads_what_better_auth_wrote(live_db: Path) -> None:
    storage = open_storage(live_db)
    try:
        assert storage.migrate() == []
        check_better_auth_rows(storage)
    finally:
        storage.close()


def test_better_auth_reads_what_authkit_wrote(ref: Path, live_db: Path) -> None:
    storage = open_storage(live_db)
    now = datetime.now(UTC)
    bob_id, token = generate_id(), generate_id()
    try:
        bob = storage.create_user(id=bob_id, name="Bob 😀", email="bob@example.com",
                                  email_verified=True, image=None, created_at=now,
                                  updated_at=now, extra={"role": "user"})
        storage.create_account(Account(
            id=generate_id(), account_id=bob_id, provider_id="credential", user_id=bob_id,
            password=better_auth_hash("bob password 1", "0123456789abcdef0123456789abcdef"),
            created_at=now, updated_at=now))
        storage.create_session(Session(
            id=generate_id(), token=token, user_id=bob_id, expires_at=now + timedelta(days=7),
            created_at=now, updated_at=now, ip_address="127.0.0.1", user_agent="authkit"))
    finally:
        storage.close()

    with ref_server.running(ref, live_db, keep_db=True) as server:
        # A session row written by authkit is valid for Better Auth (dates parsed right).
        cookie = "better-auth.session_token=" + urllib.parse.quote(
            sign(token, SecretList([REF_SECRET])), safe="")
        status, body, _ = server.request("GET", "/get-session", cookie=cookie)
        assert status == 200 and body is not None, body
        assert body["session"]["token"] == token
        assert body["session"]["expiresAt"] == iso(bob.created_at + timedelta(days=7))
        assert body["user"] == bob.to_json() | {"banned": False, "banReason": None,
                                                "banExpires": None}
        # The password hash authkit stored signs in.
        status, body, _ = server.request("POST", "/sign-in/email", {
            "email": "bob@example.com", "password": "bob password 1"})
        assert status == 200, body
        new_token = body["token"]

    storage = open_storage(live_db)
    try:
        found = storage.get_session_with_user(new_token)
        assert found is not None and found[1] == bob
        assert about(found[0].expires_at - found[0].created_at, timedelta(days=7))
        assert storage.migrate() == []
    finally:
        storage.close()
