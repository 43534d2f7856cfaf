"""Secondary storage: Better Auth's key-value store for sessions, verification values and
rate limits (``store``: the protocol and the in-memory store; ``redis_store``: Redis;
``records``: Better Auth's key layout of sessions and verification values on top)."""

from __future__ import annotations

from .store import MemoryStorage, SecondaryStorage, SecondaryStorageUnavailable

__all__ = ["MemoryStorage", "SecondaryStorage", "SecondaryStorageUnavailable"]
