"""``AUTHKIT_PLUGINS=api-key``: the api-key plugin configured from the environment.

Defaults are those of a typical app letting users mint personal keys for its HTTP API:
keys act as sessions and carry metadata (both off in the library's own defaults).
"""

from __future__ import annotations

import json

from ...errors import ConfigError
from ..serve_registry import ServeContext, ServeResult
from . import api_key

KNOBS: dict[str, str] = {
    "AUTHKIT_API_KEY_SESSION": "on (default) | off: x-api-key acts as a session",
    "AUTHKIT_API_KEY_HEADERS": "header name(s) read for the key, comma list (default x-api-key)",
    "AUTHKIT_API_KEY_RATE_LIMIT": "on (default) | off: the per-key rate limit",
    "AUTHKIT_API_KEY_RATE_LIMIT_MAX": "requests per window for new keys (default 10)",
    "AUTHKIT_API_KEY_RATE_LIMIT_WINDOW_MS": "the window in ms (default 86400000 = 1 day)",
    "AUTHKIT_API_KEY_METADATA": "on (default) | off: keys may carry metadata",
    "AUTHKIT_API_KEY_REQUIRE_NAME": "on | off (default): a name is required",
    "AUTHKIT_API_KEY_DEFAULT_PREFIX": "prefix of new keys (default none), e.g. ak_",
    "AUTHKIT_API_KEY_LENGTH": "length of the random part (default 64)",
    "AUTHKIT_API_KEY_DEFAULT_EXPIRES_IN": "seconds until new keys expire (default: never)",
    "AUTHKIT_API_KEY_MIN_EXPIRES_IN_DAYS": "smallest expiresIn a client may ask, days (default 1)",
    "AUTHKIT_API_KEY_MAX_EXPIRES_IN_DAYS": "largest expiresIn a client may ask, days (default 365)",
    "AUTHKIT_API_KEY_DISABLE_CUSTOM_EXPIRES": "on: clients may not choose an expiry",
    "AUTHKIT_API_KEY_DISABLE_HASHING": "on: store keys in clear (never in production)",
    "AUTHKIT_API_KEY_START_LENGTH": "how many leading characters are stored as start (default 6)",
    "AUTHKIT_API_KEY_DEFAULT_PERMISSIONS": 'JSON statements for new keys, e.g. {"files":["read"]}',
}


def configure(ctx: ServeContext) -> ServeResult:
    """Build ``api_key()`` from the ``AUTHKIT_API_KEY_*`` knobs."""
    permissions = None
    raw = ctx.text("API_KEY_DEFAULT_PERMISSIONS")
    if raw is not None:
        try:
            permissions = json.loads(raw)
        except ValueError:
            raise ConfigError("AUTHKIT_API_KEY_DEFAULT_PERMISSIONS must be a JSON object") from None
        if not isinstance(permissions, dict):
            raise ConfigError("AUTHKIT_API_KEY_DEFAULT_PERMISSIONS must be a JSON object")
    default_expires = ctx.num("API_KEY_DEFAULT_EXPIRES_IN", 0)
    plugin = api_key(
        enable_session_for_api_keys=ctx.flag("API_KEY_SESSION", True),
        api_key_headers=ctx.csv("API_KEY_HEADERS") or "x-api-key",
        rate_limit_enabled=ctx.flag("API_KEY_RATE_LIMIT", True),
        rate_limit_max=ctx.num("API_KEY_RATE_LIMIT_MAX", 10),
        rate_limit_time_window=ctx.num("API_KEY_RATE_LIMIT_WINDOW_MS", 86_400_000),
        enable_metadata=ctx.flag("API_KEY_METADATA", True),
        require_name=ctx.flag("API_KEY_REQUIRE_NAME", False),
        default_prefix=ctx.text("API_KEY_DEFAULT_PREFIX"),
        default_key_length=ctx.num("API_KEY_LENGTH", 64),
        default_expires_in=default_expires or None,
        min_expires_in=ctx.num("API_KEY_MIN_EXPIRES_IN_DAYS", 1),
        max_expires_in=ctx.num("API_KEY_MAX_EXPIRES_IN_DAYS", 365),
        disable_custom_expires_time=ctx.flag("API_KEY_DISABLE_CUSTOM_EXPIRES", False),
        disable_key_hashing=ctx.flag("API_KEY_DISABLE_HASHING", False),
        start_length=ctx.num("API_KEY_START_LENGTH", 6),
        default_permissions=permissions,
    )
    return ServeResult(plugins=[plugin])
