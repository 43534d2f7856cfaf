"""``RedisStorage``: secondary storage on Redis, shared by every instance of the service.

Each operation is one round trip, and the two that must be atomic across instances are
Lua scripts run inside Redis: ``get_and_delete`` (a reset token is usable once whichever
instance receives it) and ``increment`` (a rate limit counts requests to every instance).
``update`` (the per-user list of active sessions, a session's sliding refresh) is an
optimistic ``WATCH``/``MULTI`` transaction, retried when another instance changed the key in
between.

A connection failure or timeout raises ``SecondaryStorageUnavailable``, which the HTTP layer
answers 503 rather than guessing (docs/security.md#decisions). redis-py reconnects by itself on the
next call, so service resumes without a restart once Redis is back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ...errors import ConfigError
from ...outage_log import report_outage
from .store import SecondaryStorageUnavailable, Update

try:
    import redis
    from redis import exceptions as redis_errors
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:  # pragma: no cover - exercised only without the extra installed
    redis = None  # type: ignore[assignment]
    redis_errors = None  # type: ignore[assignment]

__all__ = ["RedisStorage"]

T = TypeVar("T")
# WATCH conflicts need another writer of the same key in the same few milliseconds;
# this many in a row means something is wrong, and the request is better answered 503.
_UPDATE_ATTEMPTS = 20

# KEYS[1]: the counter. Create at 1 with a TTL; later increments leave the TTL alone
# (Better Auth's contract), so a window never slides under a steady stream of requests.
_INCREMENT = """
local value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return value
"""
# GETDEL needs Redis 6.2; the script works on every version still in use.
_GET_AND_DELETE = """
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value
"""


class RedisStorage:
    """``SecondaryStorage`` on Redis.

    Parameters: ``url`` (``redis://[:password@]host:port/db``, ``rediss://`` for TLS),
    ``key_prefix`` (prepended to every key, so several deployments or tests can share one
    Redis; empty by default, which is what a Node Better Auth sharing the store uses),
    ``socket_timeout`` and ``connect_timeout`` in seconds (with the one retry, a request waits
    at most about twice this long before answering 503), ``max_connections`` for the pool, or a ready ``client``
    (``redis.Redis`` with ``decode_responses=True``) instead of a URL.
    """

    def __init__(self, url: str | None = "redis://127.0.0.1:6379/0", *, key_prefix: str = "",
                 socket_timeout: float = 2.0, connect_timeout: float = 2.0,
                 max_connections: int | None = None, client: Any = None) -> None:
        if redis is None:
            raise ConfigError("RedisStorage needs redis-py: pip install 'authkit-server[redis]'")
        if client is None:
            if not url:
                raise ConfigError("RedisStorage needs a url or a client")
            try:
                client = redis.Redis.from_url(
                    url, decode_responses=True, socket_timeout=socket_timeout,
                    socket_connect_timeout=connect_timeout, max_connections=max_connections,
                    health_check_interval=30,
                    # One immediate retry reconnects a pooled connection Redis dropped
                    # (restart, idle timeout); more would hold a request for seconds
                    # before its 503 while Redis is down.
                    retry=Retry(NoBackoff(), 1))
            except ValueError as exc:
                raise ConfigError(f"invalid Redis URL: {exc}") from None
        self.client = client
        self.key_prefix = key_prefix
        self._increment = client.register_script(_INCREMENT)
        self._get_and_delete = client.register_script(_GET_AND_DELETE)

    def __repr__(self) -> str:
        # The URL may hold a password: show only where it points.
        kwargs = self.client.connection_pool.connection_kwargs
        return (f"RedisStorage(host={kwargs.get('host')!r}, port={kwargs.get('port')!r}, "
                f"db={kwargs.get('db')!r}, key_prefix={self.key_prefix!r})")

    def _key(self, key: str) -> str:
        return self.key_prefix + key

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
            report_outage("secondary storage", exc)
            raise SecondaryStorageUnavailable(
                f"Redis is unavailable ({type(exc).__name__})") from exc

    def _call(self, fn: Callable[[], T]) -> T:
        with self._guard():
            return fn()

    def get(self, key: str) -> Any:
        """The stored text, or ``None``."""
        return self._call(lambda: self.client.get(self._key(key)))

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        """``SET`` with ``EX ttl``; a non-positive TTL removes the key (it is already stale)."""
        if ttl is not None and ttl <= 0:
            self.delete(key)
            return
        self._call(lambda: self.client.set(self._key(key), value, ex=ttl))

    def replace(self, key: str, value: str, ttl: int | None = None) -> bool:
        """``SET … XX``: overwrite only a key that still exists (no revival after delete)."""
        if ttl is not None and ttl <= 0:
            self.delete(key)
            return True
        done = self._call(lambda: self.client.set(self._key(key), value, ex=ttl, xx=True))
        return bool(done)

    def delete(self, key: str) -> None:
        """``DEL``."""
        self._call(lambda: self.client.delete(self._key(key)))

    def update(self, key: str, fn: Update) -> None:
        """Read, change and write ``key`` atomically: ``WATCH``, ``GET``, ``MULTI``/``EXEC``,
        again from the start when another client wrote the key in between."""
        full = self._key(key)
        with self._guard(), self.client.pipeline() as pipe:
            for _ in range(_UPDATE_ATTEMPTS):
                try:
                    pipe.watch(full)
                    value, ttl = fn(pipe.get(full))
                    pipe.multi()
                    if value is None or (ttl is not None and ttl <= 0):
                        pipe.delete(full)
                    else:
                        pipe.set(full, value, ex=ttl)
                    pipe.execute()
                    return
                except redis_errors.WatchError:
                    continue  # execute() has reset the pipeline; read the new value
            raise SecondaryStorageUnavailable(
                f"Redis key changed under {_UPDATE_ATTEMPTS} attempts to update it")

    def get_and_delete(self, key: str) -> Any:
        """Read and remove atomically (a Lua script)."""
        return self._call(lambda: self._get_and_delete(keys=[self._key(key)]))

    def increment(self, key: str, ttl: int) -> int:
        """Atomic ``INCR``; the key's TTL is set by the first increment only."""
        seconds = max(1, int(ttl))
        return int(self._call(lambda: self._increment(keys=[self._key(key)], args=[seconds])))

    def ping(self) -> bool:
        """``True`` when Redis answers (health checks)."""
        return bool(self._call(self.client.ping))

    def close(self) -> None:
        """Close the pooled connections."""
        self.client.close()
