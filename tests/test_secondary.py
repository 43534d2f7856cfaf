"""The ``SecondaryStorage`` contract (docs/wire-compatibility.md#secondary-storage), run on
``MemoryStorage`` and on real Redis."""

import threading

import pytest

from authkit.redis_storage import RedisStorage
from authkit.secondary import MemoryStorage, SecondaryStorage, SupportsReplace

from .support.redis_server import REDIS_URL, delete_prefix, new_prefix, require_redis


@pytest.fixture(params=["memory", "redis"])
def kv(request):
    if request.param == "memory":
        yield MemoryStorage()
        return
    require_redis()
    prefix = new_prefix()
    storage = RedisStorage(REDIS_URL, key_prefix=prefix)
    yield storage
    storage.close()
    delete_prefix(prefix)


def test_implements_the_protocol(kv):
    assert isinstance(kv, SecondaryStorage)
    assert isinstance(kv, SupportsReplace)


def test_get_set_delete(kv):
    assert kv.get("a") is None
    kv.set("a", '{"x":1}')
    assert kv.get("a") == '{"x":1}'
    kv.set("a", "2", 60)
    assert kv.get("a") == "2"
    kv.delete("a")
    kv.delete("a")  # absent keys are fine
    assert kv.get("a") is None


def test_non_positive_ttl_means_gone(kv):
    kv.set("a", "1")
    kv.set("a", "2", 0)
    assert kv.get("a") is None


def test_get_and_delete(kv):
    kv.set("t", "value", 60)
    assert kv.get_and_delete("t") == "value"
    assert kv.get_and_delete("t") is None
    assert kv.get("t") is None


def test_get_and_delete_has_exactly_one_winner(kv):
    for round_ in range(20):
        key = f"token-{round_}"
        kv.set(key, "v", 60)
        barrier = threading.Barrier(10)
        got = []

        def take(key=key, barrier=barrier, got=got):
            barrier.wait()
            got.append(kv.get_and_delete(key))

        threads = [threading.Thread(target=take) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got.count("v") == 1 and got.count(None) == 9


def test_increment_counts_atomically(kv):
    barrier = threading.Barrier(8)

    def hit():
        barrier.wait()
        for _ in range(25):
            kv.increment("counter", 60)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert int(kv.get("counter")) == 200


def test_replace_only_overwrites_an_existing_key(kv):
    assert kv.replace("gone", "x", 60) is False
    assert kv.get("gone") is None
    kv.set("here", "1", 60)
    assert kv.replace("here", "2", 60) is True
    assert kv.get("here") == "2"


def test_memory_storage_expiry_follows_its_clock(clock):
    kv = MemoryStorage(clock=clock)
    kv.set("a", "1", 10)
    clock.advance(9.999)
    assert kv.get("a") == "1"
    clock.advance(0.001)
    assert kv.get("a") is None


def test_memory_increment_ttl_is_never_extended(clock):
    kv = MemoryStorage(clock=clock)
    assert kv.increment("c", 10) == 1
    clock.advance(6)
    assert kv.increment("c", 10) == 2
    assert kv.ttl("c") == pytest.approx(4)
    clock.advance(4)
    assert kv.increment("c", 10) == 1  # a new window


def test_memory_storage_is_bounded():
    kv = MemoryStorage(max_keys=2)
    for key in "abc":
        kv.set(key, key)
    assert len(kv) == 2 and kv.get("a") is None and kv.get("c") == "c"
