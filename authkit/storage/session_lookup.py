"""The get-session query on a pooled DBAPI connection: the one query every request runs.

Through ``Connection.execute`` the joined SELECT costs several times what the database
spends on it (the execution context, result metadata and row objects are rebuilt on every
call). Here the statement is compiled once, for the engine's dialect, and run on a
connection checked out of the same pool (with the same ``connect`` set-up and, for database
servers, the same pre-ping), each column through the same type processors a ``Connection``
would apply. A driver error is wrapped exactly as SQLAlchemy wraps it, so the caller's
outage rule (``StorageUnavailable``, answered 503) sees the same exception, and a dropped
connection is invalidated instead of going back to the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, Select, Table
from sqlalchemy import exc as sa_exc

from ..models import Session, User

Processor = Callable[[Any], Any] | None


class SessionLookup:
    """``lookup(token)`` → ``(Session, User)`` or ``None``, for one engine and schema."""

    def __init__(self, engine: Engine, statement: Select[Any], session: Table, user: Table,
                 session_columns: Mapping[str, str], user_columns: Mapping[str, str],
                 hidden: Callable[[str], frozenset[str]]) -> None:
        self._engine = engine
        dialect = engine.dialect
        self._dialect = dialect
        compiled = statement.compile(dialect=dialect)
        self._sql = str(compiled)
        positions = compiled.positiontup if compiled.positional else None
        # The one bound value, as the driver's paramstyle wants it.
        self._params: Callable[[str], Any] = (
            (lambda token: {"token": token}) if positions is None
            else (lambda token: tuple(token for _ in positions)))
        selected = list(statement.selected_columns)
        self._labels = [str(c.key) for c in selected]
        self._types = [c.type for c in selected]
        self._processors: list[Processor] | None = None
        index = {label: i for i, label in enumerate(self._labels)}
        # (record attribute, position) for the core columns; (column name, position) for the
        # columns plugins and additional fields add, which go to ``.extra``.
        self._session_core = [(attr, index["s_" + col]) for col, attr in session_columns.items()]
        self._session_extra = [(c.name, index["s_" + c.name]) for c in session.c
                               if c.name not in session_columns]
        self._user_core = [(attr, index["u_" + col]) for col, attr in user_columns.items()]
        self._user_extra = [(c.name, index["u_" + c.name]) for c in user.c
                            if c.name not in user_columns]
        self._session_hidden = hidden("session")
        self._user_hidden = hidden("user")

    def __call__(self, token: str) -> tuple[Session, User] | None:
        """Run the query; raises SQLAlchemy's wrapped ``DBAPIError`` on a driver error."""
        params = self._params(token)
        try:
            fairy = self._engine.raw_connection()  # pool checkout: pre-ping, connect events
        except self._dialect.loaded_dbapi.Error as exc:
            # Connecting failed (``Engine.connect`` wraps this the same way).
            raise self._wrap(exc, None, None, None) from exc
        try:
            cursor = None
            try:
                cursor = fairy.cursor()
                cursor.execute(self._sql, params)
                row = cursor.fetchone()
                description = cursor.description
            finally:
                if cursor is not None:
                    cursor.close()
        except self._dialect.loaded_dbapi.Error as exc:
            raise self._wrap(exc, fairy, cursor, params) from exc
        finally:
            fairy.close()  # back to the pool, which rolls the implicit transaction back
        if row is None:
            return None
        processors = self._processors
        if processors is None:
            # Per column, with the driver's column type, as a CursorResult picks them.
            processors = self._processors = [
                t._cached_result_processor(self._dialect, d[1])
                for t, d in zip(self._types, description, strict=True)]
        values = [v if p is None else p(v) for p, v in zip(processors, row, strict=True)]
        session = Session(**{attr: values[i] for attr, i in self._session_core},
                          extra={name: values[i] for name, i in self._session_extra},
                          hidden=self._session_hidden)
        user = User(**{attr: values[i] for attr, i in self._user_core},
                    extra={name: values[i] for name, i in self._user_extra},
                    hidden=self._user_hidden)
        return session, user

    def _wrap(self, exc: Exception, fairy: Any, cursor: Any, params: Any) -> sa_exc.DBAPIError:
        dialect = self._dialect
        dropped = False
        try:
            dropped = bool(dialect.is_disconnect(
                exc, None if fairy is None else fairy.dbapi_connection,  # type: ignore[arg-type]
                cursor))
        except Exception:  # noqa: BLE001 - deciding must not hide the driver's error
            dropped = False
        if dropped and fairy is not None:
            fairy.invalidate(exc)  # never handed out again; the pool opens a new one
        wrapped = sa_exc.DBAPIError.instance(
            None if fairy is None else self._sql, params, exc, dialect.loaded_dbapi.Error,
            connection_invalidated=dropped, dialect=dialect)
        assert isinstance(wrapped, sa_exc.DBAPIError)
        return wrapped
