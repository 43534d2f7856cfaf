"""AUTHKIT_PLUGINS=api-key: the knobs reach the plugin; bad JSON permissions are refused."""

from __future__ import annotations

import pytest

from authkit.errors import ConfigError
from authkit.plugins.api_key import ApiKeyPlugin
from authkit.settings import from_env

SECRET = "s" * 40


def _plugin(**env: str) -> ApiKeyPlugin:
    plugins = from_env({"AUTHKIT_SECRET": SECRET, "AUTHKIT_PLUGINS": "api-key", **env})[
        "plugins"]
    (found,) = [p for p in plugins if isinstance(p, ApiKeyPlugin)]
    return found


def test_defaults_of_a_typical_app() -> None:
    opts = _plugin().options
    assert opts.enable_session_for_api_keys and opts.enable_metadata
    assert (opts.api_key_headers, opts.rate_limit_max, opts.rate_limit_time_window) == (
        ("x-api-key",), 10, 86_400_000)


def test_every_knob() -> None:
    opts = _plugin(
        AUTHKIT_API_KEY_SESSION="off", AUTHKIT_API_KEY_HEADERS="x-a, x-b",
        AUTHKIT_API_KEY_RATE_LIMIT="off", AUTHKIT_API_KEY_RATE_LIMIT_MAX="5",
        AUTHKIT_API_KEY_RATE_LIMIT_WINDOW_MS="3000", AUTHKIT_API_KEY_METADATA="off",
        AUTHKIT_API_KEY_REQUIRE_NAME="on", AUTHKIT_API_KEY_DEFAULT_PREFIX="ak_",
        AUTHKIT_API_KEY_LENGTH="48", AUTHKIT_API_KEY_DEFAULT_EXPIRES_IN="3600",
        AUTHKIT_API_KEY_MIN_EXPIRES_IN_DAYS="0", AUTHKIT_API_KEY_MAX_EXPIRES_IN_DAYS="30",
        AUTHKIT_API_KEY_DISABLE_CUSTOM_EXPIRES="on", AUTHKIT_API_KEY_DISABLE_HASHING="on",
        AUTHKIT_API_KEY_START_LENGTH="4",
        AUTHKIT_API_KEY_DEFAULT_PERMISSIONS='{"files": ["read"]}').options
    assert not opts.enable_session_for_api_keys and not opts.enable_metadata
    assert opts.api_key_headers == ("x-a", "x-b") and not opts.rate_limit_enabled
    assert (opts.rate_limit_max, opts.rate_limit_time_window) == (5, 3000)
    assert opts.require_name and opts.default_prefix == "ak_" and opts.default_key_length == 48
    assert (opts.default_expires_in, opts.min_expires_in, opts.max_expires_in) == (3600, 0, 30)
    assert opts.disable_custom_expires_time and opts.disable_key_hashing
    assert opts.start_length == 4 and opts.default_permissions == {"files": ["read"]}


@pytest.mark.parametrize("value", ["not json", "[1]"])
def test_default_permissions_must_be_a_json_object(value: str) -> None:
    with pytest.raises(ConfigError, match="JSON object"):
        _plugin(AUTHKIT_API_KEY_DEFAULT_PERMISSIONS=value)
