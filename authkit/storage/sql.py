"""``SQLStorage``: every query authkit runs, on SQLite, PostgreSQL or MySQL/MariaDB.

Each method on ``SQLStorage`` is one transaction of its own. ``storage.transaction()``
yields a ``Tx`` with the same methods, all in one transaction that commits when the block
ends and rolls back when it raises: a reset that consumes its token, changes the password
and ends the sessions either happens whole or not at all (docs/security.md#outages).

Values pass only as bound parameters (docs/security.md#input-validation); rows come back as
:mod:`authkit.models`
records, with columns from plugins or ``additional_fields`` in ``.extra`` under their
column names.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    Select,
    Table,
    bindparam,
    delete,
    func,
    select,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy import update as sa_update

from ..errors import ConfigError
from ..loop_guard import check_blocking
from ..models import SESSION_COLUMNS, USER_COLUMNS, Account, Session, User, Verification, to_ms
from ..outage_log import report_outage
from . import rate_limit as _rate_limit
from .engine import (
    configure_engine,
    create_storage_engine,
    is_unavailable,
    needs_serialising,
    unique_violation,
)
from .errors import DuplicateError, StorageUnavailable
from .fields import FieldSpec
from .limits import check_lengths
from .migrate import migrate as _migrate
from .query import Condition, QueryError, Sort, order_clause, where_clause
from .rows import RowOps
from .session_lookup import SessionLookup
from .tables import Tables

CREDENTIAL_PROVIDER = "credential"

# Record attribute ↔ column, for the columns every Better Auth schema has.
_USER_COLUMNS = USER_COLUMNS
_SESSION_COLUMNS = SESSION_COLUMNS
_ACCOUNT_COLUMNS = {
    "id": "id", "accountId": "account_id", "providerId": "provider_id", "userId": "user_id",
    "accessToken": "access_token", "refreshToken": "refresh_token", "idToken": "id_token",
    "accessTokenExpiresAt": "access_token_expires_at",
    "refreshTokenExpiresAt": "refresh_token_expires_at", "scope": "scope",
    "password": "password", "createdAt": "created_at", "updatedAt": "updated_at",
}
_VERIFICATION_COLUMNS = {
    "id": "id", "identifier": "identifier", "value": "value", "expiresAt": "expires_at",
    "createdAt": "created_at", "updatedAt": "updated_at",
}


@contextmanager
def _translated() -> Iterator[None]:
    # Outages become StorageUnavailable (answered 503); everything else stays as raised.
    try:
        yield
    except (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError) as exc:
        if is_unavailable(exc):
            report_outage("database", exc)
            raise StorageUnavailable("the database is unavailable") from exc
        raise


def _session_user_query(tables: Tables) -> Select[Any]:
    # Built once: the get-session hot path runs it on every request.
    s, u = tables.session, tables.user
    return (
        select(*(c.label("s_" + c.name) for c in s.c), *(c.label("u_" + c.name) for c in u.c))
        .join_from(s, u, s.c.userId == u.c.id)
        .where(s.c.token == bindparam("token"))
    )


def _ms(value: datetime | None) -> datetime | None:
    return None if value is None else to_ms(value)


class _Ops(RowOps):
    """The queries, written once for ``SQLStorage`` (own transaction) and ``Tx`` (shared)."""

    _tables: Tables
    _session_user: Select[Any]

    def _connection(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _reading(self) -> AbstractContextManager[Connection]:
        """A connection for a single read; inside a ``Tx`` it is the transaction's."""
        return self._connection()

    # --- row ↔ record --------------------------------------------------------------------

    def _extra(self, table: Table, core: Mapping[str, str], row: RowMapping,
               prefix: str = "") -> dict[str, Any]:
        return {c.name: row[prefix + c.name] for c in table.c if c.name not in core}

    def _hidden(self, table: str) -> frozenset[str]:
        """Extra fields declared ``returned=False``: loaded, never serialised."""
        return frozenset(s.name for s in self._tables.fields.get(table, ()) if not s.returned)

    def _user(self, row: RowMapping, prefix: str = "") -> User:
        values = {attr: row[prefix + col] for col, attr in _USER_COLUMNS.items()}
        return User(**values, extra=self._extra(self._tables.user, _USER_COLUMNS, row, prefix),
                    hidden=self._hidden("user"))

    def _session(self, row: RowMapping, prefix: str = "") -> Session:
        values = {attr: row[prefix + col] for col, attr in _SESSION_COLUMNS.items()}
        extra = self._extra(self._tables.session, _SESSION_COLUMNS, row, prefix)
        return Session(**values, extra=extra, hidden=self._hidden("session"))

    @staticmethod
    def _account(row: RowMapping) -> Account:
        return Account(**{attr: row[col] for col, attr in _ACCOUNT_COLUMNS.items()})

    @staticmethod
    def _verification(row: RowMapping) -> Verification:
        return Verification(**{attr: row[col] for col, attr in _VERIFICATION_COLUMNS.items()})

    def _extra_values(self, table: Table, core: Mapping[str, str],
                      given: Mapping[str, Any]) -> dict[str, Any]:
        """The extra columns to insert: given values, then FieldSpec defaults, then None."""
        specs: dict[str, FieldSpec] = {s.name: s for s in self._tables.fields.get(table.name, ())}
        unknown = [k for k in given if k in core or k not in table.c]
        if unknown:
            raise ValueError(f"not extra columns of {table.name!r}: {sorted(unknown)}")
        out: dict[str, Any] = {}
        for column in table.c:
            if column.name in core:
                continue
            if column.name in given:
                out[column.name] = given[column.name]
            elif column.name in specs:
                out[column.name] = specs[column.name].default_value()
            else:
                out[column.name] = None
        return out

    @staticmethod
    def _checked_values(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
        unknown = [k for k in values if k not in table.c or k == "id"]
        if unknown:
            raise ValueError(f"cannot update {table.name!r} columns {sorted(unknown)}")
        check_lengths(table, values)
        return dict(values)

    @staticmethod
    def _insert(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
        check_lengths(table, values)
        try:
            conn.execute(table.insert().values(**values))
        except sa_exc.IntegrityError as exc:
            duplicate, column = unique_violation(exc)
            if duplicate:
                raise DuplicateError(table.name, column) from exc
            raise

    # --- users -----------------------------------------------------------------------------

    def create_user(self, *, id: str, name: str, email: str, email_verified: bool,
                    image: str | None, created_at: datetime, updated_at: datetime,
                    extra: Mapping[str, Any] = {}) -> User:
        """Insert a user; ``DuplicateError`` if the email is taken."""
        table = self._tables.user
        extras = self._extra_values(table, _USER_COLUMNS, extra)
        user = User(id=id, name=name, email=email, email_verified=email_verified, image=image,
                    created_at=to_ms(created_at), updated_at=to_ms(updated_at),
                    extra={k: _ms(v) if isinstance(v, datetime) else v
                           for k, v in extras.items()}, hidden=self._hidden("user"))
        values = {col: getattr(user, attr) for col, attr in _USER_COLUMNS.items()}
        with self._connection() as conn:
            self._insert(conn, table, {**values, **extras})
        return user

    def get_user_by_id(self, user_id: str) -> User | None:
        """The user with this id, or ``None``."""
        table = self._tables.user
        with self._connection() as conn:
            row = conn.execute(select(table).where(table.c.id == user_id)).mappings().first()
        return None if row is None else self._user(row)

    def get_user_by_email(self, email: str) -> User | None:
        """The user with exactly this email (callers lower-case it first)."""
        table = self._tables.user
        with self._connection() as conn:
            row = conn.execute(select(table).where(table.c.email == email)).mappings().first()
        return None if row is None else self._user(row)

    def update_user(self, user_id: str, values: Mapping[str, Any]) -> User | None:
        """Set columns (camelCase names) and return the updated user, ``None`` if absent."""
        table = self._tables.user
        changes = self._checked_values(table, values)
        with self._connection() as conn:
            if changes:
                try:
                    conn.execute(sa_update(table).where(table.c.id == user_id).values(**changes))
                except sa_exc.IntegrityError as exc:
                    duplicate, column = unique_violation(exc)
                    if duplicate:
                        raise DuplicateError(table.name, column) from exc
                    raise
            row = conn.execute(select(table).where(table.c.id == user_id)).mappings().first()
        return None if row is None else self._user(row)

    def delete_user(self, user_id: str) -> bool:
        """Delete a user; their sessions and accounts go with it (``ON DELETE CASCADE``)."""
        table = self._tables.user
        with self._connection() as conn:
            result = conn.execute(delete(table).where(table.c.id == user_id))
        return result.rowcount > 0

    def count_users(self, conditions: Sequence[Condition] = ()) -> int:
        """How many users exist (matching every condition, when given)."""
        table = self._tables.user
        where = where_clause(table, conditions, self._hidden("user"))
        with self._connection() as conn:
            count = conn.execute(select(func.count()).select_from(table).where(where)).scalar()
        return int(count or 0)

    def list_users(self, conditions: Sequence[Condition] = (), *, sort: Sort | None = None,
                   limit: int = 100, offset: int = 0) -> tuple[list[User], int]:
        """One page of the users matching every condition, and how many match in all.

        Raises ``QueryError`` for an unknown or hidden field, a value of the wrong type, or a
        query the database refuses; values only ever travel as bound parameters
        (docs/security.md#authorization, docs/security.md#input-validation).
        """
        table = self._tables.user
        hidden = self._hidden("user")
        where = where_clause(table, conditions, hidden)
        query = select(table).where(where)
        if sort is not None:
            query = query.order_by(*order_clause(table, sort, hidden))
        if limit < 0 or offset < 0:
            raise QueryError("limit and offset cannot be negative")
        query = query.limit(limit).offset(offset or None)
        counting = select(func.count()).select_from(table).where(where)
        try:
            with self._connection() as conn:
                rows = conn.execute(query).mappings().all()
                total = conn.execute(counting).scalar()
        except sa_exc.DBAPIError as exc:  # StorageUnavailable is not one: outages stay 503
            raise QueryError("the database refused the listing") from exc
        return [self._user(r) for r in rows], int(total or 0)

    def ping(self) -> None:
        """One round trip (``SELECT 1``); raises ``StorageUnavailable`` when the database is down."""
        with self._connection() as conn:
            conn.execute(select(1)).scalar()

    # --- accounts --------------------------------------------------------------------------

    def create_account(self, account: Account) -> Account:
        """Insert an account row."""
        stored = dataclasses.replace(
            account,
            created_at=to_ms(account.created_at), updated_at=to_ms(account.updated_at),
            access_token_expires_at=_ms(account.access_token_expires_at),
            refresh_token_expires_at=_ms(account.refresh_token_expires_at),
        )
        values = {col: getattr(stored, attr) for col, attr in _ACCOUNT_COLUMNS.items()}
        table = self._tables.account
        extras = self._extra_values(table, _ACCOUNT_COLUMNS, {})
        with self._connection() as conn:
            self._insert(conn, table, {**values, **extras})
        return stored

    def get_accounts(self, user_id: str) -> list[Account]:
        """A user's accounts, oldest first."""
        table = self._tables.account
        query = select(table).where(table.c.userId == user_id).order_by(
            table.c.createdAt, table.c.id)
        with self._connection() as conn:
            rows = conn.execute(query).mappings().all()
        return [self._account(r) for r in rows]

    def get_credential_account(self, user_id: str) -> Account | None:
        """The user's email-and-password account (``providerId="credential"``), or ``None``.

        Matched on the owning ``userId``, as Better Auth does (its ``accountId`` equals the
        user id for credential accounts).
        """
        table = self._tables.account
        query = (
            select(table)
            .where(table.c.userId == user_id, table.c.providerId == CREDENTIAL_PROVIDER)
            .order_by(table.c.createdAt, table.c.id)
            .limit(1)
        )
        with self._connection() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self._account(row)

    def update_account(self, account_id: str, values: Mapping[str, Any]) -> None:
        """Set columns of the account with this row ``id``."""
        table = self._tables.account
        changes = self._checked_values(table, values)
        if not changes:
            return
        with self._connection() as conn:
            conn.execute(sa_update(table).where(table.c.id == account_id).values(**changes))

    def delete_user_accounts(self, user_id: str) -> int:
        """Delete every account of a user (credential and OAuth alike); return how many."""
        table = self._tables.account
        with self._connection() as conn:
            result = conn.execute(delete(table).where(table.c.userId == user_id))
        return int(result.rowcount)

    # --- sessions --------------------------------------------------------------------------

    def create_session(self, session: Session) -> Session:
        """Insert a session row."""
        table = self._tables.session
        extras = self._extra_values(table, _SESSION_COLUMNS, session.extra)
        stored = dataclasses.replace(
            session,
            expires_at=to_ms(session.expires_at), created_at=to_ms(session.created_at),
            updated_at=to_ms(session.updated_at),
            extra={k: _ms(v) if isinstance(v, datetime) else v for k, v in extras.items()},
            hidden=self._hidden("session"),
        )
        values = {col: getattr(stored, attr) for col, attr in _SESSION_COLUMNS.items()}
        with self._connection() as conn:
            self._insert(conn, table, {**values, **extras})
        return stored

    def get_session_with_user(self, token: str) -> tuple[Session, User] | None:
        """The session with this raw token and its user, in one joined query (hot path)."""
        with self._reading() as conn:
            row = conn.execute(self._session_user, {"token": token}).mappings().first()
        if row is None:
            return None
        return self._session(row, "s_"), self._user(row, "u_")

    def get_session(self, token: str) -> Session | None:
        """The session with this raw token, or ``None``."""
        table = self._tables.session
        with self._connection() as conn:
            row = conn.execute(select(table).where(table.c.token == token)).mappings().first()
        return None if row is None else self._session(row)

    def update_session(self, token: str, values: Mapping[str, Any], *,
                       extend_only: bool = False) -> Session | None:
        """Update the session with this token; ``None`` if there is none (never inserts).

        ``extend_only`` (a sliding refresh): write only if ``values["expiresAt"]`` is later
        than the stored expiry, in the UPDATE's own WHERE, so that of two racing refreshes
        the later expiry stays whatever order they commit in (docs/security.md#concurrency); when
        the row already
        expires later it is returned unchanged.
        """
        table = self._tables.session
        changes = self._checked_values(table, values)
        new_token = changes.get("token", token)
        with self._connection() as conn:
            if changes:
                query = sa_update(table).where(table.c.token == token)
                if extend_only:
                    query = query.where(table.c.expiresAt < changes["expiresAt"])
                result = conn.execute(query.values(**changes))
                if result.rowcount == 0 and not extend_only:
                    return None
                if result.rowcount == 0:
                    new_token = token  # nothing written: read the row as it is, if any
            row = conn.execute(
                select(table).where(table.c.token == new_token)).mappings().first()
        return None if row is None else self._session(row)

    def delete_session(self, token: str) -> bool:
        """Delete the session with this token; ``True`` if there was one."""
        table = self._tables.session
        with self._connection() as conn:
            result = conn.execute(delete(table).where(table.c.token == token))
        return result.rowcount > 0

    def delete_user_sessions(self, user_id: str, *, except_token: str | None = None) -> int:
        """Delete a user's sessions, except the one with ``except_token``; return how many."""
        table = self._tables.session
        query = delete(table).where(table.c.userId == user_id)
        if except_token is not None:
            query = query.where(table.c.token != except_token)
        with self._connection() as conn:
            result = conn.execute(query)
        return result.rowcount

    def list_user_sessions(self, user_id: str) -> list[Session]:
        """A user's sessions, oldest first (expired ones included: callers filter)."""
        table = self._tables.session
        query = select(table).where(table.c.userId == user_id).order_by(
            table.c.createdAt, table.c.id)
        with self._connection() as conn:
            rows = conn.execute(query).mappings().all()
        return [self._session(r) for r in rows]

    # --- verification ----------------------------------------------------------------------

    def create_verification(self, v: Verification) -> Verification:
        """Insert a verification row."""
        stored = dataclasses.replace(
            v, expires_at=to_ms(v.expires_at), created_at=to_ms(v.created_at),
            updated_at=to_ms(v.updated_at))
        values = {col: getattr(stored, attr) for col, attr in _VERIFICATION_COLUMNS.items()}
        with self._connection() as conn:
            self._insert(conn, self._tables.verification, values)
        return stored

    def find_verification(self, identifier: str) -> Verification | None:
        """The newest row with this identifier (expired or not: callers check)."""
        table = self._tables.verification
        query = (
            select(table).where(table.c.identifier == identifier)
            .order_by(table.c.createdAt.desc(), table.c.id.desc()).limit(1)
        )
        with self._connection() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self._verification(row)

    def consume_verification(self, identifier: str) -> Verification | None:
        """Atomically take the rows with this identifier: return the newest, delete all.

        Of any number of concurrent callers exactly one gets the row; the others get
        ``None`` (single-use tokens, docs/security.md#concurrency). ``DELETE … RETURNING`` where the
        database has it
        (PostgreSQL, SQLite ≥ 3.35, MariaDB ≥ 10.5); elsewhere (MySQL) the rows are locked
        with ``SELECT … FOR UPDATE`` and only a caller whose ``DELETE`` removed them wins.
        """
        table = self._tables.verification
        where = table.c.identifier == identifier
        with self._connection() as conn:
            if conn.dialect.delete_returning:
                rows = conn.execute(delete(table).where(where).returning(*table.c)).mappings().all()
            else:
                rows = conn.execute(select(table).where(where).with_for_update()).mappings().all()
                if rows:
                    ids = [r["id"] for r in rows]
                    result = conn.execute(delete(table).where(table.c.id.in_(ids)))
                    if result.rowcount != len(ids):
                        return None
        if not rows:
            return None
        newest = max(rows, key=lambda r: (r["createdAt"], r["id"]))
        return self._verification(newest)

    def delete_verification(self, identifier: str) -> None:
        """Delete every row with this identifier."""
        table = self._tables.verification
        with self._connection() as conn:
            conn.execute(delete(table).where(table.c.identifier == identifier))

    def delete_expired_verifications(self, now: datetime) -> int:
        """Delete rows that expired before ``now``; return how many."""
        table = self._tables.verification
        with self._connection() as conn:
            result = conn.execute(delete(table).where(table.c.expiresAt < now))
        return result.rowcount


class Tx(_Ops):
    """The storage methods inside one open transaction (see ``SQLStorage.transaction``)."""

    def __init__(self, conn: Connection, tables: Tables, session_user: Select[Any]) -> None:
        self._conn = conn
        self._tables = tables
        self._session_user = session_user

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        with _translated():
            yield self._conn


class SQLStorage(_Ops):
    """Storage on one SQL database through SQLAlchemy Core.

    ``engine_or_url`` is an ``Engine`` or a URL (``sqlite:///path.db``, ``sqlite://`` in
    memory, ``postgresql://…``, ``mysql://…``/``mariadb://…``); ``engine_options`` go to
    ``create_engine`` for a URL. ``tables`` comes from ``build_tables``.
    """

    def __init__(self, engine_or_url: Engine | str, tables: Tables, *,
                 engine_options: Mapping[str, Any] = {}) -> None:
        if isinstance(engine_or_url, str):
            self.engine = create_storage_engine(engine_or_url, engine_options)
        else:
            if engine_options:
                raise ConfigError("engine_options apply only when a URL is given")
            self.engine = engine_or_url
            configure_engine(self.engine)
        self._tables = tables
        self._session_user = _session_user_query(tables)
        self._lookup = SessionLookup(self.engine, self._session_user, tables.session,
                                     tables.user, _SESSION_COLUMNS, _USER_COLUMNS, self._hidden)
        # In-memory SQLite: one shared connection, so one unit of work at a time.
        self._lock: AbstractContextManager[Any] = (
            threading.RLock() if needs_serialising(self.engine) else nullcontext()
        )

    @property
    def tables(self) -> Tables:
        """The schema this storage reads and writes."""
        return self._tables

    def migrate(self) -> list[str]:
        """Create missing tables, columns and indexes; return what was done (idempotent)."""
        with self._lock, _translated():
            return _migrate(self.engine, self._tables)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction: commits when the block ends, rolls back if it raises.

        Inside the block call the ``Tx``, not the storage: a storage method would run in a
        transaction of its own (and on in-memory SQLite, on the same connection).
        """
        check_blocking()
        with self._lock, _translated(), self.engine.begin() as conn:
            yield Tx(conn, self._tables, self._session_user)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        check_blocking()  # no I/O where the event loop is answering (loop_guard.py)
        with self._lock, _translated(), self.engine.begin() as conn:
            yield conn

    def get_session_with_user(self, token: str) -> tuple[Session, User] | None:
        """The session with this raw token and its user, in one joined query (hot path:
        compiled once and run on a pooled DBAPI connection, see ``session_lookup.py``)."""
        check_blocking()
        with self._lock, _translated():
            return self._lookup(token)

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        # No explicit BEGIN/COMMIT around a lone SELECT: measurably cheaper on the
        # get-session hot path, and the connection's implicit transaction ends on close.
        check_blocking()
        with self._lock, _translated(), self.engine.connect() as conn:
            yield conn

    # --- rate limits (only with build_tables(rate_limit_table=True)) ------------------------

    def consume_rate_limit(self, key: str, *, window_ms: int, max_count: int, now_ms: int,
                           prune_before_ms: int | None = None) -> tuple[bool, int]:
        """Count one request against ``key`` atomically: ``(allowed, lastRequest ms)``.

        Of two simultaneous requests at the limit exactly one is allowed
        (docs/security.md#rate-limiting); see
        ``storage/rate_limit.py`` for how each dialect guarantees it.
        """
        return _rate_limit.consume(self._connection, self._tables.rate_limit, key,
                                   window_ms=window_ms, max_count=max_count, now_ms=now_ms,
                                   prune_before_ms=prune_before_ms)

    def get_rate_limit(self, key: str) -> dict[str, Any] | None:
        """The ``rateLimit`` row of ``key`` (``{key, count, lastRequest}``), or ``None``."""
        table = self._tables.rate_limit
        return None if table is None else _rate_limit.read(self._connection, table, key)

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()

