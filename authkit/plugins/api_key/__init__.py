"""``api_key()``: API keys for machine clients (``@better-auth/api-key`` 1.7.21's behaviour).

::

    from authkit.plugins.api_key import api_key

    auth = AuthKit(..., plugins=[api_key(enable_session_for_api_keys=True)])

Users create, list, update and delete their keys under ``/api-key/*``; with
``enable_session_for_api_keys`` a request carrying ``x-api-key: <key>`` (the header names are
``api_key_headers``) is served as a session of the key's owner, counting against the key's
quota (``remaining``, refilled by ``refillAmount`` every ``refillInterval`` ms) and its own
rate limit (``rateLimitMax`` per ``rateLimitTimeWindow`` ms). Keys are stored hashed
(unpadded base64url SHA-256) in the ``apikey`` table, readable by a Node Better Auth on the
same database. ``auth.api.verify_api_key(body={"key": ..., "permissions": {...}})`` and
``auth.api.delete_all_expired_api_keys()`` are server-only; permissions are checked with the
admin plugin's access control (``Role(statements).authorize``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ...hooks import HookMatcher
from ..admin.access import Role
from ..base import Plugin
from . import routes, session, usage
from .errors import API_KEY_ERROR_CODES
from .schema import APIKEY_TABLE, hash_key

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

__all__ = ["API_KEY_ERROR_CODES", "ApiKeyOptions", "ApiKeyPlugin", "api_key", "hash_key"]

# Better Auth sweeps expired keys at most once per 10 s per process.
SWEEP_EVERY = 10.0


@dataclass(frozen=True, kw_only=True)
class ApiKeyOptions:
    """The options of ``api_key()`` (Better Auth's, in snake_case; durations as noted)."""

    enable_session_for_api_keys: bool = False
    api_key_headers: tuple[str, ...] = ("x-api-key",)
    rate_limit_enabled: bool = True
    rate_limit_max: int = 10
    rate_limit_time_window: int = 86_400_000  # ms
    enable_metadata: bool = False
    require_name: bool = False
    default_prefix: str | None = None
    default_key_length: int = 64
    default_expires_in: int | None = None  # seconds
    min_expires_in: float = 1  # days
    max_expires_in: float = 365  # days
    disable_custom_expires_time: bool = False
    disable_key_hashing: bool = False
    store_start: bool = True
    start_length: int = 6
    default_permissions: Mapping[str, list[str]] | None = None
    min_prefix_length: int = 1
    max_prefix_length: int = 32
    min_name_length: int = 1
    max_name_length: int = 32
    extra: dict[str, Any] = field(default_factory=dict)


class ApiKeyPlugin(Plugin):
    """See ``api_key()``."""

    id = "api-key"
    error_codes = API_KEY_ERROR_CODES
    tables = APIKEY_TABLE

    def __init__(self, options: ApiKeyOptions) -> None:
        self.options = options
        self.before = (HookMatcher(self._matches, self._authenticate),)
        self._endpoints = routes.build(self)
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    def permits(self, granted: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
        """Do a key's permissions cover ``wanted``? (the access-control check of roles)"""
        statements = {k: list(v) for k, v in granted.items() if isinstance(v, list)}
        return Role(statements).authorize(dict(wanted)).success

    def sweep_expired(self, auth: AuthKit) -> None:
        """Delete expired keys, at most once per ``SWEEP_EVERY`` seconds per process."""
        now = time.monotonic()
        with self._sweep_lock:
            if self._last_sweep and now - self._last_sweep < SWEEP_EVERY:
                return
            self._last_sweep = now
        usage.delete_expired(auth)

    def _matches(self, ctx: Context) -> bool:
        return session.matches(self, ctx)

    def _authenticate(self, ctx: Context) -> Any:
        return session.authenticate(self, ctx)


def api_key(
    *,
    enable_session_for_api_keys: bool = False,
    api_key_headers: str | Sequence[str] = "x-api-key",
    rate_limit_enabled: bool = True,
    rate_limit_max: int = 10,
    rate_limit_time_window: int = 86_400_000,
    enable_metadata: bool = False,
    require_name: bool = False,
    default_prefix: str | None = None,
    default_key_length: int = 64,
    default_expires_in: int | None = None,
    min_expires_in: float = 1,
    max_expires_in: float = 365,
    disable_custom_expires_time: bool = False,
    disable_key_hashing: bool = False,
    store_start: bool = True,
    start_length: int = 6,
    default_permissions: Mapping[str, list[str]] | None = None,
    min_prefix_length: int = 1,
    max_prefix_length: int = 32,
    min_name_length: int = 1,
    max_name_length: int = 32,
) -> ApiKeyPlugin:
    """The api-key plugin.

    ``rate_limit_time_window`` is in milliseconds (as stored), ``default_expires_in`` in
    seconds, ``min_expires_in``/``max_expires_in`` in days. ``default_permissions`` is a
    statement map such as ``{"files": ["read"]}`` given to new keys.
    """
    headers = (api_key_headers,) if isinstance(api_key_headers, str) else tuple(api_key_headers)
    if not headers or not all(h.strip() for h in headers):
        raise ConfigError("api_key(api_key_headers=...) needs at least one header name")
    if default_key_length < 32:
        raise ConfigError("api_key(default_key_length=...) below 32 characters is too guessable")
    for name, value in (("rate_limit_max", rate_limit_max),
                        ("rate_limit_time_window", rate_limit_time_window),
                        ("start_length", start_length)):
        if isinstance(value, bool) or value < 0:
            raise ConfigError(f"api_key({name}=...) must be >= 0")
    if default_prefix is not None and not default_prefix.replace("_", "").replace(
            "-", "").isalnum():
        raise ConfigError("api_key(default_prefix=...) may hold letters, digits, '_' and '-'")
    return ApiKeyPlugin(ApiKeyOptions(
        enable_session_for_api_keys=enable_session_for_api_keys,
        api_key_headers=tuple(h.strip().lower() for h in headers),
        rate_limit_enabled=rate_limit_enabled, rate_limit_max=rate_limit_max,
        rate_limit_time_window=rate_limit_time_window, enable_metadata=enable_metadata,
        require_name=require_name, default_prefix=default_prefix,
        default_key_length=default_key_length, default_expires_in=default_expires_in,
        min_expires_in=min_expires_in, max_expires_in=max_expires_in,
        disable_custom_expires_time=disable_custom_expires_time,
        disable_key_hashing=disable_key_hashing, store_start=store_start,
        start_length=start_length, default_permissions=default_permissions,
        min_prefix_length=min_prefix_length, max_prefix_length=max_prefix_length,
        min_name_length=min_name_length, max_name_length=max_name_length))
