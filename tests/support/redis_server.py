"""The real Redis at 127.0.0.1:6379 for the secondary-storage tests, one key prefix per test.

A test asking for ``redis_storage`` skips with the reason when Redis is not running. Keys
are prefixed with a random per-test prefix and deleted afterwards, so tests can run in
parallel against one server (and next to a developer's own data) without seeing each other.
A ``TCPProxy`` in front of Redis lets a test take it "down" and bring it back.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator

import pytest

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"

_reachable: list[str | None] = []


def require_redis() -> None:
    """Skip the calling test unless Redis answers PING (checked once)."""
    if not _reachable:
        import redis

        try:
            redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2,
                        socket_connect_timeout=2).ping()
            _reachable.append(None)
        except redis.RedisError as exc:
            _reachable.append(f"{type(exc).__name__}: {exc}")
    if _reachable[0] is not None:
        pytest.skip(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}: {_reachable[0]}")


def new_prefix() -> str:
    """A key prefix no other test uses."""
    return f"authkit-test:{secrets.token_hex(6)}:"


def delete_prefix(prefix: str) -> None:
    """Remove every key under ``prefix``."""
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the real Redis, cleaned up afterwards."""
    require_redis()
    prefix = new_prefix()
    yield prefix
    delete_prefix(prefix)


class TCPProxy:
    """A TCP forwarder the test can stop and start: Redis "goes down" without touching it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        if self._server is not None:
            try:
                # Wakes the accept() thread; close() alone leaves it listening on Linux.
                self._server.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._server.close()
            self._server = None
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
