"""Better Auth 1.7.25's schema as SQLAlchemy Core tables (docs/wire-compatibility.md#schema).

Table and column names, column order, nullability, foreign keys (``ON DELETE CASCADE``),
unique columns and index names are those ``getMigrations`` creates, so authkit and a Node
Better Auth server can share one database and either may have created it. Types per dialect
come from :mod:`authkit.storage.types`: on MySQL ids and foreign keys are ``varchar(36)``,
unique, indexed and sortable strings ``varchar(255)``, other strings ``text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, MetaData, Table
from sqlalchemy.types import TypeEngine

from ..errors import ConfigError
from .fields import FieldSpec, IndexSpec
from .types import IntBool, JSONList, UTCDateTime, number_type, text_type

CORE_TABLES = ("user", "session", "account", "verification")
RATE_LIMIT_TABLE = "rateLimit"

# MySQL/MariaDB: utf8mb4 whatever the server's default (latin1 on many installs would
# reject or mangle non-Latin names).
_TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_engine": "InnoDB"}

# Better Auth limits generated index names to PostgreSQL's 63 bytes (database-index.mjs).
_MAX_INDEX_NAME_BYTES = 63


@dataclass(frozen=True)
class Tables:
    """The schema: the four core tables, the optional ``rateLimit`` table, plugin tables."""

    metadata: MetaData
    user: Table
    session: Table
    account: Table
    verification: Table
    rate_limit: Table | None = None
    extra: dict[str, Table] = field(default_factory=dict)
    # Extra columns per core table, for storage to fill ``.extra`` and apply defaults.
    fields: dict[str, tuple[FieldSpec, ...]] = field(default_factory=dict)


def index_name(table: str, column: str, *, unique: bool = False) -> str:
    """Better Auth's generated index name: ``<table>_<column>_idx`` (``_uidx`` if unique)."""
    kind = "uidx" if unique else "idx"
    name = f"{table}_{column}_{kind}"
    if len(name.encode("utf-8")) <= _MAX_INDEX_NAME_BYTES:
        return name
    # Same FNV-1a-over-UTF-16 hash and truncation as Better Auth, so both pick one name.
    digest = 2166136261
    for unit in _utf16_units(name):
        digest = ((digest ^ unit) * 16777619) & 0xFFFFFFFF
    suffix = f"_{digest:08x}_{kind}"
    head = name[: -len(kind) - 1]
    budget = _MAX_INDEX_NAME_BYTES - len(suffix.encode("utf-8"))
    out = ""
    for char in head:
        if len((out + char).encode("utf-8")) > budget:
            break
        out += char
    return out + suffix


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-le")
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def _id() -> Column[Any]:
    return Column("id", text_type(mysql_length=36), primary_key=True, nullable=False)


def _user_fk(name: str = "userId") -> Column[Any]:
    return Column(
        name,
        text_type(mysql_length=36),
        ForeignKey("user.id", ondelete="CASCADE"),
        nullable=False,
    )


def _column_type(spec: FieldSpec) -> TypeEngine[Any]:
    if spec.type == "string":
        if spec.references is not None:
            return text_type(mysql_length=36)
        indexed = spec.unique or spec.index or spec.sortable
        return text_type(mysql_length=255 if indexed else None)
    if spec.type == "number":
        return number_type(bigint=spec.bigint)
    if spec.type == "boolean":
        return IntBool()
    if spec.type == "date":
        return UTCDateTime()
    return JSONList()


def field_column(spec: FieldSpec) -> Column[Any]:
    """The column for a ``FieldSpec``."""
    args: list[Any] = []
    if spec.references is not None:
        ref_table, ref_column = spec.references
        args.append(ForeignKey(f"{ref_table}.{ref_column}", ondelete="CASCADE"))
    return Column(
        spec.name, _column_type(spec), *args, nullable=not spec.required, unique=spec.unique or None
    )


def _add_fields(table: Table, specs: Sequence[FieldSpec]) -> None:
    for spec in specs:
        if spec.name in table.c:
            raise ConfigError(f"field {spec.name!r} is already a column of table {table.name!r}")
        table.append_column(field_column(spec))
        if spec.index and not spec.unique:
            Index(index_name(table.name, spec.name), table.c[spec.name])


def build_tables(
    *,
    user_fields: Sequence[FieldSpec] = (),
    session_fields: Sequence[FieldSpec] = (),
    account_fields: Sequence[FieldSpec] = (),
    extra_tables: Mapping[str, Sequence[FieldSpec]] = {},
    rate_limit_table: bool = False,
    indexes: Sequence[IndexSpec] = (),
) -> Tables:
    """Build the schema: the core tables plus plugin columns and tables.

    ``extra_tables`` maps a table name to its fields; each gets a text ``id`` primary key,
    as Better Auth gives every model. ``indexes`` adds indexes on any of these tables. Raises ``ConfigError`` on a clash of names or a
    reference to an unknown table or column.
    """
    md = MetaData()
    user = Table(
        "user", md,
        _id(),
        Column("name", text_type(mysql_length=255), nullable=False),  # sortable
        Column("email", text_type(mysql_length=255, binary=True), nullable=False, unique=True),
        Column("emailVerified", IntBool(), nullable=False),
        Column("image", text_type()),
        Column("createdAt", UTCDateTime(), nullable=False),
        Column("updatedAt", UTCDateTime(), nullable=False),
        **_TABLE_OPTIONS,
    )
    session = Table(
        "session", md,
        _id(),
        Column("expiresAt", UTCDateTime(), nullable=False),
        Column("token", text_type(mysql_length=255), nullable=False, unique=True),
        Column("createdAt", UTCDateTime(), nullable=False),
        Column("updatedAt", UTCDateTime(), nullable=False),
        Column("ipAddress", text_type()),
        Column("userAgent", text_type()),
        _user_fk(),
        Index("session_userId_idx", "userId"),
        **_TABLE_OPTIONS,
    )
    account = Table(
        "account", md,
        _id(),
        Column("accountId", text_type(), nullable=False),
        Column("providerId", text_type(), nullable=False),
        _user_fk(),
        Column("accessToken", text_type()),
        Column("refreshToken", text_type()),
        Column("idToken", text_type()),
        Column("accessTokenExpiresAt", UTCDateTime()),
        Column("refreshTokenExpiresAt", UTCDateTime()),
        Column("scope", text_type()),
        Column("password", text_type()),
        Column("createdAt", UTCDateTime(), nullable=False),
        Column("updatedAt", UTCDateTime(), nullable=False),
        Index("account_userId_idx", "userId"),
        **_TABLE_OPTIONS,
    )
    verification = Table(
        "verification", md,
        _id(),
        Column("identifier", text_type(mysql_length=255), nullable=False),
        Column("value", text_type(), nullable=False),
        Column("expiresAt", UTCDateTime(), nullable=False),
        Column("createdAt", UTCDateTime(), nullable=False),
        Column("updatedAt", UTCDateTime(), nullable=False),
        Index("verification_identifier_idx", "identifier"),
        **_TABLE_OPTIONS,
    )
    rate_limit = None
    if rate_limit_table:
        rate_limit = Table(
            RATE_LIMIT_TABLE, md,
            _id(),
            Column("key", text_type(mysql_length=255), nullable=False, unique=True),
            Column("count", number_type(), nullable=False),
            Column("lastRequest", number_type(bigint=True), nullable=False),  # epoch ms
            **_TABLE_OPTIONS,
        )
    _add_fields(user, user_fields)
    _add_fields(session, session_fields)
    _add_fields(account, account_fields)
    extra: dict[str, Table] = {}
    for name, specs in extra_tables.items():
        if name in md.tables:
            raise ConfigError(f"table {name!r} already exists in the schema")
        table = Table(name, md, _id(), **_TABLE_OPTIONS)
        _add_fields(table, specs)
        extra[name] = table
    for spec in indexes:
        _add_index(md, spec)
    _check_references(md)
    return Tables(
        metadata=md, user=user, session=session, account=account, verification=verification,
        rate_limit=rate_limit, extra=extra,
        fields={"user": tuple(user_fields), "session": tuple(session_fields),
                "account": tuple(account_fields),
                **{name: tuple(specs) for name, specs in extra_tables.items()}},
    )


def _add_index(md: MetaData, spec: IndexSpec) -> None:
    table = md.tables.get(spec.table)
    missing = [c for c in spec.columns if table is None or c not in table.c]
    if table is None or missing:
        raise ConfigError(f"index on {spec.table}{list(spec.columns)}: no such table or column")
    if spec.pattern:
        column = spec.columns[0]
        name = spec.name or f"{spec.table}_{column}_pattern_idx"
        index = Index(name, table.c[column], postgresql_ops={column: "text_pattern_ops"})
        index.ddl_if(dialect="postgresql")
        # Read by migrate: the index exists on PostgreSQL only.
        index.info["dialects"] = ("postgresql",)
        return
    name = spec.name or index_name(spec.table, "_".join(spec.columns))
    if any(ix.name == name for ix in table.indexes):
        raise ConfigError(f"index {name!r} is declared twice")
    Index(name, *(table.c[c] for c in spec.columns))


def _check_references(md: MetaData) -> None:
    # ForeignKey targets resolve lazily; a typo would otherwise surface at CREATE TABLE time.
    for table in md.tables.values():
        for fk in table.foreign_keys:
            target_table, _, target_column = fk.target_fullname.rpartition(".")
            target = md.tables.get(target_table)
            if target is None or target_column not in target.c:
                raise ConfigError(
                    f"{table.name}.{fk.parent.name} references unknown column "
                    f"{fk.target_fullname!r}"
                )

