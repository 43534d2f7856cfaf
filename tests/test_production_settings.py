"""``AUTHKIT_COOKIE_CACHE*``, ``AUTHKIT_CORS``, ``AUTHKIT_STORE_SESSION_IN_DATABASE`` and
``AUTHKIT_RATE_LIMIT_STORAGE`` for `authkit serve`."""

from __future__ import annotations

import pytest

from authkit.errors import ConfigError
from authkit.production_settings import production_options
from authkit.settings import from_env


def test_defaults_off():
    assert production_options({}) == {}


def test_cookie_cache_and_cors():
    out = production_options({"AUTHKIT_COOKIE_CACHE": "JWE", "AUTHKIT_COOKIE_CACHE_MAX_AGE": "60",
                              "AUTHKIT_CORS": "on"})
    assert out == {"session": {"cookie_cache": {"enabled": True, "strategy": "jwe",
                                                "max_age": 60}}, "cors": True}


@pytest.mark.parametrize("env", [
    {"AUTHKIT_COOKIE_CACHE": "yes"},
    {"AUTHKIT_COOKIE_CACHE": "compact", "AUTHKIT_COOKIE_CACHE_MAX_AGE": "5m"},
    {"AUTHKIT_COOKIE_CACHE_MAX_AGE": "60"},
    {"AUTHKIT_CORS": "maybe"},
    {"AUTHKIT_STORE_SESSION_IN_DATABASE": "on"},  # without Redis it means nothing
    {"AUTHKIT_REDIS_URL": "redis://127.0.0.1:6379/0", "AUTHKIT_STORE_SESSION_IN_DATABASE": "x"},
    {"AUTHKIT_RATE_LIMIT_STORAGE": "disk"},
    {"AUTHKIT_RATE_LIMIT_STORAGE": "secondary-storage"},  # without Redis
])
def test_bad_values_refused(env):
    with pytest.raises(ConfigError):
        production_options(env)


def test_from_env_passes_them_on(tmp_path):
    kwargs = from_env({"AUTHKIT_SECRET": "s" * 40, "AUTHKIT_COOKIE_CACHE": "compact",
                       "AUTHKIT_CORS": "on",
                       "AUTHKIT_SECRET_FILE": str(tmp_path / "secret")})
    assert kwargs["session"]["cookie_cache"]["strategy"] == "compact"
    assert kwargs["cors"] is True


def test_session_and_rate_limit_storage_from_env(tmp_path):
    from authkit import AuthKit

    kwargs = from_env({"AUTHKIT_SECRET": "s" * 40, "AUTHKIT_RATE_LIMIT": "on",
                       "AUTHKIT_RATE_LIMIT_STORAGE": "Database",
                       "AUTHKIT_REDIS_URL": "redis://127.0.0.1:6379/0",
                       "AUTHKIT_STORE_SESSION_IN_DATABASE": "on",
                       "AUTHKIT_COOKIE_CACHE": "compact",
                       "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
                       "AUTHKIT_SECRET_FILE": str(tmp_path / "secret")})
    auth = AuthKit(**kwargs)  # the Redis client connects lazily: nothing is sent here
    try:
        assert auth.options.rate_limit.enabled is True  # the switch and the storage both kept
        assert auth.options.rate_limit.storage == "database"
        assert auth.options.session.store_session_in_database is True
        assert auth.options.session.cookie_cache.strategy == "compact"
    finally:
        auth.storage.engine.dispose()
