"""Two `authkit serve` processes sharing PostgreSQL and Redis behave as one service (issue 6).

Both run with AUTHKIT_REDIS_URL (a per-test-module key prefix) on one fresh PostgreSQL
database, with rate limiting on: a session created on one is valid on the other, a
revocation on one is enforced by the other, a rate limit counts requests to both, and a
reset token or a delete-account token is usable once whichever instance receives it
(docs/security.md#concurrency
across processes).

Each test connects from its own loopback address (127.0.0.x), so each has its own
rate-limit buckets. Skipped with a reason when PostgreSQL or Redis is not running.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..conftest import _postgres_database
from ..support import cheap_hash_app
from ..support.live_http import post, session_cookie
from ..support.live_servers import Server, authkit_server
from ..support.race import run_together
from ..support.redis_server import REDIS_URL, delete_prefix, new_prefix, require_redis

SECRET = "two-instances-secret-0123456789-two-instances-secret"
PW = "correct-horse-1"


class Pair:
    """The two running servers and the outbox both write to."""

    def __init__(self, a: Server, b: Server, outbox: Path, prefix: str,
                 database_url: str) -> None:
        self.a, self.b, self.outbox, self.prefix = a, b, outbox, prefix
        self.database_url = database_url

    def count_rows(self, table: str, column: str, value: str) -> int:
        """How many rows of ``table`` the shared database holds with ``column = value``."""
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = %s',
                               (value,)).fetchone()
        assert row is not None
        return int(row[0])

    def redis_get(self, key: str) -> Any:
        """A raw value under this module's prefix (what the servers wrote)."""
        import redis

        raw = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            return raw.get(self.prefix + key)
        finally:
            raw.close()

    def mails(self, kind: str, email: str) -> list[dict[str, Any]]:
        if not self.outbox.exists():
            return []
        lines = [json.loads(x) for x in self.outbox.read_text().splitlines() if x.strip()]
        return [m for m in lines if m["type"] == kind and m["email"] == email]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_redis()
    workdir = tmp_path_factory.mktemp("two-instances")
    prefix = new_prefix()
    database = _postgres_database(f"authkit_two_{secrets.token_hex(6)}")
    url = next(database)
    outbox = workdir / "outbox.jsonl"
    env = {"AUTHKIT_REDIS_URL": REDIS_URL, "AUTHKIT_REDIS_PREFIX": prefix,
           "AUTHKIT_RATE_LIMIT": "on", "AUTHKIT_DELETE_USER": "on"}
    # A cheap scrypt (same format): at Better Auth's cost (about 90 ms a hash, taken before the
    # token is consumed) the 200 resets of the docs/security.md#concurrency race would take most of
    # a minute on two
    # cores, and the hashing would spread the racers' consume calls apart instead of letting
    # them meet. The app also mails delete-account tokens to the outbox (`authkit serve` alone
    # would delete at once on POST /delete-user).
    serve_args = ("--app", cheap_hash_app.APP)
    try:
        # One after the other: the first migrates the empty database, the second finds it done.
        with authkit_server(workdir, database_url=url, secret=SECRET, outbox=outbox,
                            extra_env=env, serve_args=serve_args) as a, \
             authkit_server(workdir, database_url=url, secret=SECRET, outbox=outbox,
                            extra_env=env, serve_args=serve_args) as b:
            yield Pair(a, b, outbox, prefix, url)
    finally:
        delete_prefix(prefix)
        next(database, None)  # drops the database


def client(local: str) -> httpx.Client:
    """A client connecting from ``local`` (its own rate-limit buckets)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=local), timeout=30)


def get_session(http: httpx.Client, server: Server, cookie: str) -> Any:
    res = http.get(server.base_url + "/api/auth/get-session", headers={"cookie": cookie})
    assert res.status_code == 200, res.text
    return res.json()


def sign_up(http: httpx.Client, server: Server, email: str) -> str:
    res = post(http, server, "/sign-up/email", {"email": email, "password": PW, "name": "X"})
    assert res.status_code == 200, res.text
    return session_cookie(res)


def test_a_session_created_on_one_is_valid_on_the_other(pair: Pair) -> None:
    with client("127.0.0.11") as http:
        cookie = sign_up(http, pair.a, "shared@example.com")
        seen = get_session(http, pair.b, cookie)
        assert seen["user"]["email"] == "shared@example.com"
        # It lives in Redis (the shared store), not only in the shared database.
        assert json.loads(pair.redis_get(seen["session"]["token"]))["user"]["id"] == \
            seen["user"]["id"]
        res = post(http, pair.b, "/sign-in/email", {"email": "shared@example.com", "password": PW})
        assert res.status_code == 200, res.text
        assert get_session(http, pair.a, session_cookie(res))["user"]["id"] == seen["user"]["id"]


def test_a_revocation_on_one_is_enforced_by_the_other(pair: Pair) -> None:
    with client("127.0.0.12") as http:
        first = sign_up(http, pair.a, "revoked@example.com")
        res = post(http, pair.a, "/sign-in/email", {"email": "revoked@example.com", "password": PW})
        second = session_cookie(res)
        assert post(http, pair.b, "/sign-out", {}, cookie=second).status_code == 200
        assert get_session(http, pair.a, second) is None
        assert get_session(http, pair.a, first) is not None
        # Revoking everything on A ends the session on B at once (no cache window).
        assert post(http, pair.a, "/revoke-sessions", {}, cookie=first).status_code == 200
        assert get_session(http, pair.b, first) is None


def test_a_rate_limit_counts_requests_to_both(pair: Pair) -> None:
    wrong = {"email": "nobody@example.com", "password": "wrong-password-1"}
    with client("127.0.0.13") as http:
        codes = [post(http, server, "/sign-in/email", wrong).status_code
                 for server in (pair.a, pair.b, pair.a, pair.b)]
        assert codes == [401, 401, 401, 429]
        res = post(http, pair.a, "/sign-in/email", wrong)
        assert res.status_code == 429 and int(res.headers["x-retry-after"]) > 0
        assert res.json() == {"message": "Too many requests. Please try again later."}
        assert int(pair.redis_get("127.0.0.13|/sign-in/email")) == 5  # one counter for both


RACERS = 10
ROUNDS = 20  # docs/security.md#testing: each race 20 times (about 4 s for all of them here)


def test_a_reset_token_is_usable_once_across_both(pair: Pair) -> None:
    """docs/security.md#concurrency across processes: 10 resets of one token with different new
    passwords, split
    over both servers and released together → exactly one 200 and nine 400 INVALID_TOKEN,
    and the winner's password is the one that signs in. 20 rounds, a fresh token each."""
    email = "reset@example.com"
    with client("127.0.0.14") as http:
        sign_up(http, pair.a, email)
    # Rate limiting is on in both servers, per address: request-password-reset allows 3 per
    # 60 s and sign-in 3 per 10 s, so each round asks and checks from its own address; each
    # racer has its own too (20 resets each). Clients are made once: each costs ~60 ms.
    racers = [client(f"127.0.2.{i + 1}") for i in range(RACERS)]
    previous = PW
    try:
        for round_no in range(ROUNDS):
            with client(f"127.0.1.{round_no + 1}") as http:
                previous = _reset_race(pair, http, racers, email, round_no, previous)
    finally:
        for racer in racers:
            racer.close()


def _reset_race(pair: Pair, http: httpx.Client, racers: list[httpx.Client], email: str,
                round_no: int, previous: str) -> str:
    """One round of the docs/security.md#concurrency race; the winner's password."""
    res = post(http, (pair.a, pair.b)[round_no % 2], "/request-password-reset",
               {"email": email, "redirectTo": "/reset"})
    if res.status_code == 404:
        pytest.skip("this build has no /request-password-reset endpoint yet")
    assert res.status_code == 200, res.text
    mails = pair.mails("reset-password", email)
    assert len(mails) == round_no + 1
    token = mails[-1]["token"]
    counter = itertools.count()
    lock = threading.Lock()

    def reset() -> tuple[str, str, int, Any]:
        with lock:
            i = next(counter)
        server = (pair.a, pair.b)[i % 2]  # five callers on each process
        password = f"racer-{round_no}-{i}"
        res = post(racers[i], server, "/reset-password", {"token": token, "newPassword": password})
        return server.base_url, password, res.status_code, res.json()

    results = run_together(reset, RACERS)
    assert len(results) == RACERS
    assert {url for url, *_ in results} == {pair.a.base_url, pair.b.base_url}
    winners = [r for r in results if r[2] == 200]
    losers = [r for r in results if r[2] != 200]
    assert len(winners) == 1, (round_no, results)
    assert winners[0][3] == {"status": True}
    assert [(code, body) for _, _, code, body in losers] == \
        [(400, {"message": "Invalid token", "code": "INVALID_TOKEN"})] * (RACERS - 1), \
        (round_no, results)
    winner, loser = winners[0][1], losers[0][1]
    # The winner's password is the stored one; a loser's and the one before it are not.
    res = post(http, (pair.b, pair.a)[round_no % 2], "/sign-in/email",
               {"email": email, "password": winner})
    assert res.status_code == 200, (round_no, res.text)
    for wrong in (loser, previous):
        res = post(http, pair.a, "/sign-in/email", {"email": email, "password": wrong})
        assert res.status_code == 401, (round_no, wrong, res.text)
    return winner


def test_a_delete_account_token_is_usable_once_across_both(pair: Pair) -> None:
    """docs/security.md#concurrency for a delete-account token across processes: the user asks for
    deletion (an
    emailed token), then 10 GET /delete-user/callback with it and the user's session, split
    over both servers and released together → exactly one 200 "User deleted", nine 404 (the
    token is gone, or so is the session it needed), and the user, its account and its session
    are gone everywhere. 20 rounds, a new user each."""
    # Own addresses again: sign-up allows 3 per 10 s per address, so each round signs up from
    # its own; each racer has its own too (20 callbacks each).
    racers = [client(f"127.0.4.{i + 1}") for i in range(RACERS)]
    logs = {server.log: server.log.stat().st_size for server in (pair.a, pair.b)}
    try:
        for round_no in range(ROUNDS):
            with client(f"127.0.3.{round_no + 1}") as http:
                _delete_race(pair, http, racers, round_no)
    finally:
        for racer in racers:
            racer.close()
    # Nothing failed behind the answers either: no traceback in either server's log.
    for log, start in logs.items():
        with open(log, "rb") as fh:
            fh.seek(start)
            written = fh.read().decode(errors="replace")
        assert "Traceback" not in written, written


def _delete_race(pair: Pair, http: httpx.Client, racers: list[httpx.Client],
                 round_no: int) -> None:
    """One round of the docs/security.md#concurrency delete-account race."""
    email = f"delete-{round_no}@example.com"
    first, second = (pair.a, pair.b)[round_no % 2], (pair.b, pair.a)[round_no % 2]
    cookie = sign_up(http, first, email)
    user_id = get_session(http, second, cookie)["user"]["id"]
    # A fresh session and no password: with the sender wired, a mail instead of a deletion.
    res = post(http, second, "/delete-user", {}, cookie=cookie)
    assert res.status_code == 200, res.text
    assert res.json() == {"success": True, "message": "Verification email sent"}
    mails = pair.mails("delete-account", email)
    assert len(mails) == 1, mails
    token = mails[0]["token"]
    assert mails[0]["url"].startswith(
        f"{second.base_url}/api/auth/delete-user/callback?token={token}&"), mails[0]["url"]
    counter = itertools.count()
    lock = threading.Lock()

    def delete() -> tuple[str, int, Any, list[str]]:
        with lock:
            i = next(counter)
        server = (pair.a, pair.b)[i % 2]  # five callers on each process
        res = racers[i].get(server.base_url + "/api/auth/delete-user/callback",
                            params={"token": token}, headers={"cookie": cookie})
        return server.base_url, res.status_code, res.json(), res.headers.get_list("set-cookie")

    results = run_together(delete, RACERS)
    assert len(results) == RACERS
    assert {url for url, *_ in results} == {pair.a.base_url, pair.b.base_url}
    winners = [r for r in results if r[1] == 200]
    assert len(winners) == 1, (round_no, results)
    assert winners[0][2] == {"success": True, "message": "User deleted"}
    # The winner's answer expires the session cookie.
    assert any(line.startswith("better-auth.session_token=;") and "Max-Age=0" in line
               for line in winners[0][3]), winners[0][3]
    # A loser either found its session and then no token (INVALID_TOKEN), or came after the
    # winner had deleted the session too (FAILED_TO_GET_USER_INFO,
    # docs/wire-compatibility.md#delete-user): both 404.
    allowed = ({"message": "Invalid token", "code": "INVALID_TOKEN"},
               {"message": "Failed to get user info", "code": "FAILED_TO_GET_USER_INFO"})
    losers = [(code, body) for _, code, body, _ in results if code != 200]
    assert all(code == 404 and body in allowed for code, body in losers), (round_no, results)
    # Gone everywhere: the rows, the session (in Redis, on both servers), the token.
    assert pair.count_rows("user", "id", user_id) == 0
    assert pair.count_rows("account", "userId", user_id) == 0
    assert pair.count_rows("session", "userId", user_id) == 0
    assert pair.count_rows("verification", "identifier", f"delete-account-{token}") == 0
    assert pair.redis_get(f"verification:delete-account-{token}") is None
    for server in (pair.a, pair.b):
        assert get_session(http, server, cookie) is None, (round_no, server.base_url)
    res = post(http, first, "/sign-in/email", {"email": email, "password": PW})
    assert res.status_code == 401, (round_no, res.text)
