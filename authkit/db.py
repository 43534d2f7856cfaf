"""The internal adapter: storage calls that endpoints make, with database hooks around writes.

Endpoints never call ``SQLStorage`` writes directly; going through here is what lets
``database_hooks`` veto (``False``), change data (``{"data": {...}}``) or abort (raise
``APIError``) every create, update and delete (docs/wire-compatibility.md#database-hooks). ``after``
hooks are queued and run
once the surrounding transaction has committed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import APIError
from .loop_guard import check_blocking
from .models import SESSION_COLUMNS, USER_COLUMNS, Account, Session, User, Verification
from .storage.errors import DuplicateError, StorageUnavailable
from .storage.limits import ValueTooLong
from .storage.sql import CREDENTIAL_PROVIDER, SQLStorage
from .tokens import generate_id

if TYPE_CHECKING:
    from .endpoints.context import Context
    from .storage.secondary.records import SecondaryRecords

Hook = Callable[..., Any]
# {"user": {"create": {"before": fn, "after": fn}, ...}, "session": {...}, ...}
DatabaseHooks = Mapping[str, Mapping[str, Mapping[str, Hook]]]


@dataclass
class _Unit:
    """One transaction's state: its storage transaction, the after hooks waiting for its
    commit, and the secondary-storage undos waiting for a rollback. It belongs to the view
    ``Database.transaction()`` yields, so concurrent calls never share it."""

    tx: Any = None
    after: list[Callable[[], None]] = field(default_factory=list)
    rollback: list[Callable[[], None]] = field(default_factory=list)


class Database:
    """Hooked writes and plain reads over one storage.

    The shared instance (``auth.db``) holds no per-call state, so any number of threads may
    use it at once; ``transaction()`` yields a view that owns its transaction's state.
    """

    def __init__(self, storage: SQLStorage, hooks: list[DatabaseHooks],
                 secondary: SecondaryRecords | None = None) -> None:
        self.storage = storage
        self._hooks = hooks
        # With secondary storage, sessions/verification values go through it
        # (docs/wire-compatibility.md#secondary-storage).
        self.secondary = secondary
        # Per-call state: the shared ``auth.db`` has none (its writes run their after hooks
        # at once, on the caller's thread); each ``transaction()`` view gets its own unit.
        self._unit: _Unit | None = None

    @property
    def _tx(self) -> Any:
        """The open transaction of this view (``None`` on the shared database)."""
        return self._unit.tx if self._unit is not None else None

    # -- hook plumbing -------------------------------------------------------------------
    def _before(self, model: str, op: str, data: dict[str, Any], ctx: Context | None
                ) -> dict[str, Any] | None:
        for group in self._hooks:
            fn = group.get(model, {}).get(op, {}).get("before")
            if fn is None:
                continue
            result = fn(data, ctx)
            if result is False:
                return None
            if isinstance(result, Mapping) and isinstance(result.get("data"), Mapping):
                data = {**data, **result["data"]}
        return data

    def _after(self, model: str, op: str, record: Any, ctx: Context | None) -> None:
        runs = [functools.partial(fn, record, ctx) for group in self._hooks
                if (fn := group.get(model, {}).get(op, {}).get("after")) is not None]
        if self._unit is None or self._unit.tx is None:
            for run in runs:  # committed already: run now, on this call's thread
                run()
        else:
            self._unit.after.extend(runs)

    def flush_after(self) -> None:
        """Run queued ``after`` hooks (after commit); the shared database queues none."""
        if self._unit is None:
            return
        pending, self._unit.after = self._unit.after, []
        for run in pending:
            run()

    @property
    def _target(self) -> Any:
        return self._tx if self._tx is not None else self.storage

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """A unit of work: every write inside commits together or not at all.

        Returns a view bound to the transaction; its ``after`` hooks run on commit.
        """
        view = Database(self.storage, self._hooks, self.secondary)
        unit = view._unit = _Unit()
        try:
            with self.storage.transaction() as tx:
                unit.tx = tx
                yield view
        except BaseException:
            unit.tx = None
            view._undo()
            raise
        unit.tx = None
        unit.rollback.clear()
        view.flush_after()

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Undo a change outside the database (secondary storage) if this transaction
        rolls back. Outside a transaction there is nothing to roll back: ignored."""
        if self._unit is not None and self._unit.tx is not None:
            self._unit.rollback.append(undo)

    def _undo(self) -> None:
        if self._unit is None:
            return
        pending, self._unit.rollback = self._unit.rollback, []
        for undo in reversed(pending):
            try:
                undo()
            except Exception:
                logging.getLogger("authkit").exception("undoing a secondary-storage write")

    # -- users ---------------------------------------------------------------------------
    def create_user(self, ctx: Context | None, data: dict[str, Any]) -> User | None:
        """Create a user from wire-keyed ``data``; ``None`` when a hook vetoed it."""
        hooked = self._before("user", "create", data, ctx)
        if hooked is None:
            return None
        user: User = self._target.create_user(
            id=hooked["id"], name=hooked["name"], email=hooked["email"],
            email_verified=bool(hooked.get("emailVerified", False)), image=hooked.get("image"),
            created_at=hooked["createdAt"], updated_at=hooked["updatedAt"],
            extra={k: v for k, v in hooked.items() if k not in USER_COLUMNS},
        )
        self._after("user", "create", user, ctx)
        return user

    def create_user_with_credential(
            self, ctx: Context | None, data: dict[str, Any], *, password_hash: str | None,
            refused: Callable[[], Exception],
            failed: Callable[[], Exception] | None = None) -> User:
        """Create a user from wire-keyed ``data`` and, with ``password_hash``, its credential
        account, in one transaction (sign-up and the admin plugin's create-user).

        A hook vetoing either raises ``refused()``, so a vetoed account never leaves a
        password-less user behind. With ``failed``, an unexpected error while creating the
        user (an adapter error, a hook's bug; not an ``APIError``, a duplicate or an outage)
        is logged and replaced by ``failed()``, as Better Auth's sign-up answers it.
        """
        with self.transaction() as tx:
            try:
                user = tx.create_user(ctx, data)
            except (APIError, DuplicateError, StorageUnavailable, ValueTooLong):
                raise  # ValueTooLong: 400 VALIDATION_ERROR, as on every other route
            except Exception:
                if failed is None:
                    raise
                logging.getLogger("authkit").exception("failed to create user")
                raise failed() from None
            if user is None:
                raise refused()
            if password_hash is not None:
                now = data["createdAt"]
                account = tx.create_account(ctx, Account(
                    id=generate_id(), account_id=user.id, provider_id=CREDENTIAL_PROVIDER,
                    user_id=user.id, password=password_hash, created_at=now, updated_at=now))
                if account is None:
                    raise refused()
        return user

    def update_user(self, ctx: Context | None, user_id: str, values: dict[str, Any]
                    ) -> User | None:
        """Update a user; ``None`` when vetoed or gone."""
        hooked = self._before("user", "update", values, ctx)
        if hooked is None:
            return None
        user: User | None = (self._target.update_user(user_id, hooked) if self.secondary is None
                             else self.secondary.update_user(self, user_id, hooked))
        if user is not None:
            self._after("user", "update", user, ctx)
        return user

    def delete_user(self, ctx: Context | None, user: User) -> bool:
        """Delete a user with its sessions and accounts."""
        if self._before("user", "delete", user.to_json(), ctx) is None:
            return False
        done: bool = (self._target.delete_user(user.id) if self.secondary is None
                      else self.secondary.delete_user(self, user.id))
        if done:
            self._after("user", "delete", user, ctx)
        return done

    def get_user_by_email(self, email: str) -> User | None:
        """Look a user up by (lower-cased) email."""
        found: User | None = self._target.get_user_by_email(email)
        return found

    def get_user_by_id(self, user_id: str) -> User | None:
        """Look a user up by id."""
        found: User | None = self._target.get_user_by_id(user_id)
        return found

    # -- accounts ------------------------------------------------------------------------
    def create_account(self, ctx: Context | None, account: Account) -> Account | None:
        """Create an account row; ``None`` when vetoed."""
        data = {"id": account.id, "accountId": account.account_id,
                "providerId": account.provider_id, "userId": account.user_id}
        if self._before("account", "create", data, ctx) is None:
            return None
        created: Account = self._target.create_account(account)
        self._after("account", "create", created, ctx)
        return created

    def get_accounts(self, user_id: str) -> list[Account]:
        """Every account of a user, oldest first."""
        found: list[Account] = self._target.get_accounts(user_id)
        return found

    def get_credential_account(self, user_id: str) -> Account | None:
        """The user's credential (password) account."""
        found: Account | None = self._target.get_credential_account(user_id)
        return found

    def update_account(self, ctx: Context | None, account_id: str, values: dict[str, Any]
                       ) -> bool:
        """Update an account row; ``False`` when vetoed."""
        hooked = self._before("account", "update", values, ctx)
        if hooked is None:
            return False
        self._target.update_account(account_id, hooked)
        self._after("account", "update", {"id": account_id, **hooked}, ctx)
        return True

    def delete_user_accounts(self, ctx: Context | None, user_id: str) -> int:
        """Delete every account of a user; return how many."""
        count: int = self._target.delete_user_accounts(user_id)
        return count

    # -- sessions ------------------------------------------------------------------------
    def create_session(self, ctx: Context | None, session: Session) -> Session | None:
        """Create a session row; ``None`` when a hook vetoed it."""
        data = session.to_json()
        data["expiresAt"], data["createdAt"], data["updatedAt"] = (
            session.expires_at, session.created_at, session.updated_at)
        hooked = self._before("session", "create", data, ctx)
        if hooked is None:
            return None
        for key in ("ipAddress", "userAgent"):
            if key in hooked:
                setattr(session, "ip_address" if key == "ipAddress" else "user_agent", hooked[key])
        session.extra.update({k: v for k, v in hooked.items() if k not in SESSION_COLUMNS})
        created: Session = (self._target.create_session(session) if self.secondary is None
                            else self.secondary.create_session(self, session))
        self._after("session", "create", created, ctx)
        return created

    def get_session_with_user(self, token: str) -> tuple[Session, User] | None:
        """The session of a raw token with its user, in one query."""
        check_blocking()  # answering on the event loop: hand this request to a thread
        if self.secondary is not None:
            return self.secondary.get_session_with_user(self, token)
        found: tuple[Session, User] | None = self._target.get_session_with_user(token)
        return found

    def get_session(self, token: str) -> Session | None:
        """The session row of a raw token (without its user)."""
        check_blocking()
        if self.secondary is not None:
            pair = self.secondary.get_session_with_user(self, token)
            return None if pair is None else pair[0]
        found: Session | None = self._target.get_session(token)
        return found

    def update_session(self, ctx: Context | None, token: str, values: dict[str, Any], *,
                       extend_only: bool = False) -> Session | None:
        """Update a session by token (never an upsert).

        ``extend_only``: a sliding refresh, which never moves ``expiresAt`` backwards; a row
        that already expires later is returned as it is (see ``SQLStorage.update_session``).
        """
        hooked = self._before("session", "update", values, ctx)
        if hooked is None:
            return None
        updated: Session | None = (
            self._target.update_session(token, hooked, extend_only=extend_only)
            if self.secondary is None
            else self.secondary.update_session(self, token, hooked, extend_only=extend_only))
        if updated is not None:
            self._after("session", "update", updated, ctx)
        return updated

    def delete_session(self, ctx: Context | None, token: str) -> bool:
        """Delete one session by token."""
        if self._before("session", "delete", {"token": token}, ctx) is None:
            return False
        done: bool = (self._target.delete_session(token) if self.secondary is None
                      else self.secondary.delete_session(self, token))
        if done:
            self._after("session", "delete", {"token": token}, ctx)
        return done

    def delete_user_sessions(self, ctx: Context | None, user_id: str, *,
                             except_token: str | None = None) -> int:
        """Delete every session of a user (but ``except_token``)."""
        if self.secondary is not None:
            return self.secondary.delete_user_sessions(self, user_id, except_token)
        count: int = self._target.delete_user_sessions(user_id, except_token=except_token)
        return count

    def list_user_sessions(self, user_id: str) -> list[Session]:
        """Every session row of a user."""
        if self.secondary is not None:
            return self.secondary.list_user_sessions(self, user_id)
        found: list[Session] = self._target.list_user_sessions(user_id)
        return found

    # -- verification --------------------------------------------------------------------
    def create_verification(self, ctx: Context | None, v: Verification) -> Verification | None:
        """Store a verification value."""
        data = {"id": v.id, "identifier": v.identifier, "value": v.value,
                "expiresAt": v.expires_at}
        if self._before("verification", "create", data, ctx) is None:
            return None
        created: Verification = (
            self._target.create_verification(v) if self.secondary is None
            else self.secondary.create_verification(self, v))
        self._after("verification", "create", created, ctx)
        return created

    def find_verification(self, identifier: str) -> Verification | None:
        """The newest verification row of an identifier."""
        if self.secondary is not None:
            return self.secondary.find_verification(self, identifier)
        found: Verification | None = self._target.find_verification(identifier)
        return found

    def consume_verification(self, ctx: Context | None, identifier: str) -> Verification | None:
        """Atomically take a verification row: one caller wins."""
        found: Verification | None = (
            self._target.consume_verification(identifier) if self.secondary is None
            else self.secondary.consume_verification(self, identifier))
        if found is not None:
            self._after("verification", "delete", found, ctx)
        return found
