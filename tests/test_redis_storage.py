"""``RedisStorage`` against the real Redis: prefixes, TTLs, outages and recovery
(docs/security.md#outages)."""

import pytest
import redis

from authkit.errors import ConfigError
from authkit.redis_storage import RedisStorage
from authkit.secondary import SecondaryStorageUnavailable
from authkit.storage import StorageUnavailable

from .support.live_servers import free_port
from .support.race import run_together
from .support.redis_server import (
    REDIS_HOST,
    REDIS_PORT,
    REDIS_URL,
    TCPProxy,
    redis_prefix,  # noqa: F401  (fixture)
)


@pytest.fixture
def raw():
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, decode_responses=True)
    yield client
    client.close()


def test_keys_carry_the_prefix(redis_prefix, raw):  # noqa: F811
    storage = RedisStorage(REDIS_URL, key_prefix=redis_prefix)
    storage.set("abc", "1", 60)
    assert raw.get(redis_prefix + "abc") == "1"
    assert raw.get("abc") is None
    assert 0 < raw.ttl(redis_prefix + "abc") <= 60
    storage.close()


def test_increment_sets_the_ttl_once(redis_prefix, raw):  # noqa: F811
    storage = RedisStorage(REDIS_URL, key_prefix=redis_prefix)
    assert storage.increment("127.0.0.1|/sign-in/email", 10) == 1
    raw.expire(redis_prefix + "127.0.0.1|/sign-in/email", 5)  # as if 5 s had passed
    assert storage.increment("127.0.0.1|/sign-in/email", 10) == 2
    assert raw.ttl(redis_prefix + "127.0.0.1|/sign-in/email") <= 5
    storage.close()


def test_unreachable_redis_is_unavailable_not_a_crash():
    storage = RedisStorage(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.5,
                           socket_timeout=0.5)
    with pytest.raises(SecondaryStorageUnavailable) as info:
        storage.get("x")
    assert isinstance(info.value, StorageUnavailable)  # the pipeline's 503
    for call in (lambda: storage.set("x", "1", 5), lambda: storage.delete("x"),
                 lambda: storage.get_and_delete("x"), lambda: storage.increment("x", 5)):
        with pytest.raises(SecondaryStorageUnavailable):
            call()


def test_service_resumes_without_a_restart(redis_prefix):  # noqa: F811
    proxy = TCPProxy((REDIS_HOST, REDIS_PORT))
    proxy.start()
    storage = RedisStorage(proxy.url, key_prefix=redis_prefix, connect_timeout=0.5,
                           socket_timeout=0.5)
    try:
        storage.set("k", "v", 60)
        proxy.stop()
        with pytest.raises(SecondaryStorageUnavailable):
            storage.get("k")
        proxy.start()
        assert storage.get("k") == "v"  # the same object reconnects by itself
    finally:
        proxy.stop()
        storage.close()


def test_repr_hides_the_password():
    storage = RedisStorage("redis://:hunter2-secret@127.0.0.1:6399/3", key_prefix="p:")
    assert "hunter2" not in repr(storage)
    assert "6399" in repr(storage) and "'p:'" in repr(storage)


def test_bad_url_is_a_config_error():
    with pytest.raises(ConfigError):
        RedisStorage("http://example.com")


def test_serve_takes_the_redis_url_and_prefix():
    from authkit.settings import from_env

    env = {"AUTHKIT_SECRET": "s" * 40, "AUTHKIT_REDIS_URL": REDIS_URL,
           "AUTHKIT_REDIS_PREFIX": "app1:"}
    storage = from_env(env)["secondary_storage"]
    assert isinstance(storage, RedisStorage) and storage.key_prefix == "app1:"
    assert "secondary_storage" not in from_env({"AUTHKIT_SECRET": "s" * 40})


def test_serve_refuses_a_prefix_without_a_url():
    from authkit.settings import from_env

    with pytest.raises(ConfigError, match="AUTHKIT_REDIS_URL"):
        from_env({"AUTHKIT_SECRET": "s" * 40, "AUTHKIT_REDIS_PREFIX": "app1:"})


@pytest.mark.parametrize("run", range(20))
def test_get_and_delete_has_one_winner(redis_prefix, run):  # noqa: F811  # docs/security.md#concurrency
    """docs/security.md#concurrency on Redis: 10 callers released together take one reset token;
    exactly one gets
    the value, so one token can never reset two passwords."""
    storage = RedisStorage(REDIS_URL, key_prefix=redis_prefix)
    try:
        storage.set("reset-password:T", "user-1", 60)
        got = run_together(lambda: storage.get_and_delete("reset-password:T"), 10)
        assert got.count("user-1") == 1 and got.count(None) == 9, got
        assert storage.get("reset-password:T") is None
    finally:
        storage.close()
