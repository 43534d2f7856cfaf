"""``authkit serve`` settings of the cookie cache, CORS and where sessions and rate limits are
kept (``AUTHKIT_COOKIE_CACHE*``, ``AUTHKIT_CORS``, ``AUTHKIT_STORE_SESSION_IN_DATABASE``,
``AUTHKIT_RATE_LIMIT_STORAGE``), kept apart from ``settings.py`` so that file stays one line
per feature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config import RATE_LIMIT_STORAGES
from .errors import ConfigError

_STRATEGIES = ("compact", "jwt", "jwe")


def production_options(env: Mapping[str, str]) -> dict[str, Any]:
    """``AuthKit`` keyword arguments from the cookie-cache and CORS variables."""
    from .settings import flag

    out: dict[str, Any] = {}
    strategy = (env.get("AUTHKIT_COOKIE_CACHE") or "off").strip().lower()
    max_age = env.get("AUTHKIT_COOKIE_CACHE_MAX_AGE")
    if strategy not in ("off", *_STRATEGIES):
        raise ConfigError(f"AUTHKIT_COOKIE_CACHE={strategy!r}: use off, compact, jwt or jwe")
    if strategy != "off":
        cache: dict[str, Any] = {"enabled": True, "strategy": strategy}
        if max_age:
            try:
                cache["max_age"] = int(max_age)
            except ValueError:
                raise ConfigError(f"AUTHKIT_COOKIE_CACHE_MAX_AGE={max_age!r}: use a whole "
                                  "number of seconds") from None
        out["session"] = {"cookie_cache": cache}
    elif max_age:
        raise ConfigError("AUTHKIT_COOKIE_CACHE_MAX_AGE is set but AUTHKIT_COOKIE_CACHE is off")
    if flag(env, "AUTHKIT_CORS", False):
        out["cors"] = True
    redis = bool(env.get("AUTHKIT_REDIS_URL"))
    keep = flag(env, "AUTHKIT_STORE_SESSION_IN_DATABASE", None)
    if keep is not None:
        if not redis:
            # Without secondary storage sessions live in the database anyway.
            raise ConfigError("AUTHKIT_STORE_SESSION_IN_DATABASE only applies with "
                              "AUTHKIT_REDIS_URL; set that too, or unset this")
        out.setdefault("session", {})["store_session_in_database"] = keep
    storage = (env.get("AUTHKIT_RATE_LIMIT_STORAGE") or "").strip().lower()
    if storage:
        if storage not in RATE_LIMIT_STORAGES:
            raise ConfigError(f"AUTHKIT_RATE_LIMIT_STORAGE={storage!r}: use memory, database "
                              "or secondary-storage")
        if storage == "secondary-storage" and not redis:
            raise ConfigError("AUTHKIT_RATE_LIMIT_STORAGE=secondary-storage needs "
                              "AUTHKIT_REDIS_URL")
        out["rate_limit"] = {"storage": storage}
    return out
