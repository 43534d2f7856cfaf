"""Configuration: keyword-only option groups, validated once at construction.

Each group mirrors a Better Auth option object in snake_case (``emailAndPassword`` →
``EmailAndPasswordOptions``). ``AuthKit`` accepts a group instance or a plain dict; a dict with
an unknown key fails with a ``ConfigError`` that lists the valid keys, so a typo never turns an
option silently off.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .errors import ConfigError
from .storage.fields import FieldSpec

# A Max-Age over 400 days is refused by browsers (RFC 6265bis); Better Auth throws too.
MAX_COOKIE_AGE = 400 * 24 * 3600

Callback = Callable[..., Any]


@dataclass(frozen=True, kw_only=True)
class EmailAndPasswordOptions:
    """``emailAndPassword`` (docs/wire-compatibility.md#email-flags)."""

    enabled: bool = False
    disable_sign_up: bool = False
    require_email_verification: bool = False
    auto_sign_in: bool = True
    min_password_length: int = 8
    max_password_length: int = 128
    # "scrypt" (Better Auth's format, shares a database with Node), "bcrypt" or "argon2id",
    # or a PasswordHasher instance.
    password_hasher: Any = "scrypt"
    send_reset_password: Callback | None = None
    reset_password_token_expires_in: int = 3600
    on_password_reset: Callback | None = None
    # authkit deviation (docs/security.md#decisions): a reset ends every session unless turned off.
    revoke_sessions_on_password_reset: bool = True
    on_existing_user_sign_up: Callback | None = None

    def __post_init__(self) -> None:
        _positive("email_and_password.min_password_length", self.min_password_length, zero=True)
        _positive("email_and_password.max_password_length", self.max_password_length)
        if self.min_password_length > self.max_password_length:
            raise ConfigError(
                "email_and_password.min_password_length is larger than max_password_length; "
                "lower the minimum or raise the maximum"
            )
        _positive("email_and_password.reset_password_token_expires_in",
                  self.reset_password_token_expires_in)


@dataclass(frozen=True, kw_only=True)
class EmailVerificationOptions:
    """``emailVerification`` (docs/wire-compatibility.md#send-verification-email,
    docs/wire-compatibility.md#email-flags)."""

    send_verification_email: Callback | None = None
    # None follows email_and_password.require_email_verification, as in Better Auth.
    send_on_sign_up: bool | None = None
    send_on_sign_in: bool = False
    auto_sign_in_after_verification: bool = False
    expires_in: int = 3600
    before_email_verification: Callback | None = None
    after_email_verification: Callback | None = None

    def __post_init__(self) -> None:
        _positive("email_verification.expires_in", self.expires_in)


@dataclass(frozen=True, kw_only=True)
class VerificationOptions:
    """``verification`` (docs/wire-compatibility.md#tokens): how rows of the ``verification`` table
    are keyed."""

    # "hashed" stores SHA-256/base64url of the identifier, so a leaked table holds no usable
    # reset token (docs/security.md#sessions); rows written while it was "plain" are still found.
    store_identifier: Literal["plain", "hashed"] = "plain"
    # Expired rows are deleted at most once a minute on lookup unless this is set.
    disable_cleanup: bool = False
    # With secondary_storage, values live only there unless this is set
    # (docs/wire-compatibility.md#secondary-storage).
    store_in_database: bool = False

    def __post_init__(self) -> None:
        if self.store_identifier not in ("plain", "hashed"):
            raise ConfigError(
                f"verification.store_identifier must be 'plain' or 'hashed', not "
                f"{self.store_identifier!r}"
            )


@dataclass(frozen=True, kw_only=True)
class CookieCacheOptions:
    """``session.cookieCache`` (docs/wire-compatibility.md#cookie-cache)."""

    enabled: bool = False
    max_age: int = 300
    strategy: Literal["compact", "jwt", "jwe"] = "compact"
    version: str = "1"
    # authkit option: the most the cache's cookies may add to a request's Cookie header
    # (cookie_cache.MAX_CACHE_HEADER_BYTES says why 6,000); a larger cache is skipped.
    max_header_bytes: int = 6000

    def __post_init__(self) -> None:
        _positive("session.cookie_cache.max_header_bytes", self.max_header_bytes)
        if self.strategy not in ("compact", "jwt", "jwe"):
            raise ConfigError(
                f"session.cookie_cache.strategy must be 'compact', 'jwt' or 'jwe', not "
                f"{self.strategy!r}"
            )
        _positive("session.cookie_cache.max_age", self.max_age)


@dataclass(frozen=True, kw_only=True)
class SessionOptions:
    """``session`` (docs/wire-compatibility.md#session-semantics)."""

    expires_in: int = 604800
    update_age: int = 86400
    fresh_age: int = 86400
    disable_session_refresh: bool = False
    defer_session_refresh: bool = False
    # authkit option (docs/security.md#decisions): a hard cap on a session's age, off by default.
    absolute_max_age: int | None = None
    cookie_cache: CookieCacheOptions = field(default_factory=CookieCacheOptions)
    additional_fields: Sequence[FieldSpec] = ()
    store_session_in_database: bool = False

    def __post_init__(self) -> None:
        _positive("session.expires_in", self.expires_in)
        if self.expires_in > MAX_COOKIE_AGE:
            raise ConfigError(
                f"session.expires_in is {self.expires_in} s; browsers cap cookies at 400 days "
                f"({MAX_COOKIE_AGE} s): lower it"
            )
        _positive("session.update_age", self.update_age, zero=True)
        _positive("session.fresh_age", self.fresh_age, zero=True)
        if self.absolute_max_age is not None:
            _positive("session.absolute_max_age", self.absolute_max_age)
        object.__setattr__(self, "cookie_cache",
                           coerce(CookieCacheOptions, self.cookie_cache, "session.cookie_cache"))


@dataclass(frozen=True, kw_only=True)
class CrossSubDomainCookies:
    """``advanced.crossSubDomainCookies``."""

    enabled: bool = False
    domain: str | None = None


@dataclass(frozen=True, kw_only=True)
class AdvancedOptions:
    """``advanced`` (docs/wire-compatibility.md#advanced-options) plus authkit's transport
    limits."""

    cookie_prefix: str = "better-auth"
    # None: secure cookies exactly when base_url is https (docs/wire-compatibility.md#cookie-names).
    use_secure_cookies: bool | None = None
    cross_sub_domain_cookies: CrossSubDomainCookies = field(default_factory=CrossSubDomainCookies)
    # {"session_token": {"name": "...", "attributes": {...}}}
    cookies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_cookie_attributes: Mapping[str, Any] = field(default_factory=dict)
    disable_csrf_check: bool = False
    disable_origin_check: bool = False
    # Addresses or CIDRs whose X-Forwarded-For is believed (docs/security.md#decisions); empty: the
    # socket peer is the client.
    trusted_proxies: Sequence[str] = ()
    ip_address_headers: Sequence[str] = ("x-forwarded-for",)
    ipv6_subnet: int = 64
    disable_ip_tracking: bool = False
    skip_trailing_slashes: bool = False
    # Parser limits (docs/security.md#cookies, docs/security.md#input-validation): refuse early
    # instead of reading without bound.
    max_body_size: int = 1024 * 1024
    max_cookie_header_size: int = 16 * 1024

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", self.cookie_prefix):
            raise ConfigError(
                f"advanced.cookie_prefix {self.cookie_prefix!r} may hold only letters, digits, "
                "'_', '-' and '.'"
            )
        object.__setattr__(self, "cross_sub_domain_cookies", coerce(
            CrossSubDomainCookies, self.cross_sub_domain_cookies,
            "advanced.cross_sub_domain_cookies"))
        if not 0 <= self.ipv6_subnet <= 128:
            raise ConfigError("advanced.ipv6_subnet must be between 0 and 128")
        _positive("advanced.max_body_size", self.max_body_size)
        _positive("advanced.max_cookie_header_size", self.max_cookie_header_size)
        for key, spec in self.cookies.items():
            name = spec.get("name")
            if (name and str(name).startswith("__Host-")
                    and self.cross_sub_domain_cookies.enabled):
                # docs/security.md#cookies: a __Host- cookie must not carry Domain; the browser
                # would drop it.
                raise ConfigError(
                    f"advanced.cookies[{key!r}].name starts with '__Host-', which forbids a "
                    "Domain attribute, but cross_sub_domain_cookies is enabled: rename the "
                    "cookie or disable cross_sub_domain_cookies"
                )


@dataclass(frozen=True, kw_only=True)
class UserOptions:
    """``user``: extra columns and the optional account flows."""

    additional_fields: Sequence[FieldSpec] = ()
    change_email_enabled: bool = False
    update_email_without_verification: bool = False
    send_change_email_confirmation: Callback | None = None
    delete_user_enabled: bool = False
    send_delete_account_verification: Callback | None = None
    delete_token_expires_in: int = 86400
    before_delete: Callback | None = None
    after_delete: Callback | None = None


# Where rate-limit counters can live (``rate_limit.storage``, ``AUTHKIT_RATE_LIMIT_STORAGE``).
RATE_LIMIT_STORAGES = ("memory", "database", "secondary-storage")


@dataclass(frozen=True, kw_only=True)
class RateLimitOptions:
    """``rateLimit`` (docs/wire-compatibility.md#rate-limits)."""

    # None: on in production, off otherwise (Better Auth's rule).
    enabled: bool | None = None
    window: int = 10
    max: int = 100
    # path or glob -> {"window", "max"}, False (not limited) or callable(request, rule).
    custom_rules: Mapping[str, Any] = field(default_factory=dict)
    # None: "secondary-storage" when AuthKit has secondary_storage, else "memory".
    storage: Literal["memory", "database", "secondary-storage"] | None = None
    # An object with consume(key, rule) -> Decision; replaces the storage above.
    custom_storage: Any = None

    def __post_init__(self) -> None:
        _positive("rate_limit.window", self.window)
        _positive("rate_limit.max", self.max)
        if self.storage is not None and self.storage not in RATE_LIMIT_STORAGES:
            raise ConfigError(
                f"rate_limit.storage must be 'memory', 'database' or 'secondary-storage', "
                f"not {self.storage!r}"
            )


T = TypeVar("T")


def coerce(cls: type[T], value: Any, label: str) -> T:
    """A group instance from an instance, a dict, or ``None`` (the defaults)."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = [k for k in value if k not in names]
        if unknown:
            hints = []
            for key in unknown:
                snake = re.sub(r"(?<!^)([A-Z])", r"_\1", str(key)).lower()
                hints.append(f"{key!r}" + (f" (did you mean {snake!r}?)" if snake in names else ""))
            raise ConfigError(
                f"unknown option(s) in {label}: {', '.join(hints)}; valid keys are "
                f"{', '.join(sorted(names))}"
            )
        try:
            return cls(**value)
        except TypeError as exc:
            raise ConfigError(f"{label}: {exc}") from None
    raise ConfigError(f"{label} must be a dict or {cls.__name__}, not {type(value).__name__}")


def _positive(label: str, value: Any, *, zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        need = "a non-negative" if zero else "a positive"
        raise ConfigError(f"{label} must be {need} whole number of seconds/units, not {value!r}")
