"""SQLStorage on SQLite, PostgreSQL and MariaDB: every method, cascades, races, literal SQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from authkit.models import Account, Session, User, Verification
from authkit.storage import DuplicateError, FieldSpec, SQLStorage, StorageUnavailable
from authkit.tokens import generate_id

from ..support.race import run_together

T0 = datetime(2026, 11, 28, 2, 41, 44, 123456, tzinfo=UTC)
T0_MS = datetime(2026, 11, 28, 2, 41, 44, 123000, tzinfo=UTC)


def make_user(storage: SQLStorage, email: str = "alice@example.com", name: str = "Alice",
              **extra: object) -> User:
    return storage.create_user(id=generate_id(), name=name, email=email, email_verified=False,
                               image=None, created_at=T0, updated_at=T0, extra=extra)


def make_session(storage: SQLStorage, user: User, *, token: str | None = None,
                 created: datetime = T0, **extra: object) -> Session:
    return storage.create_session(Session(
        id=generate_id(), token=token or generate_id(), user_id=user.id,
        expires_at=created + timedelta(days=7), created_at=created, updated_at=created,
        ip_address="127.0.0.1", user_agent="pytest", extra=dict(extra)))


def make_account(storage: SQLStorage, user: User, provider: str = "credential",
                 password: str | None = "salt:key") -> Account:
    return storage.create_account(Account(
        id=generate_id(), account_id=user.id if provider == "credential" else "gh-1",
        provider_id=provider, user_id=user.id, password=password, created_at=T0,
        updated_at=T0))


def make_verification(storage: SQLStorage, identifier: str, value: str = "v",
                      created: datetime = T0) -> Verification:
    return storage.create_verification(Verification(
        id=generate_id(), identifier=identifier, value=value,
        expires_at=created + timedelta(hours=1), created_at=created, updated_at=created))


def count(storage: SQLStorage, table_name: str) -> int:
    table = storage.tables.metadata.tables[table_name]
    with storage.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# --- users -------------------------------------------------------------------------------


def test_create_and_get_user(storage: SQLStorage) -> None:
    created = make_user(storage)
    assert created.created_at == T0_MS and created.extra == {}
    assert storage.get_user_by_id(created.id) == created
    assert storage.get_user_by_email("alice@example.com") == created
    assert storage.get_user_by_id("nobody") is None
    assert storage.get_user_by_email("bob@example.com") is None
    assert storage.count_users() == 1


def test_email_lookup_is_exact(storage: SQLStorage) -> None:
    # docs/security.md#decisions: no case- or accent-insensitive match (MariaDB's default
    # collations).
    make_user(storage, email="alice@example.com")
    assert storage.get_user_by_email("ALICE@example.com") is None
    assert storage.get_user_by_email("alicé@example.com") is None
    # ... and so both spellings can be stored (callers lower-case; the column does not fold).
    make_user(storage, email="Alice@example.com")
    assert storage.count_users() == 2


def test_duplicate_email_raises_duplicate_error(storage: SQLStorage) -> None:
    make_user(storage)
    with pytest.raises(DuplicateError) as info:
        make_user(storage, name="Other")
    assert info.value.table == "user" and info.value.column == "email"
    assert storage.count_users() == 1


def test_update_user(storage: SQLStorage) -> None:
    user = make_user(storage)
    later = T0 + timedelta(minutes=5)
    updated = storage.update_user(user.id, {"name": "Alicia", "emailVerified": True,
                                            "updatedAt": later})
    assert updated is not None
    assert (updated.name, updated.email_verified, updated.updated_at) == (
        "Alicia", True, later.replace(microsecond=123000))
    assert storage.get_user_by_id(user.id) == updated
    assert storage.update_user("nobody", {"name": "x"}) is None
    assert storage.update_user(user.id, {}) == updated
    with pytest.raises(ValueError):
        storage.update_user(user.id, {"no_such_column": 1})
    with pytest.raises(ValueError):
        storage.update_user(user.id, {"id": "other"})


def test_update_to_taken_email_raises_duplicate_error(storage: SQLStorage) -> None:
    make_user(storage, email="a@example.com")
    bob = make_user(storage, email="b@example.com")
    with pytest.raises(DuplicateError):
        storage.update_user(bob.id, {"email": "a@example.com"})
    after = storage.get_user_by_id(bob.id)
    assert after is not None and after.email == "b@example.com"


def test_delete_user_cascades(storage: SQLStorage) -> None:
    alice, bob = make_user(storage), make_user(storage, email="bob@example.com")
    for user in (alice, bob):
        make_session(storage, user)
        make_account(storage, user)
    assert storage.delete_user(alice.id) is True
    assert storage.delete_user(alice.id) is False
    assert storage.get_accounts(alice.id) == [] and storage.list_user_sessions(alice.id) == []
    assert len(storage.get_accounts(bob.id)) == 1
    assert len(storage.list_user_sessions(bob.id)) == 1
    assert (count(storage, "session"), count(storage, "account")) == (1, 1)


def test_extra_user_fields(make_storage: Callable[..., SQLStorage]) -> None:
    storage = make_storage(user_fields=[
        FieldSpec("role", "string", default="user"),
        FieldSpec("banned", "boolean", default=lambda: False),
        FieldSpec("banExpires", "date"),
        FieldSpec("loginCount", "number"),
        FieldSpec("tags", "string[]"),
        FieldSpec("scores", "number[]"),
    ])
    user = make_user(storage, tags=["a", "b'c"], scores=[1, 2.5])
    expected = {"role": "user", "banned": False, "banExpires": None, "loginCount": None,
                "tags": ["a", "b'c"], "scores": [1, 2.5]}
    assert user.extra == expected
    fetched = storage.get_user_by_id(user.id)
    assert fetched is not None and fetched.extra == expected
    assert fetched.role == "user"  # records read plugin fields as attributes
    updated = storage.update_user(user.id, {"banned": True, "banExpires": T0, "loginCount": 3})
    assert updated is not None
    assert updated.extra["banned"] is True and updated.extra["banExpires"] == T0_MS
    assert updated.extra["loginCount"] == 3
    with pytest.raises(ValueError):
        make_user(storage, email="x@example.com", unknown="x")


# --- accounts ----------------------------------------------------------------------------


def test_accounts(storage: SQLStorage) -> None:
    user = make_user(storage)
    github = make_account(storage, user, provider="github", password=None)
    credential = make_account(storage, user)
    assert {a.id for a in storage.get_accounts(user.id)} == {github.id, credential.id}
    assert storage.get_credential_account(user.id) == credential
    assert storage.get_accounts("nobody") == []
    assert storage.get_credential_account("nobody") is None
    storage.update_account(credential.id, {"password": "new:hash", "updatedAt": T0_MS})
    fetched = storage.get_credential_account(user.id)
    assert fetched is not None and fetched.password == "new:hash"
    assert "hash" not in repr(fetched)
    with pytest.raises(ValueError):
        storage.update_account(credential.id, {"nope": 1})


def test_account_token_dates_round_trip(storage: SQLStorage) -> None:
    user = make_user(storage)
    account = storage.create_account(Account(
        id=generate_id(), account_id="123", provider_id="github", user_id=user.id,
        password=None, created_at=T0, updated_at=T0, scope="read:user,email",
        access_token="at", refresh_token="rt", id_token="it",
        access_token_expires_at=T0 + timedelta(hours=1), refresh_token_expires_at=None))
    assert account.access_token_expires_at == T0_MS + timedelta(hours=1)
    assert storage.get_accounts(user.id) == [account]


# --- sessions ----------------------------------------------------------------------------


def test_sessions(storage: SQLStorage) -> None:
    user = make_user(storage)
    first = make_session(storage, user, token="tok-1")
    second = make_session(storage, user, token="tok-2", created=T0 + timedelta(seconds=1))
    assert storage.get_session("tok-1") == first
    assert storage.get_session("missing") is None
    assert storage.get_session_with_user("tok-2") == (second, user)
    assert storage.get_session_with_user("missing") is None
    assert storage.list_user_sessions(user.id) == [first, second]
    assert storage.list_user_sessions("nobody") == []


def test_duplicate_session_token(storage: SQLStorage) -> None:
    user = make_user(storage)
    make_session(storage, user, token="same")
    with pytest.raises(DuplicateError) as info:
        make_session(storage, user, token="same")
    assert info.value.table == "session"


def test_update_session_never_inserts(storage: SQLStorage) -> None:
    user = make_user(storage)
    make_session(storage, user, token="tok")
    later = T0 + timedelta(days=10)
    updated = storage.update_session("tok", {"expiresAt": later, "updatedAt": later})
    assert updated is not None and updated.expires_at == later.replace(microsecond=123000)
    assert storage.get_session("tok") == updated
    # Same values again: still "found" (MySQL would report 0 changed rows without FOUND_ROWS).
    assert storage.update_session("tok", {"expiresAt": later}) == updated
    assert storage.update_session("gone", {"expiresAt": later}) is None
    assert count(storage, "session") == 1


def test_delete_sessions(storage: SQLStorage) -> None:
    user, other = make_user(storage), make_user(storage, email="bob@example.com")
    for token in ("a", "b", "c"):
        make_session(storage, user, token=token)
    make_session(storage, other, token="o")
    assert storage.delete_session("a") is True
    assert storage.delete_session("a") is False
    assert storage.delete_user_sessions(user.id, except_token="c") == 1
    assert [s.token for s in storage.list_user_sessions(user.id)] == ["c"]
    assert storage.delete_user_sessions(user.id) == 1
    assert storage.get_session("o") is not None


def test_session_extra_fields(make_storage: Callable[..., SQLStorage]) -> None:
    storage = make_storage(session_fields=[FieldSpec("impersonatedBy", "string")])
    admin, user = make_user(storage), make_user(storage, email="bob@example.com")
    session = make_session(storage, user, token="t", impersonatedBy=admin.id)
    assert session.extra == {"impersonatedBy": admin.id}
    found = storage.get_session_with_user("t")
    assert found is not None and found[0].impersonated_by == admin.id
    plain = make_session(storage, admin, token="p")
    assert plain.extra == {"impersonatedBy": None} == storage.get_session("p").extra  # type: ignore[union-attr]


# --- verification ------------------------------------------------------------------------


def test_verification_find_and_delete(storage: SQLStorage) -> None:
    old = make_verification(storage, "reset-password:abc", "u1")
    new = make_verification(storage, "reset-password:abc", "u2", created=T0 + timedelta(seconds=1))
    make_verification(storage, "other", "u3")
    assert storage.find_verification("reset-password:abc") == new
    assert storage.find_verification("missing") is None
    storage.delete_verification("reset-password:abc")
    assert storage.find_verification("reset-password:abc") is None
    assert old.value == "u1" and storage.find_verification("other") is not None


def test_consume_verification_is_single_use(storage: SQLStorage) -> None:
    make_verification(storage, "id-1", "old")
    newest = make_verification(storage, "id-1", "new", created=T0 + timedelta(seconds=1))
    assert storage.consume_verification("id-1") == newest
    assert storage.consume_verification("id-1") is None
    assert storage.find_verification("id-1") is None
    assert storage.consume_verification("never") is None


def test_delete_expired_verifications(storage: SQLStorage) -> None:
    make_verification(storage, "expired", created=T0 - timedelta(hours=2))
    make_verification(storage, "valid", created=T0)
    # A non-UTC "now" compares as the same instant (text comparison on SQLite included).
    now = T0.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert storage.delete_expired_verifications(now) == 1
    assert storage.find_verification("expired") is None
    assert storage.find_verification("valid") is not None


def _race(storage: SQLStorage, identifier: str, callers: int = 10) -> list[Verification | None]:
    return run_together(lambda: storage.consume_verification(identifier), callers)


@pytest.mark.parametrize("round_", range(20))
def test_consume_verification_race(storage: SQLStorage, round_: int) -> None:
    # docs/security.md#testing "Races", docs/security.md#concurrency: 10 callers released together,
    # exactly one wins.
    created = make_verification(storage, f"reset-password:{round_}")
    results = _race(storage, created.identifier)
    winners = [r for r in results if r is not None]
    assert len(results) == 10 and winners == [created]


def test_consume_verification_race_without_returning(
        storage: SQLStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    # The SELECT … FOR UPDATE path MySQL takes (no DELETE … RETURNING), on every database.
    monkeypatch.setattr(storage.engine.dialect, "delete_returning", False)
    for round_ in range(20):
        created = make_verification(storage, f"token-{round_}")
        winners = [r for r in _race(storage, created.identifier) if r is not None]
        assert winners == [created]


# --- transactions, literal values, dates ---------------------------------------------------


def test_transaction_commits_and_rolls_back(storage: SQLStorage) -> None:
    with storage.transaction() as tx:
        user = tx.create_user(id=generate_id(), name="A", email="a@example.com",
                              email_verified=False, image=None, created_at=T0, updated_at=T0)
        assert tx.get_user_by_id(user.id) == user
    assert storage.get_user_by_id(user.id) == user

    class Boom(Exception):
        pass

    with pytest.raises(Boom), storage.transaction() as tx:
        tx.update_user(user.id, {"name": "changed"})
        tx.delete_user_sessions(user.id)
        tx.create_verification(Verification(
            id=generate_id(), identifier="x", value="y", expires_at=T0, created_at=T0,
            updated_at=T0))
        raise Boom
    after = storage.get_user_by_id(user.id)
    assert after is not None and after.name == "A"
    assert storage.find_verification("x") is None


def test_consume_in_transaction_is_restored_on_rollback(storage: SQLStorage) -> None:
    # docs/security.md#outages: a failure after the token was consumed must give the token back.
    made = make_verification(storage, "reset-password:tok")
    with pytest.raises(RuntimeError), storage.transaction() as tx:
        assert tx.consume_verification("reset-password:tok") == made
        raise RuntimeError("password update failed")
    assert storage.find_verification("reset-password:tok") == made


def test_sql_metacharacters_are_literal(storage: SQLStorage) -> None:
    # docs/security.md#input-validation: stored and looked up literally, no extra rows, schema
    # intact.
    name = "Robert'); DROP TABLE \"user\";--"
    user = make_user(storage, email="o'hara@example.com", name=name)
    make_user(storage, email="bob@example.com")
    fetched = storage.get_user_by_email("o'hara@example.com")
    assert fetched is not None and fetched.name == name
    for probe in ("%' OR '1'='1", "' OR 1=1 --", "%", "_%", "*"):
        assert storage.get_user_by_email(probe) is None
        assert storage.get_session(probe) is None
        assert storage.find_verification(probe) is None
    assert storage.get_user_by_id("1 OR 1=1") is None
    assert storage.get_user_by_id(f"{user.id}' OR '1'='1") is None
    make_verification(storage, "x%' OR '1'='1", "value'\"\\")
    got = storage.consume_verification("x%' OR '1'='1")
    assert got is not None and got.value == "value'\"\\"
    assert storage.count_users() == 2


@pytest.mark.parametrize("given", [
    T0,
    T0.astimezone(timezone(timedelta(hours=-7))),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2040, 1, 1, tzinfo=UTC),  # past MySQL TIMESTAMP's 2038 limit
])
def test_dates_round_trip_utc_ms(storage: SQLStorage, given: datetime) -> None:
    user = storage.create_user(id=generate_id(), name="d", email="d@example.com",
                               email_verified=True, image=None, created_at=given,
                               updated_at=given)
    fetched = storage.get_user_by_id(user.id)
    assert fetched is not None
    expected = given.astimezone(UTC).replace(microsecond=given.microsecond // 1000 * 1000)
    assert fetched.created_at == expected == user.created_at
    assert fetched.created_at.tzinfo is UTC and fetched.created_at.utcoffset() == timedelta(0)
    assert fetched.email_verified is True


def test_naive_datetime_is_refused(storage: SQLStorage) -> None:
    with pytest.raises(Exception, match="naive"):
        storage.create_user(id=generate_id(), name="n", email="n@example.com",
                            email_verified=False, image=None,
                            created_at=datetime(2026, 1, 1), updated_at=T0)


def test_unicode_is_stored(storage: SQLStorage) -> None:
    name = "Zoë 😀 名前"
    user = make_user(storage, email="zoë@example.com", name=name)
    fetched = storage.get_user_by_email("zoë@example.com")
    assert fetched is not None and fetched.name == name and fetched.id == user.id


def test_sqlite_stores_dates_and_booleans_as_better_auth_does(
        storage: SQLStorage, db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite storage format")
    user = make_user(storage)
    storage.update_user(user.id, {"emailVerified": True})
    with storage.engine.connect() as conn:
        row = conn.execute(text(
            'SELECT "createdAt", typeof("createdAt"), "emailVerified", typeof("emailVerified") '
            'FROM "user"')).one()
    assert tuple(row) == ("2026-11-28T02:41:44.123Z", "text", 1, "integer")


def test_in_memory_sqlite_across_threads() -> None:
    from authkit.storage import build_tables

    storage = SQLStorage("sqlite://", build_tables())
    storage.migrate()
    user = make_user(storage)
    seen: list[User | None] = []
    thread = threading.Thread(target=lambda: seen.append(storage.get_user_by_id(user.id)))
    thread.start()
    thread.join()
    assert seen == [user]
    created = make_verification(storage, "mem")
    assert [r for r in _race(storage, "mem") if r is not None] == [created]
    storage.close()


def test_unreachable_file_is_storage_unavailable(tmp_path: object) -> None:
    from authkit.storage import build_tables

    storage = SQLStorage("sqlite:////nonexistent-dir/x/authkit.db", build_tables())
    with pytest.raises(StorageUnavailable):
        storage.get_user_by_id("x")
