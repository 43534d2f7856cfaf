"""Configuration from ``AUTHKIT_*`` environment variables: the one place they are read.

``AuthKit.from_env()`` (and so ``authkit serve``) builds on ``from_env`` here; ``AuthKit(...)``
itself reads no variable. Everything not set takes Better Auth's default; an unknown
``AUTHKIT_*`` name or a malformed value is refused with a message that says what to write
instead. One production switch (``AUTHKIT_ENV``, or ``ENV``, set to ``production``) and one
development-secret policy: without a secret outside production, a generated secret kept in
``AUTHKIT_SECRET_FILE``; in production a secret is required.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import RATE_LIMIT_STORAGES
from .errors import ConfigError
from .ip import parse_networks

KNOWN = {
    "AUTHKIT_SECRET": "signing secret (comma list to rotate: newest first)",
    "AUTHKIT_SECRETS": "versioned secrets 'version:secret,...', newest first (Better Auth's "
                       "BETTER_AUTH_SECRETS): encrypted values record their version",
    "AUTHKIT_SECRET_FILE": "where the generated development secret is kept",
    "AUTHKIT_DATABASE_URL": "database URL (default sqlite:///authkit.db)",
    "AUTHKIT_BASE_URL": "public origin, e.g. https://auth.example.com",
    "AUTHKIT_TRUSTED_ORIGINS": "comma list of extra trusted origins",
    "AUTHKIT_EMAIL_OUTBOX": "JSON-lines file receiving every email",
    "AUTHKIT_ADMIN_EMAILS": "comma list of emails that get role admin on sign-up",
    "AUTHKIT_RATE_LIMIT": "on/off",
    "AUTHKIT_REQUIRE_EMAIL_VERIFICATION": "on/off",
    "AUTHKIT_TRUSTED_PROXIES": "comma list of proxy addresses/CIDRs whose X-Forwarded-For is believed",
    "AUTHKIT_ENV": "production or development",
    "AUTHKIT_SMTP_URL": "smtp://user:pass@host:port or smtps://...",
    "AUTHKIT_EMAIL_FROM": "sender address for SMTP",
    "AUTHKIT_CHANGE_EMAIL": "on/off",
    "AUTHKIT_DELETE_USER": "on/off",
    "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "on/off (default on: a reset ends sessions)",
    "AUTHKIT_REDIS_URL": "redis://host:port/db",
    "AUTHKIT_REDIS_PREFIX": "prefix for every Redis key (several deployments on one Redis)",
    "AUTHKIT_COOKIE_CACHE": "off (default), compact, jwt or jwe: the session cookie cache",
    "AUTHKIT_COOKIE_CACHE_MAX_AGE": "seconds a cookie cache lives (default 300)",
    "AUTHKIT_CORS": "on/off: CORS for the trusted origins (default off, as Better Auth)",
    "AUTHKIT_HEALTH_PATH": "path of the health endpoint",
    "AUTHKIT_OPENAPI": "on/off: the OpenAPI document at <base>/open-api/generate-schema and an "
                       "interactive reference (Swagger UI, offline) at <base>/reference",
    "AUTHKIT_STORE_SESSION_IN_DATABASE": "on/off: with Redis, also keep sessions in the database",
    "AUTHKIT_PLUGINS": "comma list of plugins to turn on, by Better Auth's names "
                       "(two-factor, organization, jwt, ...)",
    "AUTHKIT_APP_NAME": "the application's name (TOTP issuer, passkey relying party, mail)",
    "AUTHKIT_RATE_LIMIT_STORAGE": "memory, database or secondary-storage (default: Redis when "
                                  "AUTHKIT_REDIS_URL is set, else memory)",
}


# Not AUTHKIT_-prefixed on purpose: the name check refuses unknown AUTHKIT_* variables.
_WARNED_ENV = "_AUTHKIT_DEV_SECRET_WARNED"

# Known names whose feature has not landed yet: refused rather than silently ignored.
NOT_YET: frozenset[str] = frozenset()


def flag(env: Mapping[str, str], name: str, default: bool | None = None) -> bool | None:
    """An on/off variable; anything else is a ConfigError."""
    value = env.get(name)
    if value is None or value == "":
        return default
    low = value.strip().lower()
    if low in ("on", "true", "1", "yes"):
        return True
    if low in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"{name}={value!r}: use 'on' or 'off'")


def csv(env: Mapping[str, str], name: str) -> list[str]:
    """A comma list variable."""
    return [v.strip() for v in env.get(name, "").split(",") if v.strip()]


def check_names(env: Mapping[str, str]) -> None:
    """Refuse unknown AUTHKIT_* variables: a typo must not silently change nothing."""
    from .plugins.serve_registry import known_knobs

    known = {**KNOWN, **known_knobs()}
    unknown = sorted(k for k in env if k.startswith("AUTHKIT_") and k not in known)
    if unknown:
        raise ConfigError(
            f"unknown environment variable(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(KNOWN))}"
        )


def dev_secret(env: Mapping[str, str]) -> str:
    """A random secret kept in a 0600 file, so sessions survive restarts without config."""
    path = Path(env.get("AUTHKIT_SECRET_FILE") or ".authkit-secret")
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def is_production(env: Mapping[str, str]) -> bool:
    """The one production switch: ``AUTHKIT_ENV`` (or else ``ENV``) is ``production``."""
    return (env.get("AUTHKIT_ENV") or env.get("ENV") or "").strip().lower() == "production"


def overlay(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` laid over it: where both hold a dict (an option group) the
    keys merge, recursively; any other value replaces."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = overlay(dict(out[key]), value)
        else:
            out[key] = value
    return out


def from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``AuthKit(**kwargs)`` keyword arguments for ``authkit serve``."""
    env = os.environ if env is None else env
    check_names(env)
    pending = sorted(k for k in NOT_YET if env.get(k))
    if pending:
        raise ConfigError(f"{', '.join(pending)} is not supported by this version of authkit yet")
    production = is_production(env)
    # BETTER_AUTH_SECRET / BETTER_AUTH_URL: the names a Better Auth deployment already has.
    secret_env = csv(env, "AUTHKIT_SECRET") or csv(env, "BETTER_AUTH_SECRET")
    versioned = env.get("AUTHKIT_SECRETS") or None
    if not secret_env and not versioned:
        if production:
            raise ConfigError("AUTHKIT_SECRET is required when AUTHKIT_ENV=production; "
                              "generate one with `authkit secret`")
        secret_env = [dev_secret(env)]
        if not os.environ.get(_WARNED_ENV):
            # Once per command: `serve --workers N` builds the app again in every worker,
            # which inherit this marker.
            os.environ[_WARNED_ENV] = "1"
            print("authkit: WARNING no AUTHKIT_SECRET set; using a generated development "
                  f"secret kept in {env.get('AUTHKIT_SECRET_FILE') or '.authkit-secret'}. "
                  "Set AUTHKIT_SECRET in production.", file=sys.stderr)
    proxies = csv(env, "AUTHKIT_TRUSTED_PROXIES")
    parse_networks(proxies, "AUTHKIT_TRUSTED_PROXIES")
    kwargs: dict[str, Any] = {
        "secret": secret_env or None,
        "secrets": versioned,
        "database": env.get("AUTHKIT_DATABASE_URL") or "sqlite:///authkit.db",
        "base_url": env.get("AUTHKIT_BASE_URL") or env.get("BETTER_AUTH_URL") or None,
        "trusted_origins": csv(env, "AUTHKIT_TRUSTED_ORIGINS"),
        "production": production,
        "advanced": {"trusted_proxies": proxies},
    }
    email_and_password: dict[str, Any] = {
        "enabled": True,
        "require_email_verification": bool(
            flag(env, "AUTHKIT_REQUIRE_EMAIL_VERIFICATION", False)),
    }
    email_verification: dict[str, Any] = {}
    from .mail.env import callbacks_from_env

    mail = callbacks_from_env(env, app_name=env.get("AUTHKIT_APP_NAME") or "authkit")  # SMTP (AUTHKIT_SMTP_URL) and/or AUTHKIT_EMAIL_OUTBOX
    if mail:
        email_and_password["send_reset_password"] = mail["send_reset_password"]
        email_verification["send_verification_email"] = mail["send_verification_email"]
    revoke = flag(env, "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET", None)
    if revoke is not None:
        email_and_password["revoke_sessions_on_password_reset"] = revoke
    if flag(env, "AUTHKIT_CHANGE_EMAIL", False):
        # Off by default, as in Better Auth: POST /change-email answers CHANGE_EMAIL_DISABLED.
        user_options = kwargs.setdefault("user", {})
        user_options["change_email_enabled"] = True
        if mail:
            # Verified users confirm from their current address first (flow b,
            # docs/wire-compatibility.md#change-email).
            user_options["send_change_email_confirmation"] = mail[
                "send_change_email_confirmation"]
    kwargs["email_and_password"] = email_and_password
    kwargs["email_verification"] = email_verification
    if flag(env, "AUTHKIT_DELETE_USER", False):
        # Off by default, as in Better Auth: POST /delete-user answers 404 until turned on.
        kwargs.setdefault("user", {})["delete_user_enabled"] = True
    redis_url = env.get("AUTHKIT_REDIS_URL")
    if redis_url:
        from .storage.secondary.redis_store import RedisStorage

        kwargs["secondary_storage"] = RedisStorage(
            redis_url, key_prefix=env.get("AUTHKIT_REDIS_PREFIX", ""))
    elif env.get("AUTHKIT_REDIS_PREFIX"):
        raise ConfigError("AUTHKIT_REDIS_PREFIX is set but AUTHKIT_REDIS_URL is not")
    kwargs.update(production_options(env))
    rate = flag(env, "AUTHKIT_RATE_LIMIT", None)
    if rate is not None:
        kwargs.setdefault("rate_limit", {})["enabled"] = rate
    from .plugins import bearer
    from .plugins.admin import admin, admin_emails_hooks

    kwargs["plugins"] = [bearer(), admin()]
    if flag(env, "AUTHKIT_OPENAPI", False):
        from .openapi import open_api

        kwargs["plugins"].append(open_api(viewer="swagger-ui"))
    app_name = env.get("AUTHKIT_APP_NAME") or "authkit"
    kwargs["app_name"] = app_name
    _add_serve_plugins(env, kwargs, app_name=app_name, production=production)
    admin_emails = csv(env, "AUTHKIT_ADMIN_EMAILS")
    if admin_emails:
        # Like the reference server's ADMIN_EMAIL: these addresses get role admin on sign-up.
        kwargs["database_hooks"] = admin_emails_hooks(admin_emails)
    return kwargs


def _add_serve_plugins(env: Mapping[str, str], kwargs: dict[str, Any], *, app_name: str,
                       production: bool) -> None:
    """Turn on the AUTHKIT_PLUGINS groups, each configured from its own knobs."""
    from .mail.env import smtp_sender_from_env
    from .plugins.serve_registry import ServeContext, configure, merge_options

    names = csv(env, "AUTHKIT_PLUGINS")
    if not names:
        return
    ctx = ServeContext(env=env, app_name=app_name, base_url=kwargs.get("base_url"),
                       production=production,
                       outbox_path=env.get("AUTHKIT_EMAIL_OUTBOX") or None,
                       mail_sender=smtp_sender_from_env(env))
    result = configure(names, ctx)
    kwargs["plugins"] = [*kwargs["plugins"], *result.plugins]
    merge_options(kwargs, result.options)


_STRATEGIES = ("compact", "jwt", "jwe")


def production_options(env: Mapping[str, str]) -> dict[str, Any]:
    """``AuthKit`` keyword arguments from the cookie-cache, CORS, session-storage and
    rate-limit-storage variables."""
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


def health_path(env: Mapping[str, str] | None = None) -> str | None:
    """Where `authkit serve` answers health checks: AUTHKIT_HEALTH_PATH, default ``/health``;
    ``off`` turns it off."""
    env = os.environ if env is None else env
    value = (env.get("AUTHKIT_HEALTH_PATH") or "/health").strip()
    if value.lower() == "off":
        return None
    if not value.startswith("/") or "?" in value or "#" in value:
        raise ConfigError(f"AUTHKIT_HEALTH_PATH={value!r}: use a path such as /health, or off")
    return value
