"""``AUTHKIT_COOKIE_CACHE*`` and ``AUTHKIT_CORS`` for `authkit serve`."""

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
