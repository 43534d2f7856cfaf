"""Sessions and verification values in secondary storage, under Better Auth's keys
(docs/wire-compatibility.md#secondary-storage).

Keys and values are those of Better Auth 1.7, so a Node server sharing the store reads them:

* ``<token>`` → ``{"session": {…}, "user": {…}}``, expiring with the session;
* ``active-sessions-<userId>`` → ``[{"token", "expiresAt" (ms)}]`` sorted by expiry;
* ``revoked-sessions-before-<userId>`` → ms timestamp: sessions created before it are dead,
  whichever instance cached them and whether or not they are in the list;
* ``verification:<identifier>`` → the verification row.

Sessions live only here unless ``session.store_session_in_database``; verification values
unless ``verification.store_in_database`` (then both are written, the database is the
authority and the store a cache).

When the store is down (docs/security.md#decisions, docs/security.md#outages): data held only here
cannot be read or
revoked, so those calls raise ``SecondaryStorageUnavailable`` (503, never "signed out").
Where the database holds the data, reads fall back to it. A revocation is never lost: it
runs inside a database transaction that rolls back when the store cannot be updated, so it
either happens in both places or fails with 503 and can be retried. User changes fail the
same way, so a demoted or banned user's cached copy is never left stale.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...models import (
    SESSION_COLUMNS,
    USER_COLUMNS,
    Session,
    User,
    Verification,
    iso,
    parse_iso,
    to_ms,
)
from ..fields import FieldSpec
from .store import (
    SecondaryStorage,
    SecondaryStorageUnavailable,
    SupportsReplace,
    SupportsUpdate,
)

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...db import Database

log = logging.getLogger("authkit.secondary")

_SESSION_CORE = frozenset(SESSION_COLUMNS)
_USER_CORE = frozenset(USER_COLUMNS)
_DAY = 86400

# Records how to undo one store write (called only if the unit of work fails).
Remember = Callable[[Callable[[], None]], None]


def _run_undo(undo: list[Callable[[], None]]) -> None:
    for step in reversed(undo):
        try:
            step()
        except Exception:
            # The store is likely the thing that failed; what cannot be put back is logged.
            log.exception("could not undo a secondary-storage write")


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _loads(raw: Any) -> Any:
    """A stored value: JSON text, or an object a custom store already parsed."""
    if raw is None or isinstance(raw, (dict, list, int, float)):
        return raw
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def _revive(value: Any, spec: FieldSpec | None) -> Any:
    if spec is not None and spec.type == "date" and isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            return value
    return value


class SecondaryRecords:
    """Better Auth's secondary-storage layout for one ``AuthKit``."""

    def __init__(self, store: SecondaryStorage, *, sessions_in_db: bool,
                 verification_in_db: bool, now: Callable[[], datetime],
                 session_expires_in: int, user_fields: Sequence[FieldSpec] = (),
                 session_fields: Sequence[FieldSpec] = (),
                 revoked_ttl_floor: int = 0) -> None:
        self.store = store
        self.sessions_in_db = sessions_in_db
        self.verification_in_db = verification_in_db
        self._now = now
        self._user_fields = {s.name: s for s in user_fields}
        self._session_fields = {s.name: s for s in session_fields}
        self._user_hidden = frozenset(s.name for s in user_fields if not s.returned)
        self._session_hidden = frozenset(s.name for s in session_fields if not s.returned)
        # Long enough to outlive every session created before the revocation.
        self._revoked_ttl = max(session_expires_in, _DAY, revoked_ttl_floor)
        self._can_replace = isinstance(store, SupportsReplace)
        self._can_update = isinstance(store, SupportsUpdate)

    # -- (de)serialisation ---------------------------------------------------------------
    def session_json(self, session: Session) -> dict[str, Any]:
        """The session as Better Auth stores it (every field, dates as ISO text)."""
        return session.to_json(frozenset())

    def user_json(self, user: User) -> dict[str, Any]:
        """The user as Better Auth stores it."""
        return user.to_json(frozenset())

    def parse_session(self, data: Mapping[str, Any]) -> Session:
        """A ``Session`` from its stored JSON."""
        return Session(
            id=str(data["id"]), token=str(data["token"]), user_id=str(data["userId"]),
            expires_at=parse_iso(str(data["expiresAt"])),
            created_at=parse_iso(str(data["createdAt"])),
            updated_at=parse_iso(str(data["updatedAt"])),
            ip_address=data.get("ipAddress"), user_agent=data.get("userAgent"),
            extra={k: _revive(v, self._session_fields.get(k)) for k, v in data.items()
                   if k not in _SESSION_CORE},
            hidden=self._session_hidden,
        )

    def parse_user(self, data: Mapping[str, Any]) -> User:
        """A ``User`` from its stored JSON."""
        return User(
            id=str(data["id"]), name=str(data["name"]), email=str(data["email"]),
            email_verified=bool(data.get("emailVerified")), image=data.get("image"),
            created_at=parse_iso(str(data["createdAt"])),
            updated_at=parse_iso(str(data["updatedAt"])),
            extra={k: _revive(v, self._user_fields.get(k)) for k, v in data.items()
                   if k not in _USER_CORE},
            hidden=self._user_hidden,
        )

    def _ttl(self, expires_at: datetime | int) -> int:
        expires_ms = expires_at if isinstance(expires_at, int) else _ms(expires_at)
        return max(math.floor((expires_ms - _ms(self._now())) / 1000), 0)

    def _write(self, key: str, value: str, ttl: int, *, only_if_present: bool) -> bool:
        if only_if_present and self._can_replace:
            assert isinstance(self.store, SupportsReplace)
            return self.store.replace(key, value, ttl)
        self.store.set(key, value, ttl)
        return True

    # -- the session cache ---------------------------------------------------------------
    def _live(self, raw: Any, without: Collection[str] = ()) -> list[dict[str, Any]]:
        """The unexpired references in a stored ``active-sessions-*`` value."""
        data = _loads(raw)
        now = _ms(self._now())
        return [r for r in data if isinstance(r, dict) and "token" in r
                and int(r["expiresAt"]) > now and r["token"] not in without] if isinstance(
            data, list) else []

    def _live_references(self, user_id: str, *, without: Collection[str] = ()
                         ) -> list[dict[str, Any]]:
        return self._live(self.store.get(f"active-sessions-{user_id}"), without)

    def _change_references(self, user_id: str, *, drop: Collection[str] = (),
                           add: Session | None = None) -> None:
        """Remove ``drop`` from the user's active list and/or add ``add``, atomically where
        the store can (``SupportsUpdate``): a lost update would hide a session from
        list-sessions, revoke-other-sessions and user refreshes (CVE-2026-134321)."""
        key = f"active-sessions-{user_id}"

        def change(raw: Any) -> tuple[str | None, int | None]:
            gone = {*drop, add.token} if add is not None else drop
            refs = self._live(raw, gone)
            if add is not None:
                refs.append({"token": add.token, "expiresAt": _ms(add.expires_at)})
            refs.sort(key=lambda r: int(r["expiresAt"]))
            ttl = self._ttl(int(refs[-1]["expiresAt"])) if refs else 0
            return (json.dumps(refs, separators=(",", ":")) if ttl > 0 else None), ttl

        if self._can_update:
            assert isinstance(self.store, SupportsUpdate)
            self.store.update(key, change)
            return
        value, ttl = change(self.store.get(key))
        if value is None:
            self.store.delete(key)
        else:
            self.store.set(key, value, ttl)

    def _entry(self, session: Session, user: User) -> str:
        """The ``<token>`` value: ``{"session", "user"}`` as Better Auth stores it."""
        return json.dumps({"session": self.session_json(session), "user": self.user_json(user)},
                          separators=(",", ":"))

    def cache_session(self, session: Session, user: User) -> None:
        """Write ``<token>`` and add it to the user's active list."""
        ttl = self._ttl(session.expires_at)
        if ttl <= 0:
            return
        self._change_references(session.user_id, add=session)
        self.store.set(session.token, self._entry(session, user), ttl)

    def _revoked_before(self, user_id: str) -> int:
        raw = _loads(self.store.get(f"revoked-sessions-before-{user_id}"))
        try:
            return int(raw) if raw is not None else 0
        except (TypeError, ValueError):
            return 0

    def cached(self, token: str) -> tuple[Session, User] | None:
        """The cached session and user, ``None`` when absent, unparsable or revoked."""
        data = _loads(self.store.get(token))
        if not isinstance(data, dict) or not isinstance(data.get("session"), dict):
            return None
        try:
            session = self.parse_session(data["session"])
            user = self.parse_user(data["user"])
        except (KeyError, TypeError, ValueError):
            return None
        if _ms(session.created_at) < self._revoked_before(session.user_id):
            return None
        return session, user

    def _uncache(self, token: str, remember: Remember) -> None:
        data = _loads(self.store.get(token))
        session = data.get("session") if isinstance(data, dict) else None
        user_id = str(session["userId"]) if isinstance(session, dict) and "userId" in session \
            else None
        keys = [token] + ([f"active-sessions-{user_id}"] if user_id else [])
        self._snapshot(keys, remember)
        if user_id is not None:
            self._change_references(user_id, drop={token})
        self.store.delete(token)

    def _revoke_all(self, user_id: str, except_token: str | None, remember: Remember) -> int:
        refs = self._live_references(user_id)
        doomed = {r["token"] for r in refs if r["token"] != except_token}
        marker = f"revoked-sessions-before-{user_id}"
        self._snapshot([marker, f"active-sessions-{user_id}", *doomed], remember)
        if except_token is None:
            # The marker also kills sessions missing from the list (two instances racing to
            # rewrite it): a revocation of everything cannot miss one.
            now = _ms(self._now())
            self.store.set(marker, str(max(now, self._revoked_before(user_id))),
                           self._revoked_ttl)
        for token in doomed:
            self.store.delete(token)
        self._change_references(user_id, drop=doomed)
        return len(doomed)

    def _refresh_user(self, user: User, remember: Remember) -> None:
        for ref in self._live_references(user.id):
            raw = self.store.get(ref["token"])
            data = _loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("session"), dict):
                continue
            self._snapshot([ref["token"]], remember)
            ttl = self._ttl(int(ref["expiresAt"]))
            value = json.dumps({"session": data["session"], "user": self.user_json(user)},
                               separators=(",", ":"))
            self._write(ref["token"], value, ttl, only_if_present=True)

    # -- all or nothing across the database and the store --------------------------------
    def _ttl_for(self, key: str, data: Any) -> int:
        if key.startswith("revoked-sessions-before-"):
            return self._revoked_ttl
        if key.startswith("active-sessions-") and isinstance(data, list) and data:
            return self._ttl(max(int(r["expiresAt"]) for r in data))
        if isinstance(data, dict) and isinstance(data.get("session"), dict):
            return self._ttl(parse_iso(str(data["session"]["expiresAt"])))
        return 0

    def _snapshot(self, keys: Sequence[str], remember: Remember) -> None:
        """Record how to put ``keys`` back as they are now, should the unit of work fail."""
        saved = [(key, self.store.get(key)) for key in keys]

        def restore() -> None:
            for key, raw in saved:
                data = _loads(raw)
                ttl = self._ttl_for(key, data)
                if raw is None or ttl <= 0:
                    self.store.delete(key)
                else:
                    self.store.set(key, raw if isinstance(raw, str) else json.dumps(raw), ttl)

        remember(restore)

    @contextmanager
    def _scope(self, db: Database) -> Iterator[Remember]:
        """Undo store writes if the surrounding work fails (a transaction view's rollback, or
        an exception here), so the store never keeps half of a unit of work."""
        if db._tx is not None:
            yield db.on_rollback
            return
        undo: list[Callable[[], None]] = []
        try:
            yield undo.append
        except BaseException:
            _run_undo(undo)
            raise

    @contextmanager
    def _atomic(self, db: Database) -> Iterator[tuple[Any, Remember]]:
        # The store is written before the database commits; if either fails, both are put
        # back: a revocation happens in both places or in neither (docs/security.md#outages).
        if db._tx is not None:
            yield db._tx, db.on_rollback
            return
        undo: list[Callable[[], None]] = []
        try:
            with db.storage.transaction() as tx:
                yield tx, undo.append
        except BaseException:
            _run_undo(undo)
            raise

    # -- operations routed from Database -------------------------------------------------
    def create_session(self, db: Database, session: Session) -> Session:
        """Store a new session (and its row, with ``store_session_in_database``)."""
        session = replace(session, expires_at=to_ms(session.expires_at),
                          created_at=to_ms(session.created_at),
                          updated_at=to_ms(session.updated_at))
        for name, spec in self._session_fields.items():
            session.extra.setdefault(name, spec.default_value())
        session.hidden = self._session_hidden
        target = db._target
        if self.sessions_in_db:
            session = target.create_session(session)
        user = target.get_user_by_id(session.user_id)
        if user is None:
            return session
        try:
            with self._scope(db) as remember:
                self._snapshot([session.token, f"active-sessions-{session.user_id}"], remember)
                self.cache_session(session, user)
        except SecondaryStorageUnavailable:
            if not self.sessions_in_db:
                raise
            log.warning("secondary storage down: session %s stored in the database only",
                        session.id)
        return session

    def get_session_with_user(self, db: Database, token: str) -> tuple[Session, User] | None:
        """The session of ``token``: the cache first, the database where it holds sessions."""
        try:
            found = self.cached(token)
            if found is not None and (not self.sessions_in_db
                                      or found[0].expires_at > self._now()):
                return found
            if found is None and not self.sessions_in_db:
                return None
        except SecondaryStorageUnavailable:
            if not self.sessions_in_db:
                raise  # only here: neither the session nor a revocation can be checked
            log.warning("secondary storage down: reading session from the database")
        # A cached copy that looks expired may predate a refresh written while the store was
        # down: the database row decides.
        result: tuple[Session, User] | None = db._target.get_session_with_user(token)
        return result

    def update_session(self, db: Database, token: str, values: Mapping[str, Any], *,
                       extend_only: bool = False) -> Session | None:
        """Merge ``values`` into the session; never brings back a deleted one.

        ``extend_only``: see ``Database.update_session``. Atomic in the database, and in a
        store with ``update`` (Redis, memory); in other stores a read-then-write check, which
        narrows the race but cannot close it.
        """
        if self.sessions_in_db:
            updated: Session | None = db._target.update_session(token, values,
                                                                 extend_only=extend_only)
            if updated is None:
                return None
            try:
                found = self.cached(token)
                if found is not None:
                    self._store_updated(updated, found[1])
            except SecondaryStorageUnavailable:
                log.warning("secondary storage down: session refresh written to the "
                            "database only")
            return updated
        found = self.cached(token)
        if found is None:
            return None
        session, user = found
        new_expiry = values.get("expiresAt")
        if extend_only and isinstance(new_expiry, datetime) and \
                new_expiry <= session.expires_at:
            return session  # a racing refresh already extended it further
        merged = self.session_json(session)
        for key, value in values.items():
            merged[key] = iso(value) if isinstance(value, datetime) else value
        updated = self.parse_session(merged)
        if extend_only and self._can_update and updated.token == token:
            return self._extend(updated, user)
        if not self._store_updated(updated, user, old_token=token):
            return None
        return updated

    def _extend(self, session: Session, user: User) -> Session | None:
        """A refresh as one atomic step of the store: written only while the key exists (no
        revival after a sign-out) and only if it extends the stored expiry; otherwise the
        stored session, which a racing refresh extended further, is the answer."""
        ttl = self._ttl(session.expires_at)
        value = self._entry(session, user)
        # What the last (committed) run of ``change`` decided; Redis may run it again.
        answer: list[Session | None] = [None]

        def change(raw: Any) -> tuple[str | None, int | None]:
            if raw is None:
                answer[0] = None
                return None, None  # signed out meanwhile: stays gone
            stored = self._stored_session(raw)
            if stored is not None and stored.expires_at >= session.expires_at:
                answer[0] = stored
                return (raw if isinstance(raw, str) else json.dumps(raw),
                        self._ttl(stored.expires_at))  # unchanged
            answer[0] = session
            return value, ttl

        assert isinstance(self.store, SupportsUpdate)
        self.store.update(session.token, change)
        if answer[0] is session:
            self._change_references(session.user_id, drop={session.token}, add=session)
        return answer[0]

    def _stored_session(self, raw: Any) -> Session | None:
        data = _loads(raw)
        try:
            return self.parse_session(data["session"]) if isinstance(data, dict) else None
        except (KeyError, TypeError, ValueError):
            return None

    def _store_updated(self, session: Session, user: User, old_token: str | None = None
                       ) -> bool:
        ttl = self._ttl(session.expires_at)
        gone = {session.token, old_token or session.token}
        if ttl <= 0:
            # Moved to an expiry already past: the session is over in the store too (Better
            # Auth leaves the old copy, which would keep it listed and usable).
            for token in gone:
                self.store.delete(token)
            self._change_references(session.user_id, drop=gone)
            return True
        value = self._entry(session, user)
        if old_token is not None and old_token != session.token:
            self.store.delete(old_token)
            self.store.set(session.token, value, ttl)
        elif not self._write(session.token, value, ttl, only_if_present=True):
            return False  # signed out meanwhile: a refresh must not revive it (docs/security.md#concurrency)
        self._change_references(session.user_id, drop=gone, add=session)
        return True

    def delete_session(self, db: Database, token: str) -> bool:
        """Remove the session from the store (and the database) or raise: never half."""
        if not self.sessions_in_db:
            with self._scope(db) as remember:
                existed = self.store.get(token) is not None
                self._uncache(token, remember)
            return existed
        with self._atomic(db) as (target, remember):
            deleted: bool = target.delete_session(token)
            self._uncache(token, remember)
        return deleted

    def delete_user_sessions(self, db: Database, user_id: str,
                             except_token: str | None = None) -> int:
        """End a user's sessions (but ``except_token``) in the store and the database."""
        if not self.sessions_in_db:
            with self._scope(db) as remember:
                return self._revoke_all(user_id, except_token, remember)
        with self._atomic(db) as (target, remember):
            count: int = target.delete_user_sessions(user_id, except_token=except_token)
            self._revoke_all(user_id, except_token, remember)
        return count

    def list_user_sessions(self, db: Database, user_id: str) -> list[Session]:
        """A user's live sessions (the database's rows with ``store_session_in_database``)."""
        if self.sessions_in_db:
            rows: list[Session] = db._target.list_user_sessions(user_id)
            return rows
        out: list[Session] = []
        for ref in self._live_references(user_id):
            found = self.cached(ref["token"])
            if found is not None:
                out.append(found[0])
        return sorted(out, key=lambda s: (s.created_at, s.id))

    def update_user(self, db: Database, user_id: str, values: Mapping[str, Any]
                    ) -> User | None:
        """Update the row and every cached copy of the user, or neither."""
        with self._atomic(db) as (target, remember):
            user: User | None = target.update_user(user_id, values)
            if user is not None:
                self._refresh_user(user, remember)
        return user

    def delete_user(self, db: Database, user_id: str) -> bool:
        """Delete the user's row and end every cached session of theirs."""
        with self._atomic(db) as (target, remember):
            done: bool = target.delete_user(user_id)
            if done:
                self._revoke_all(user_id, None, remember)
        return done

    # -- verification values -------------------------------------------------------------
    def verification_json(self, v: Verification) -> str:
        """The row as Better Auth stores it."""
        return json.dumps({"id": v.id, "identifier": v.identifier, "value": v.value,
                           "expiresAt": iso(v.expires_at), "createdAt": iso(v.created_at),
                           "updatedAt": iso(v.updated_at)}, separators=(",", ":"))

    def parse_verification(self, raw: Any) -> Verification | None:
        """A stored value back into a ``Verification``, ``None`` when unusable."""
        data = _loads(raw)
        if not isinstance(data, dict):
            return None
        try:
            expires = parse_iso(str(data["expiresAt"]))
            created = parse_iso(str(data.get("createdAt") or data["expiresAt"]))
            updated = parse_iso(str(data.get("updatedAt") or created.isoformat()))
            return Verification(id=str(data.get("id", "")), identifier=str(data["identifier"]),
                                value=str(data["value"]), expires_at=expires,
                                created_at=created, updated_at=updated)
        except (KeyError, TypeError, ValueError):
            return None

    def create_verification(self, db: Database, v: Verification) -> Verification:
        """Store the value (and the row, with ``verification.store_in_database``)."""
        v = replace(v, expires_at=to_ms(v.expires_at), created_at=to_ms(v.created_at),
                    updated_at=to_ms(v.updated_at))
        if self.verification_in_db:
            v = db._target.create_verification(v)
        ttl = self._ttl(v.expires_at)
        try:
            if ttl > 0:
                self.store.set(f"verification:{v.identifier}", self.verification_json(v), ttl)
        except SecondaryStorageUnavailable:
            if not self.verification_in_db:
                raise
            log.warning("secondary storage down: verification value kept in the database only")
        return v

    def find_verification(self, db: Database, identifier: str) -> Verification | None:
        """The value of ``identifier``: the store first, then the database if it keeps them."""
        try:
            found = self.parse_verification(self.store.get(f"verification:{identifier}"))
            if found is not None or not self.verification_in_db:
                return found
        except SecondaryStorageUnavailable:
            if not self.verification_in_db:
                raise
        result: Verification | None = db._target.find_verification(identifier)
        return result

    def consume_verification(self, db: Database, identifier: str) -> Verification | None:
        """Take the value once: ``get_and_delete`` in the store, or the database's DELETE.

        Inside a transaction that later rolls back, a value taken from the store is put back,
        so a failed reset leaves its token usable (docs/security.md#outages).
        """
        key = f"verification:{identifier}"
        if not self.verification_in_db:
            raw = self.store.get_and_delete(key)
            taken = self.parse_verification(raw)
            if taken is not None and db._tx is not None:
                ttl = self._ttl(taken.expires_at)
                db.on_rollback(lambda: self.store.set(key, self.verification_json(taken), ttl))
            return taken
        found: Verification | None = db._target.consume_verification(identifier)
        if found is not None:
            try:
                self.store.delete(key)
            except SecondaryStorageUnavailable:
                # The database row is gone, and it is the authority: a stale cached copy can
                # be found but never consumed again.
                log.warning("secondary storage down: cached verification value not removed")
        return found

    def delete_verification(self, db: Database, identifier: str) -> None:
        """Remove the value everywhere it is kept."""
        self.store.delete(f"verification:{identifier}")
        if self.verification_in_db:
            db._target.delete_verification(identifier)


def secondary_records(auth: AuthKit) -> SecondaryRecords | None:
    """The records layer of ``auth``, or ``None`` without ``secondary_storage``."""
    if auth.secondary_storage is None:
        return None
    # Better Auth keeps revocation markers at least as long as an impersonation session.
    admin_floor = max((int(getattr(getattr(p, "options", None),
                                   "impersonation_session_duration", 0) or 0)
                       for p in auth.plugins), default=0)
    return SecondaryRecords(
        auth.secondary_storage,
        sessions_in_db=auth.options.session.store_session_in_database,
        verification_in_db=auth.options.verification.store_in_database,
        now=auth.now, session_expires_in=auth.options.session.expires_in,
        user_fields=auth.user_fields, session_fields=auth.session_fields,
        revoked_ttl_floor=admin_floor)
