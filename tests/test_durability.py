"""`authkit serve` killed with SIGKILL keeps every write it answered 200 for
(docs/security.md#outages).

A crash, not a shutdown: the server's process group gets SIGKILL, so no shutdown hook, pool
close or final WAL checkpoint runs. On SQLite (WAL) and on PostgreSQL:

- a sign-up answers 200, SIGKILL at once: after a restart on the same database the user
  signs in and the session that 200 handed out is still valid;
- SIGKILL while a burst of 200 sign-ups runs from several threads: every sign-up that got
  200 signs in after the restart, every user row has exactly one account row (the
  credential one), no account row lacks its user, and SQLite's ``PRAGMA integrity_check``
  is ``ok``.

Sign-up writes the user and its credential account in one transaction. Written in two, a
kill between them would leave a user who can neither sign in nor sign up again, which is
what the burst looks for; a 200 sent before the commit shows up as a failed sign-in.

The burst's server hashes with a cheap scrypt (tests/support/cheap_hash_app.py, otherwise
configured from the environment like any `authkit serve`): at the real cost hashing fills
nearly every request, and a kill almost never lands between two writes. With 16 clients a
sign-up that committed user and account separately was caught in about three runs out of
four per database; with the real cost and 4 clients, in about one out of six.
"""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from authkit.storage.engine import normalize_url

from .conftest import _postgres_database
from .support import cheap_hash_app
from .support.live_http import post, session_cookie
from .support.live_servers import Server, authkit_server

SECRET = "durability-secret-0123456789-durability-secret-0123456789"
PASSWORD = "correct-horse-1"
BURST = 200  # sign-ups in the burst, as docs/security.md#outages states it
KILL_AFTER = BURST // 2  # the SIGKILL lands once this many answered 200
# Concurrent clients: many sign-ups in flight, so the kill tends to land inside some write.
THREADS = 16
# Only a guard against a hung server (the test then fails with the log), never a measurement.
HANG_GUARD = 300.0


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database the servers of one test share across their restarts."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'authkit.db'}"
        return
    # Skips with the reason when PostgreSQL is not reachable; dropped afterwards.
    yield from _postgres_database(f"authkit_durability_{secrets.token_hex(5)}")


def sign_up(http: httpx.Client, server: Server, email: str) -> httpx.Response:
    return post(http, server, "/sign-up/email", {"email": email, "password": PASSWORD,
                                                 "name": "Crash Test"})


def sign_in(http: httpx.Client, server: Server, email: str) -> httpx.Response:
    return post(http, server, "/sign-in/email", {"email": email, "password": PASSWORD})


def rows(database_url: str, sql: str) -> list[Any]:
    """Run ``sql`` on a plain engine: not authkit's, whose connect hook would itself switch
    SQLite to WAL and so hide whether the server left the file in that mode."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def check_sqlite_after_crash(database_url: str) -> None:
    """The killed server left a WAL behind; recovering it yields an intact database."""
    if not database_url.startswith("sqlite"):
        return
    path = Path(database_url.removeprefix("sqlite:///"))
    # A clean close checkpoints and deletes the -wal file; a crash leaves it for the next
    # opener to recover, which is the path under test.
    assert Path(f"{path}-wal").exists(), "no -wal file: the server did not run in WAL mode"
    assert rows(database_url, "PRAGMA journal_mode")[0][0] == "wal"
    assert [r[0] for r in rows(database_url, "PRAGMA integrity_check")] == ["ok"]


# docs/security.md#outages
def test_a_sign_up_answered_200_survives_sigkill(database_url: str, tmp_path: Path) -> None:
    email = "crash@example.com"
    with authkit_server(tmp_path, database_url=database_url, secret=SECRET) as server:
        with httpx.Client(timeout=60) as http:
            res = sign_up(http, server, email)
        assert res.status_code == 200, res.text
        cookie = session_cookie(res)
        server.kill()  # right after the 200: nothing else reached the server since
    check_sqlite_after_crash(database_url)

    with authkit_server(tmp_path, database_url=database_url, secret=SECRET) as server, \
         httpx.Client(timeout=60) as http:
        res = sign_in(http, server, email)
        assert res.status_code == 200, f"{res.status_code} {res.text}\n{server.log_tail()}"
        assert res.json()["user"]["email"] == email
        # The session the 200 handed out was committed before it, too.
        res = http.get(server.base_url + "/api/auth/get-session", headers={"cookie": cookie})
        assert res.status_code == 200, res.text
        assert res.json() is not None and res.json()["user"]["email"] == email


class Burst:
    """Sign-ups from THREADS clients; SIGKILL the server once KILL_AFTER answered 200."""

    def __init__(self, server: Server, emails: list[str]) -> None:
        self.server = server
        self.todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        for email in emails:
            self.todo.put(email)
        self.ok: set[str] = set()  # answered 200: the server promised these are stored
        self.unanswered: set[str] = set()  # in flight at the kill (or sent after): unknown
        self.failures: list[str] = []  # any other answer, which no sign-up here should get
        self.half = threading.Event()  # also set when every client has stopped
        self._running = THREADS
        self._lock = threading.Lock()

    def _client(self) -> None:
        try:
            self._sign_up_until_gone()
        finally:
            with self._lock:
                self._running -= 1
                if not self._running:
                    self.half.set()  # nothing left to wait for, whatever the answers were

    def _sign_up_until_gone(self) -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                try:
                    email = self.todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    res = sign_up(http, self.server, email)
                except httpx.TransportError:
                    with self._lock:
                        self.unanswered.add(email)
                    return  # the server is gone
                with self._lock:
                    if res.status_code == 200:
                        self.ok.add(email)
                        if len(self.ok) >= KILL_AFTER:
                            self.half.set()
                    else:
                        self.failures.append(f"{email}: {res.status_code} {res.text}")

    def run(self) -> None:
        clients = [threading.Thread(target=self._client) for _ in range(THREADS)]
        for thread in clients:
            thread.start()
        self.half.wait(HANG_GUARD)
        self.server.kill()  # while the other clients' sign-ups are still in flight
        for thread in clients:
            thread.join()


# docs/security.md#outages
def test_sigkill_during_a_burst_of_sign_ups_leaves_only_whole_users(
        database_url: str, tmp_path: Path) -> None:
    emails = [f"burst-{i:03d}@example.com" for i in range(BURST)]
    serve_args = ("--app", cheap_hash_app.APP)
    with authkit_server(tmp_path, database_url=database_url, secret=SECRET,
                        serve_args=serve_args) as server:
        burst = Burst(server, emails)
        burst.run()
        log = server.log_tail()
    assert not burst.failures, "\n".join(burst.failures[:10]) + "\n" + log
    assert len(burst.ok) >= KILL_AFTER, log
    assert len(burst.ok) < BURST, "the kill landed after the burst had ended"

    # What the crash left, before any server touches the database again.
    check_sqlite_after_crash(database_url)
    per_user = rows(database_url, """
        SELECT u.email, COUNT(a.id), SUM(CASE WHEN a."providerId" = 'credential'
                                              THEN 1 ELSE 0 END)
        FROM "user" u LEFT JOIN account a ON a."userId" = u.id
        GROUP BY u.id, u.email""")
    stored = {email for email, _, _ in per_user}
    partial = [(email, accounts, credential) for email, accounts, credential in per_user
               if (accounts, credential) != (1, 1)]
    assert not partial, f"users without exactly one credential account: {partial}"
    orphans = rows(database_url, """
        SELECT a.id FROM account a LEFT JOIN "user" u ON u.id = a."userId"
        WHERE u.id IS NULL""")
    assert not orphans, f"account rows without a user: {orphans}"
    assert burst.ok <= stored, f"answered 200 but not stored: {sorted(burst.ok - stored)}"
    assert stored <= burst.ok | burst.unanswered, sorted(stored - burst.ok - burst.unanswered)

    # Every stored user, including those whose 200 the kill swallowed, signs in.
    with authkit_server(tmp_path, database_url=database_url, secret=SECRET,
                        serve_args=serve_args) as server:
        def try_sign_in(email: str) -> tuple[str, int]:
            with httpx.Client(timeout=60) as http:
                return email, sign_in(http, server, email).status_code

        with ThreadPoolExecutor(THREADS) as pool:
            refused = [(email, status) for email, status in pool.map(try_sign_in, sorted(stored))
                       if status != 200]
        assert not refused, f"stored users who cannot sign in: {refused}\n{server.log_tail()}"
