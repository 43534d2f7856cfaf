"""build_tables: Better Auth's schema, plugin columns and tables, and configuration errors."""

from __future__ import annotations

import pytest

from authkit.errors import ConfigError
from authkit.storage import FieldSpec, build_tables
from authkit.storage.tables import index_name


def test_core_schema_matches_better_auth() -> None:
    tables = build_tables()
    assert [c.name for c in tables.user.c] == [
        "id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"]
    assert [c.name for c in tables.session.c] == [
        "id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId"]
    assert [c.name for c in tables.account.c] == [
        "id", "accountId", "providerId", "userId", "accessToken", "refreshToken", "idToken",
        "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "password", "createdAt",
        "updatedAt"]
    assert [c.name for c in tables.verification.c] == [
        "id", "identifier", "value", "expiresAt", "createdAt", "updatedAt"]
    assert tables.rate_limit is None and tables.extra == {}
    assert {ix.name for ix in tables.session.indexes} == {"session_userId_idx"}
    assert {ix.name for ix in tables.account.indexes} == {"account_userId_idx"}
    assert {ix.name for ix in tables.verification.indexes} == {"verification_identifier_idx"}
    for table in (tables.session, tables.account):
        (fk,) = table.foreign_keys
        assert fk.target_fullname == "user.id" and fk.ondelete == "CASCADE"
    assert tables.user.c.email.unique and tables.session.c.token.unique


def test_plugin_columns_and_tables() -> None:
    tables = build_tables(
        user_fields=[FieldSpec("role", "string", index=True), FieldSpec("code", "string",
                                                                       unique=True)],
        extra_tables={"apikey": [FieldSpec("userId", "string", required=True,
                                           references=("user", "id")),
                                 FieldSpec("start", "number", bigint=True)]},
        rate_limit_table=True,
    )
    assert [c.name for c in tables.user.c][-2:] == ["role", "code"]
    assert "user_role_idx" in {ix.name for ix in tables.user.indexes}
    assert tables.user.c.code.unique
    apikey = tables.extra["apikey"]
    assert [c.name for c in apikey.c] == ["id", "userId", "start"]
    assert not apikey.c.userId.nullable
    assert tables.rate_limit is not None
    assert [c.name for c in tables.rate_limit.c] == ["id", "key", "count", "lastRequest"]
    assert tables.fields["user"][0].name == "role"


@pytest.mark.parametrize("kwargs", [
    {"user_fields": [FieldSpec("email", "string")]},
    {"session_fields": [FieldSpec("x", "string"), FieldSpec("x", "number")]},
    {"extra_tables": {"user": []}},
    {"extra_tables": {"t": [FieldSpec("u", "string", references=("nope", "id"))]}},
    {"extra_tables": {"t": [FieldSpec("u", "string", references=("user", "nope"))]}},
])
def test_configuration_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        build_tables(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [
    {"name": "bad name", "type": "string"},
    {"name": "x", "type": "json"},
    {"name": "x", "type": "string", "bigint": True},
])
def test_fieldspec_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FieldSpec(**kwargs)  # type: ignore[arg-type]


def test_fieldspec_default_callable() -> None:
    assert FieldSpec("a", "number", default=lambda: 7).default_value() == 7
    assert FieldSpec("a", "number", default=3).default_value() == 3


@pytest.mark.parametrize(("table", "column", "unique", "expected"), [
    # Computed by @better-auth/core 1.7.25 getDatabaseFieldIndexName.
    ("user", "role", False, "user_role_idx"),
    ("organizationInvitationRequest", "invitedByUserIdentifierLongName", False,
     "organizationInvitationRequest_invitedByUserIdentif_7e5c754e_idx"),
    ("organizationInvitationRequest", "invitedByUserIdentifierLongName", True,
     "organizationInvitationRequest_invitedByUserIdenti_f970dab1_uidx"),
    ("tëst", "çolumn" + "n" * 59, False,
     "tëst_çolumnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn_d0bfd604_idx"),
])
def test_index_names_match_better_auth(table: str, column: str, unique: bool,
                                       expected: str) -> None:
    assert index_name(table, column, unique=unique) == expected
