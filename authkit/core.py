"""``AuthKit``: configured once, then serves HTTP (``handle``) and in-process calls (``api``)."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from .config import (
    AdvancedOptions,
    EmailAndPasswordOptions,
    EmailVerificationOptions,
    RateLimitOptions,
    SessionOptions,
    UserOptions,
    VerificationOptions,
    coerce,
)
from .config_checks import (
    check_trusted_origins,
    checked_keywords,
    split_base_url,
    warn_weak_secrets,
)
from .cookie_cache import CookieCache
from .cookies import AuthCookies
from .cors import CORS, CORSOptions
from .crypto.symmetric import SecretConfig, parse_versioned
from .db import Database, DatabaseHooks
from .endpoints import core_endpoints
from .endpoints.registry import Registry
from .errors import ConfigError
from .hooks import Hooks
from .http import Request, Response
from .ip import ClientIP
from .models import to_ms
from .observability import ErrorCallback, ErrorHook
from .origins import OriginPolicy
from .passwords import PasswordHasher, make_hasher
from .plugins.base import Plugin
from .ratelimit import RateLimiter
from .sessions import SessionService
from .storage.fields import FieldSpec
from .storage.secondary.records import secondary_records
from .storage.secondary.store import SecondaryStorage
from .storage.sql import SQLStorage
from .storage.tables import Tables, build_tables
from .tokens import SecretList

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from .api_types import TypedAPI
    from .asgi import ASGIApp

log = logging.getLogger("authkit")

# Better Auth's built-in fallback secret: accepted outside production only, loudly.
DEFAULT_SECRET = "better-auth-secret-12345678901234567890"
MIN_SECRET_LENGTH = 32


class AuthKit:
    """An authentication server: storage, sessions, endpoints, configured once.

    ``cors`` (off by default, as in Better Auth; ``True`` or ``CORSOptions``/dict: see
    ``authkit.cors``) and ``on_api_error`` (``callable(error, ErrorContext)`` or
    ``{"on_error": fn, "throw": bool}``: see ``authkit.observability``) are keyword-only too.

    Parameters (keyword-only): ``secret`` (a string, or a list newest first for rotation),
    ``secrets`` (Better Auth's versioned secrets, ``[(2, "new"), (1, "old")]`` or
    ``"2:new,1:old"``: encrypted values carry their version, and ``secret`` stays readable),
    ``database`` (URL or SQLAlchemy ``Engine``), ``base_url``, ``base_path``,
    ``email_and_password``, ``email_verification``, ``session``, ``user``, ``advanced``,
    ``rate_limit``, ``verification``, ``trusted_origins`` (list or ``callable(request) ->
    list``), ``plugins``, ``hooks``, ``database_hooks``, ``disabled_paths``, ``app_name``,
    ``production`` (default ``False``) and ``clock`` (``() -> epoch seconds``, for tests).

    The constructor reads no environment variable: ``AuthKit.from_env()`` is the one place
    the ``AUTHKIT_*`` variables are read (and what ``authkit serve`` runs).

    ``secondary_storage`` (a ``SecondaryStorage`` such as ``MemoryStorage`` or
    ``RedisStorage``) is shared by every instance: sessions, verification values and rate
    limits then live there (docs/wire-compatibility.md#secondary-storage).
    """

    @checked_keywords
    def __init__(
        self,
        *,
        secret: str | Sequence[str] | None = None,
        secrets: str | Sequence[tuple[int, str]] | None = None,
        database: str | Engine = "sqlite:///authkit.db",
        base_url: str | None = None,
        base_path: str | None = None,
        email_and_password: EmailAndPasswordOptions | Mapping[str, Any] | None = None,
        email_verification: EmailVerificationOptions | Mapping[str, Any] | None = None,
        session: SessionOptions | Mapping[str, Any] | None = None,
        user: UserOptions | Mapping[str, Any] | None = None,
        advanced: AdvancedOptions | Mapping[str, Any] | None = None,
        rate_limit: RateLimitOptions | Mapping[str, Any] | None = None,
        verification: VerificationOptions | Mapping[str, Any] | None = None,
        trusted_origins: Sequence[str] | Callable[[Request | None], Sequence[str | None]] = (),
        plugins: Sequence[Plugin] = (),
        hooks: Hooks | None = None,
        database_hooks: DatabaseHooks | None = None,
        disabled_paths: Sequence[str] = (),
        app_name: str = "authkit",
        production: bool | None = None,
        clock: Callable[[], float] | None = None,
        cors: CORSOptions | Mapping[str, Any] | bool | None = None,
        on_api_error: ErrorCallback | Mapping[str, Any] | None = None,
        secondary_storage: SecondaryStorage | None = None,
    ) -> None:
        # No environment variable is read here: AuthKit.from_env() is the one place that does.
        self.production = bool(production)
        self.app_name = app_name
        self._clock = clock or time.time
        self.secondary_storage = secondary_storage
        self.options = _Options(
            email_and_password=coerce(EmailAndPasswordOptions, email_and_password,
                                      "email_and_password"),
            email_verification=coerce(EmailVerificationOptions, email_verification,
                                      "email_verification"),
            session=coerce(SessionOptions, session, "session"),
            user=coerce(UserOptions, user, "user"),
            advanced=coerce(AdvancedOptions, advanced, "advanced"),
            rate_limit=coerce(RateLimitOptions, rate_limit, "rate_limit"),
            verification=coerce(VerificationOptions, verification, "verification"),
        )
        versions = self._load_versions(secrets)
        if versions and secret is None:
            # Versioned secrets alone: the current version signs cookies, as in Better Auth.
            self.secrets = SecretList([value for _, value in versions])
            legacy: tuple[str, ...] = ()
        else:
            self.secrets = self._load_secrets(secret)
            legacy = tuple(s.reveal() for s in self.secrets.all)
            if versions:
                self.secrets = SecretList([value for _, value in versions]
                                          + [s.reveal() for s in self.secrets.all])
        # What stored values are encrypted with (Better Auth's secretConfig): the current
        # version when versions are configured, else the signing secret; older ones decrypt.
        self.secret_config = SecretConfig(versions=versions, legacy=legacy)
        self.base_url, self.base_path = split_base_url(base_url, base_path, self.production)
        _check_base_path(self.base_path)
        check_trusted_origins(trusted_origins)
        self.disabled_paths = frozenset(disabled_paths)
        self.plugins = tuple(plugins)
        self.hooks = hooks or Hooks()

        self.cookies = AuthCookies(self.options.advanced, self.base_url)
        adv = self.options.advanced
        self.client_ip = ClientIP(adv.trusted_proxies, adv.ip_address_headers, adv.ipv6_subnet)
        fixed = trusted_origins if not callable(trusted_origins) else ()
        self.origins = OriginPolicy(
            base_url=self.base_url or "",
            trusted_origins=list(fixed),
            trusted_origins_fn=trusted_origins if callable(trusted_origins) else None,
        )
        hasher = self.options.email_and_password.password_hasher
        self.hasher: PasswordHasher = make_hasher(hasher) if isinstance(hasher, str) else hasher

        user_fields = [*self.options.user.additional_fields]
        session_fields = [*self.options.session.additional_fields]
        account_fields: list[FieldSpec] = []
        extra_tables: dict[str, Sequence[FieldSpec]] = {}
        for plugin in self.plugins:
            user_fields.extend(plugin.user_fields)
            # Identical fields from several plugins are one column (the second-factor mark).
            session_fields.extend(f for f in plugin.session_fields if f not in session_fields)
            account_fields.extend(plugin.account_fields)
            for name, specs in plugin.tables.items():
                if name in extra_tables:
                    raise ConfigError(f"two plugins define the table {name!r}")
                extra_tables[name] = specs
        self.user_fields = tuple(user_fields)
        self.session_fields = tuple(session_fields)
        self.tables: Tables = build_tables(
            user_fields=user_fields, session_fields=session_fields,
            account_fields=account_fields, extra_tables=extra_tables,
            indexes=[index for plugin in self.plugins for index in plugin.indexes],
            rate_limit_table=self.options.rate_limit.storage == "database",
        )
        self.storage = SQLStorage(database, self.tables)
        hook_groups: list[DatabaseHooks] = [p.database_hooks for p in self.plugins
                                            if p.database_hooks]
        if database_hooks:
            hook_groups.insert(0, database_hooks)
        # Services in dependency order, each given what it uses; plugins initialise last,
        # when everything they might reach (rate limiter, pipeline, api, CORS) exists.
        self.db = Database(self.storage, hook_groups, secondary_records(self))
        self.sessions = SessionService(
            options=self.options.session, cookies=self.cookies, secrets=self.secrets,
            now=self.now, db=self.db,
            cookie_cache=CookieCache(
                session_options=self.options.session, spec=self.cookies.session_data,
                secrets=self.secrets, now=self.now, user_fields=self.user_fields,
                session_fields=self.session_fields,
                max_cookie_header_size=self.options.advanced.max_cookie_header_size))

        self.registry = Registry(core_endpoints())
        for plugin in self.plugins:
            for ep in plugin.endpoints():
                self.registry.add(ep)

        from .api import API
        from .async_api import AsyncAPI
        from .pipeline import Pipeline

        registry = self.registry
        self.rate_limiter = RateLimiter(
            options=self.options.rate_limit, advanced=self.options.advanced,
            production=self.production,
            plugin_rules=[rule for plugin in self.plugins
                          for rule in getattr(plugin, "rate_limit", ())],
            storage=self.storage, secondary_storage=self.secondary_storage,
            is_routed=lambda method, path: registry.match(method, path) is not None,
            client_ip=self.client_ip, clock=self._clock)
        self.on_api_error = ErrorHook(on_api_error)
        self.pipeline = Pipeline(self)
        # Typed by the generated stub (authkit/api_types.pyi): one method per endpoint.
        api = API(self)
        self.api: TypedAPI = cast("TypedAPI", api)
        self.async_api = AsyncAPI(api)  # the same endpoints, awaitable (worker thread)
        cors_options = CORS.options_of(cors)
        self.cors = None if cors_options is None else CORS(
            None, cors_options, base_path=self.base_path,
            is_trusted_origin=self.origins.is_trusted_origin)
        for plugin in self.plugins:
            plugin.init(self)
        from .downgrades import warn_downgrades

        warn_downgrades(self)

    # -- configuration helpers -----------------------------------------------------------
    def _load_versions(self, secrets: str | Sequence[tuple[int, str]] | None
                       ) -> tuple[tuple[int, str], ...]:
        if secrets is None:
            return ()
        try:
            versions = parse_versioned(secrets)
        except ValueError as exc:
            raise ConfigError(f"secrets: {exc}") from None
        if not versions:
            raise ConfigError("secrets: give at least one (version, secret) pair, newest first")
        for _, value in versions:
            if self.production and len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"a secret is shorter than {MIN_SECRET_LENGTH} characters; use "
                    "`authkit secret` to generate a strong one"
                )
        return versions

    def _load_secrets(self, secret: str | Sequence[str] | None) -> SecretList:
        if secret is None or secret == "" or secret == []:
            if self.production:
                raise ConfigError(
                    "no secret configured in production: pass AuthKit(secret=...) or set "
                    "AUTHKIT_SECRET (generate one with `authkit secret`)"
                )
            warnings.warn(
                "authkit is using the built-in development secret; anyone can forge "
                "sessions. Set AUTHKIT_SECRET or AuthKit(secret=...) before deploying.",
                RuntimeWarning, stacklevel=3,
            )
            secret = DEFAULT_SECRET
        values = [secret] if isinstance(secret, str) else list(secret)
        for value in values:
            if not isinstance(value, str) or not value:
                raise ConfigError("every secret must be a non-empty string")
            if self.production and len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    f"a secret is shorter than {MIN_SECRET_LENGTH} characters; use "
                    "`authkit secret` to generate a strong one"
                )
        if not self.production and secret is not DEFAULT_SECRET:
            warn_weak_secrets(values)
        return SecretList(values)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> AuthKit:
        """An ``AuthKit`` configured from the ``AUTHKIT_*`` variables of ``env`` (default
        ``os.environ``), as ``authkit serve`` runs it; the one place the environment is read.

        ``overrides`` are ``AuthKit`` keyword arguments laid over the environment's: option
        groups given as dicts are merged key by key, anything else replaces the value.
        """
        from .settings import from_env, overlay

        return cls(**overlay(from_env(env), overrides))

    @property
    def clock(self) -> Callable[[], float]:
        """The configured clock (``() -> epoch seconds``), for services that keep time."""
        return self._clock

    def now(self) -> datetime:
        """The current time (UTC, millisecond precision, from the configured clock)."""
        return to_ms(datetime.fromtimestamp(self._clock(), UTC))

    def base_url_for(self, request: Request | None) -> str:
        """Origin + base path; inferred from the request only when no base_url is set.

        The inferred value is used for that request only and never stored
        (docs/security.md#origins-and-csrf).
        """
        origin = self.base_url
        if origin is None:
            origin = request.origin if request is not None else "http://localhost:3000"
        return origin.rstrip("/") + self.base_path

    @property
    def metadata(self) -> MetaData:
        """SQLAlchemy metadata of every table, for your own Alembic migrations."""
        return self.tables.metadata

    def migrate(self) -> list[str]:
        """Create missing tables, columns and indexes; idempotent."""
        return self.storage.migrate()

    def health(self) -> dict[str, Any]:
        """Database (and secondary storage) status and latency; never reads any user."""
        from .health import health

        return health(self)

    def handle(self, request: Request) -> Response:
        """Serve one HTTP request below ``base_path``."""
        if self.cors is not None:
            return self.cors.handle(request, self.pipeline.handle)  # preflight before routing
        return self.pipeline.handle(request)

    def wsgi_app(self) -> WSGIApplication:
        """The auth handler as a WSGI application."""
        from .wsgi import WSGIHandler

        return WSGIHandler(self)

    def asgi_app(self) -> ASGIApp:
        """The auth handler as an ASGI application."""
        from .asgi import ASGIHandler

        return ASGIHandler(self)

    def __repr__(self) -> str:
        return f"AuthKit(base_url={self.base_url!r}, base_path={self.base_path!r})"


class _Options:
    """The validated option groups."""

    def __init__(self, *, email_and_password: EmailAndPasswordOptions,
                 email_verification: EmailVerificationOptions, session: SessionOptions,
                 user: UserOptions, advanced: AdvancedOptions,
                 rate_limit: RateLimitOptions,
                 verification: VerificationOptions) -> None:
        self.email_and_password = email_and_password
        self.email_verification = email_verification
        self.session = session
        self.user = user
        self.advanced = advanced
        self.rate_limit = rate_limit
        self.verification = verification


def _check_base_path(value: str) -> str:
    if not value.startswith("/") or value.endswith("/") or "//" in value:
        raise ConfigError(
            f"base_path {value!r} must start with '/' and not end with '/', e.g. '/api/auth'"
        )
    return value


