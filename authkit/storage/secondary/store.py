"""Secondary storage (docs/wire-compatibility.md#secondary-storage): a key-value store shared by
every instance of the service.

``SecondaryStorage`` is Better Auth 1.7's interface in Python: ``get``, ``set`` with a TTL in
seconds, ``delete``, an atomic ``get_and_delete`` (single-use values) and an atomic
``increment`` (rate-limit counters). ``MemoryStorage`` implements it in one process (tests,
development); ``authkit.redis_storage.RedisStorage`` implements it on Redis for several
instances. Pass either as ``AuthKit(secondary_storage=...)``.

An implementation that cannot reach its server raises ``SecondaryStorageUnavailable``; it is
a ``StorageUnavailable``, so a request that cannot do without the store is answered 503 and
never treated as "signed out" (docs/security.md#decisions).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..errors import StorageUnavailable

__all__ = [
    "MemoryStorage",
    "SecondaryStorage",
    "SecondaryStorageUnavailable",
    "SupportsReplace",
    "SupportsUpdate",
    "Update",
]

# ``update``'s function: the current value (``None`` when absent) -> the new value and its
# TTL in seconds; a new value of ``None`` (or a TTL <= 0) removes the key.
Update = Callable[[Any], "tuple[str | None, int | None]"]


class SecondaryStorageUnavailable(StorageUnavailable):
    """The secondary store (Redis) could not be reached or timed out."""


@runtime_checkable
class SecondaryStorage(Protocol):
    """What authkit needs from a key-value store; values are JSON text."""

    def get(self, key: str) -> Any:
        """The value (text, or an already-parsed object), or ``None``."""

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        """Store ``value``; it disappears after ``ttl`` seconds when given."""

    def delete(self, key: str) -> None:
        """Remove the key (absent keys are fine)."""

    def get_and_delete(self, key: str) -> Any:
        """Atomically read and remove: of concurrent callers exactly one gets the value."""

    def increment(self, key: str, ttl: int) -> int:
        """Atomically add one; a new key starts at 1 and expires ``ttl`` s later (never
        extended by later increments)."""


@runtime_checkable
class SupportsReplace(Protocol):
    """Optional: overwrite a key only if it still exists.

    A sliding refresh rewrites a session's value; with a plain get-then-set a sign-out that
    lands in between would be undone (the session revived). Stores that offer ``replace``
    close that gap; for others authkit falls back to ``set``.
    """

    def replace(self, key: str, value: str, ttl: int | None = None) -> bool:
        """Overwrite ``key`` if present; ``False`` (and nothing written) if it is gone."""


@runtime_checkable
class SupportsUpdate(Protocol):
    """Optional: read, change and write one key as a single step.

    The per-user list of active sessions is one JSON value that every sign-in, sign-out and
    refresh rewrites. With get-then-set, two instances changing it at once lose one of the
    changes, and a session missing from the list escapes "revoke other sessions" and keeps a
    stale user after a role change (CVE-2026-134321, fixed in Better Auth 1.7.16). Stores that
    offer ``update`` make the change atomic; for others authkit falls back to get-then-set.
    """

    def update(self, key: str, fn: Update) -> None:
        """Apply ``fn`` to the current value and store its result, with no write between."""


class MemoryStorage:
    """``SecondaryStorage`` in this process: thread-safe, bounded, expiring by ``clock``.

    ``max_keys`` caps memory (the least recently written keys go first); ``clock`` returns
    epoch seconds (tests pass a controllable one). Not shared between processes: use
    ``RedisStorage`` for several instances.
    """

    def __init__(self, *, max_keys: int = 100_000,
                 clock: Callable[[], float] | None = None) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._max = max_keys
        self._clock = clock or time.time
        self._lock = threading.Lock()
        # key -> (value, expires at in epoch seconds or None)
        self._data: OrderedDict[str, tuple[Any, float | None]] = OrderedDict()

    def _live(self, key: str, now: float) -> tuple[Any, float | None] | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[1] is not None and entry[1] <= now:
            del self._data[key]
            return None
        return entry

    def _put(self, key: str, value: Any, expires: float | None) -> None:
        self._data[key] = (value, expires)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    @staticmethod
    def _expiry(now: float, ttl: int | None) -> float | None:
        # A TTL of 0 or less means "already gone", as Redis treats a non-positive EX.
        return None if ttl is None else now + ttl

    def get(self, key: str) -> Any:
        """The value, or ``None`` when absent or expired."""
        with self._lock:
            entry = self._live(key, self._clock())
            return None if entry is None else entry[0]

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (forever when ``None``)."""
        with self._lock:
            now = self._clock()
            if ttl is not None and ttl <= 0:
                self._data.pop(key, None)
                return
            self._put(key, value, self._expiry(now, ttl))

    def replace(self, key: str, value: str, ttl: int | None = None) -> bool:
        """Overwrite ``key`` only if it is still there."""
        with self._lock:
            now = self._clock()
            if self._live(key, now) is None:
                return False
            if ttl is not None and ttl <= 0:
                self._data.pop(key, None)
                return True
            self._put(key, value, self._expiry(now, ttl))
            return True

    def delete(self, key: str) -> None:
        """Remove ``key``."""
        with self._lock:
            self._data.pop(key, None)

    def update(self, key: str, fn: Update) -> None:
        """Change ``key`` under the lock (see ``SupportsUpdate``)."""
        with self._lock:
            now = self._clock()
            entry = self._live(key, now)
            value, ttl = fn(None if entry is None else entry[0])
            if value is None or (ttl is not None and ttl <= 0):
                self._data.pop(key, None)
            else:
                self._put(key, value, self._expiry(now, ttl))

    def get_and_delete(self, key: str) -> Any:
        """Read and remove in one step."""
        with self._lock:
            entry = self._live(key, self._clock())
            if entry is None:
                return None
            del self._data[key]
            return entry[0]

    def increment(self, key: str, ttl: int) -> int:
        """Add one; the first increment sets the expiry, later ones keep it."""
        with self._lock:
            now = self._clock()
            entry = self._live(key, now)
            if entry is None:
                self._put(key, 1, now + max(1, math.ceil(ttl)))
                return 1
            value = int(entry[0]) + 1
            self._put(key, value, entry[1])
            return value

    def ttl(self, key: str) -> float | None:
        """Seconds left before ``key`` expires (``None``: absent or no expiry); for tests."""
        with self._lock:
            now = self._clock()
            entry = self._live(key, now)
            return None if entry is None or entry[1] is None else entry[1] - now

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)
