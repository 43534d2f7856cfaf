"""The database going away under a running service (issue 6 item 6; docs/security.md#middleware,
docs/security.md#outages; docs/security.md
docs/security.md#decisions), pool settings and SSL modes from the URL.

A TCP proxy the test controls sits between authkit and the machine's PostgreSQL, on a database
the test creates: cutting the proxy kills every connection and refuses new ones, restoring it
lets them through again. The shared PostgreSQL itself is never stopped.
The SSL-mode tests use a private cluster with SSL on (tests/support/ssl_postgres.py) instead,
so they do not depend on how the shared server is configured.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from authkit.errors import ConfigError
from authkit.storage import StorageUnavailable
from authkit.storage.engine import create_storage_engine
from authkit.storage.pool import pool_options
from authkit.wsgi_middleware import AuthMiddleware

from .conftest import PG_HOST, PG_PORT, _postgres_database
from .support.clients import HTTPClient, make_client
from .support.fixtures import sign_up
from .support.ssl_postgres import (
    SSLPostgres,
    make_ca,
    ssl_postgres,  # noqa: F401  (fixture)
)

PASSWORD = "correct-horse-1"


class TCPProxy:
    """Forwards 127.0.0.1:<port> to an upstream; ``cut()`` and ``restore()`` the link."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.down = False
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()  # the database "is not there": the connection drops at once
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            self._drop(src, dst)

    def _drop(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._sockets.discard(sock)
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def cut(self) -> None:
        """Kill every open connection and refuse new ones."""
        self.down = True
        with self._lock:
            live = list(self._sockets)
        self._drop(*live)

    def restore(self) -> None:
        """Let connections through again."""
        self.down = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skips with the reason when the server is absent)."""
    import secrets

    yield from _postgres_database(f"authkit_outage_{secrets.token_hex(5)}")


@pytest.fixture
def proxy() -> Iterator[TCPProxy]:
    p = TCPProxy((PG_HOST, PG_PORT))
    yield p
    p.close()


@pytest.fixture
def outage_auth(make_auth: Any, pg_url: str, proxy: TCPProxy) -> Any:
    url = pg_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
    # The database alone holds the sessions here (a secondary storage would keep answering).
    return make_auth(database=url + "?connect_timeout=3&pool_size=2&max_overflow=2",
                     secondary_storage=None)


def _count(pg_url: str, sql: str, **params: Any) -> int:
    engine = create_storage_engine(pg_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def _assert_503(res: Any) -> None:
    assert res.status == 503, res.body
    assert res.json == {"message": "Service temporarily unavailable",
                        "code": "SERVICE_UNAVAILABLE"}
    assert res.header("retry-after") is not None
    assert not res.set_cookies  # not "signed out": nothing is cleared (docs/security.md#middleware)


def test_outage_answers_503_and_recovers_without_restart(outage_auth, proxy, kind):
    client = make_client(kind, outage_auth)
    sign_up(client)
    cookies = dict(client.jar)
    proxy.cut()
    _assert_503(client.get("/api/auth/get-session"))
    _assert_503(client.post("/api/auth/sign-in/email",
                            json={"email": "alice@example.com", "password": PASSWORD}))
    _assert_503(client.post("/api/auth/sign-up/email", json={
        "email": "bob@example.com", "password": PASSWORD, "name": "Bob"}))
    _assert_503(client.post("/api/auth/sign-out"))
    assert client.jar == cookies  # the browser keeps its session through the outage
    proxy.restore()
    # The pool's dead connections are found by pre-ping and replaced: no restart needed.
    assert client.get("/api/auth/get-session").json["user"]["email"] == "alice@example.com"
    assert client.post("/api/auth/sign-up/email", json={
        "email": "bob@example.com", "password": PASSWORD, "name": "Bob"}).status == 200


def test_outage_in_the_middle_of_sign_up_leaves_no_partial_rows(make_auth, pg_url, proxy,
                                                                  kind):  # docs/security.md#outages
    def cut_before_account(data: Any, ctx: Any) -> None:
        proxy.cut()  # the user row is written, its account row not yet: the link dies

    url = pg_url.replace(f"{PG_HOST}:{PG_PORT}", f"127.0.0.1:{proxy.port}")
    auth = make_auth(database=url + "?connect_timeout=3", secondary_storage=None,
                     database_hooks={"account": {"create": {"before": cut_before_account}}})
    _assert_503(make_client(kind, auth).post("/api/auth/sign-up/email", json={
        "email": "carol@example.com", "password": PASSWORD, "name": "Carol"}))
    proxy.restore()
    assert _count(pg_url, 'SELECT count(*) FROM "user" WHERE email = :e',
                  e="carol@example.com") == 0
    assert _count(pg_url, 'SELECT count(*) FROM "account"') == 0


def test_middleware_protected_path_is_503_not_sign_in(outage_auth, proxy):  # docs/security.md#middleware
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"secret dashboard"]

    wrapped = AuthMiddleware(app, outage_auth, protect=["/dashboard/:path*"])
    client = HTTPClient("wsgi", wrapped)
    signer = make_client("wsgi", outage_auth)
    sign_up(signer)
    client.jar.update(signer.jar)
    assert client.get("/dashboard/x", headers={"Accept": "text/html"}).status == 200
    proxy.cut()
    for accept in ("text/html", "application/json"):
        res = client.get("/dashboard/x", headers={"Accept": accept})
        assert res.status == 503 and res.header("location") is None
        assert not res.set_cookies and b"secret dashboard" not in res.body
    proxy.restore()
    assert client.get("/dashboard/x", headers={"Accept": "text/html"}).status == 200


def test_rows_written_before_the_outage_survive(outage_auth, proxy, pg_url, kind):
    client = make_client(kind, outage_auth)
    for i in range(3):
        client.jar.clear()
        sign_up(client, email=f"u{i}@example.com")
    proxy.cut()
    proxy.restore()
    assert _count(pg_url, 'SELECT count(*) FROM "user"') == 3
    assert _count(pg_url, 'SELECT count(*) FROM "account"') == 3


# -- pool settings and SSL from the URL -------------------------------------------------------
def test_pool_settings_from_url():
    engine = create_storage_engine(
        "postgresql://u@127.0.0.1/db?pool_size=3&max_overflow=1&pool_timeout=2.5"
        "&pool_recycle=60&pool_pre_ping=off&sslmode=require")
    try:
        pool: Any = engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle) == \
            (3, 1, 2.5, 60)
        assert pool._pre_ping is False
        assert dict(engine.url.query) == {"sslmode": "require"}  # the rest reaches libpq
    finally:
        engine.dispose()


@pytest.mark.parametrize("query", ["pool_size=x", "pool_timeout=-1", "pool_pre_ping=maybe"])
def test_bad_pool_settings_refused(query):
    with pytest.raises(ConfigError):
        create_storage_engine(f"postgresql://u@127.0.0.1/db?{query}")


def test_pool_settings_refused_for_memory_sqlite():
    from sqlalchemy.engine import make_url

    with pytest.raises(ConfigError, match="in-memory"):
        pool_options(make_url("sqlite://?pool_size=2"), memory=True)


# A private cluster with SSL on (tests/support/ssl_postgres.py): the shared server may have no
# SSL, and its configuration is not the tests' to change. One cluster serves every case.
@pytest.mark.parametrize(("query", "encrypted"), [
    ("sslmode=disable", False),
    ("sslmode=require", True),
    ("sslmode=verify-full&sslrootcert={ca}", True),
], ids=["disable", "require", "verify-full"])
def test_ssl_mode_from_url(ssl_postgres: SSLPostgres,  # noqa: F811
                           query: str, encrypted: bool) -> None:
    url, ca = ssl_postgres
    engine = create_storage_engine(f"{url}?{query.format(ca=ca)}")
    try:
        with engine.connect() as conn:
            ssl = conn.execute(text(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
    assert ssl is encrypted


def test_ssl_verify_full_with_the_wrong_ca_is_503_not_a_hang(
        ssl_postgres: SSLPostgres, make_auth: Any, tmp_path: Path) -> None:  # noqa: F811
    url, ca = ssl_postgres
    other_ca, _, _ = make_ca(tmp_path, "some-other-ca")
    # A session made through a correctly verified connection, so the cookie is a real one.
    good = make_auth(database=f"{url}?sslmode=verify-full&sslrootcert={ca}",
                     secondary_storage=None)
    signer = make_client("wsgi", good)
    sign_up(signer)
    assert signer.get("/api/auth/get-session").json["user"]["email"] == "alice@example.com"

    # Same database, same secret, but the server's certificate does not chain to this CA:
    # libpq refuses the connection, which authkit treats like an unreachable database. The
    # driver's reason below ("certificate verify failed", not a timeout) shows it was refused
    # at the handshake rather than waited out.
    bad = make_auth(database=f"{url}?sslmode=verify-full&sslrootcert={other_ca}",
                    secondary_storage=None, migrate=False)
    with pytest.raises(StorageUnavailable) as raised:
        bad.storage.ping()
    # The driver's reason stays on the chain for an on_api_error hook or a traceback.
    assert "certificate verify failed" in str(raised.value.__cause__)
    assert bad.health() == {"status": "error", "database": {"status": "error"}}
    client = make_client("wsgi", bad)
    client.jar.update(signer.jar)
    _assert_503(client.get("/api/auth/get-session"))
    assert client.jar == signer.jar  # refused, not "signed out"
