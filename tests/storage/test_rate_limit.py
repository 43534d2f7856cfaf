"""The ``rateLimit`` table counters on SQLite, PostgreSQL and MariaDB
(docs/wire-compatibility.md#rate-limits, docs/security.md#rate-limiting)."""

import threading

import pytest

from authkit.errors import ConfigError
from authkit.storage import SQLStorage, build_tables

WINDOW = 10_000
T0 = 1_790_000_000_000


@pytest.fixture
def store(make_storage):
    return make_storage(rate_limit_table=True)


def consume(store, now, key="1.2.3.4|/sign-in/email", max_count=3, **kw):
    return store.consume_rate_limit(key, window_ms=WINDOW, max_count=max_count, now_ms=now,
                                    **kw)


def test_algorithm(store):
    assert consume(store, T0) == (True, T0)
    assert consume(store, T0 + 1000) == (True, T0 + 1000)
    assert consume(store, T0 + 2000) == (True, T0 + 2000)
    # Full: refused, and lastRequest stays at the last allowed request.
    assert consume(store, T0 + 3000) == (False, T0 + 2000)
    assert store.get_rate_limit("1.2.3.4|/sign-in/email") == {
        "key": "1.2.3.4|/sign-in/email", "count": 3, "lastRequest": T0 + 2000}
    # The window is measured from the last allowed request: restarted at 1.
    assert consume(store, T0 + 12_000) == (True, T0 + 12_000)
    assert store.get_rate_limit("1.2.3.4|/sign-in/email")["count"] == 1


def test_keys_are_independent(store):
    for _ in range(3):
        consume(store, T0, key="a")
    assert consume(store, T0, key="a")[0] is False
    assert consume(store, T0, key="b")[0] is True


def test_stale_rows_are_pruned_on_restart(store):
    consume(store, T0, key="old")
    consume(store, T0, key="mine")
    consume(store, T0 + 61_000, key="mine", prune_before_ms=T0 + 1_000)
    assert store.get_rate_limit("old") is None
    assert store.get_rate_limit("mine")["count"] == 1


def test_needs_the_table(make_storage):
    plain = make_storage()
    with pytest.raises(ConfigError, match="rate_limit_table"):
        consume(plain, T0)


@pytest.mark.parametrize("fresh_key", [False, True], ids=["at-limit", "first-request"])
def test_two_simultaneous_requests_at_the_limit(db_url, fresh_key):
    """docs/security.md#rate-limiting: of two requests racing for the last slot exactly one passes,
    20 times over;
    also when both are the key's very first request (one INSERT wins, one counts on it)."""
    stores = [SQLStorage(db_url, build_tables(rate_limit_table=True)) for _ in range(2)]
    stores[0].migrate()
    try:
        for round_ in range(20):
            key = f"race-{round_}"
            max_count = 1 if fresh_key else 3
            if not fresh_key:
                for _ in range(max_count - 1):
                    assert consume(stores[0], T0, key=key, max_count=max_count)[0]
            barrier = threading.Barrier(2)
            results = []

            def hit(store, barrier=barrier, results=results, key=key, max_count=max_count):
                barrier.wait()
                results.append(consume(store, T0 + 100, key=key, max_count=max_count)[0])

            threads = [threading.Thread(target=hit, args=(s,)) for s in stores]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(results) == [False, True], f"round {round_}: {results}"
            assert stores[0].get_rate_limit(key)["count"] == max_count
    finally:
        for s in stores:
            s.close()
