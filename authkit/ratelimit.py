"""Rate limiting (docs/wire-compatibility.md#rate-limits): Better Auth's rules, keys, algorithm and
429 answer.

Each HTTP request below the base path that reaches an endpoint is counted against the bucket
``<client ip>|<path>`` before its body is parsed (docs/security.md#rate-limiting): the global rule
(10 s / 100), the
stricter built-in rules for credential paths, plugin rules, then ``custom_rules``, each
overriding the one before. In-process ``auth.api`` calls are never limited.

The client IP is the socket peer unless the peer is a configured trusted proxy
(docs/security.md#decisions, docs/security.md#rate-limiting); IPv6 addresses count per /64
(docs/security.md#rate-limiting) and are written the way
Better Auth writes them, so a Node server sharing the store uses the same keys. A request
with no usable address is counted in one shared bucket, never left unlimited.

Stores: ``memory`` (one process, bounded), ``database`` (the ``rateLimit`` table, one
conditional UPDATE per request so concurrent requests cannot both take the last slot,
docs/security.md#rate-limiting), ``secondary-storage`` (an atomic ``increment`` with a TTL), or a
custom object.
When the store is unreachable, credential paths fail closed (503) and the others fail open
with a logged warning (docs/security.md#outages): a Redis outage must neither open brute force nor
take down
reads.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .config import AdvancedOptions, RateLimitOptions
from .errors import ConfigError
from .http import Request, Response
from .ip import ClientIP, IPAddress
from .observability import log_event
from .storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from .core import AuthKit
    from .storage.secondary.store import SecondaryStorage
    from .storage.sql import SQLStorage

log = logging.getLogger("authkit.ratelimit")

__all__ = [
    "Decision",
    "PluginRateLimit",
    "RateLimitStore",
    "RateLimiter",
    "Rule",
    "rate_limit_key",
]

NO_IP = "no-trusted-ip"
MEMORY_MAX_KEYS = 100_000
TOO_MANY_BODY = b'{"message":"Too many requests. Please try again later."}'


@dataclass(frozen=True)
class Rule:
    """At most ``max`` requests per ``window`` seconds."""

    window: int
    max: int

    def __post_init__(self) -> None:
        for name in ("window", "max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"a rate-limit rule's {name} must be a positive whole "
                                  f"number, not {value!r}")


@dataclass(frozen=True)
class PluginRateLimit:
    """A plugin's rule (Better Auth's ``rateLimit: [{pathMatcher, window, max}]``)."""

    path_matcher: Callable[[str], bool]
    window: int
    max: int


@dataclass(frozen=True)
class Decision:
    """A store's answer; ``retry_after`` in whole seconds when refused."""

    allowed: bool
    retry_after: int | None = None


class RateLimitStore(Protocol):
    """A rate-limit backend: count one request against ``key`` and decide."""

    def consume(self, key: str, rule: Rule, now_ms: int) -> Decision:
        """Count the request (if allowed) and say whether it may proceed."""


def _retry_after(last_request_ms: int, window: int, now_ms: int) -> int:
    return max(1, math.ceil((last_request_ms + window * 1000 - now_ms) / 1000))


# -- built-in rules ------------------------------------------------------------------------

_STRICT_PREFIXES = ("/sign-in", "/sign-up", "/change-password", "/change-email")
_SLOW_EXACT = frozenset({"/request-password-reset", "/send-verification-email",
                         "/email-otp/send-verification-otp", "/email-otp/request-password-reset"})
# Paths where a missing limit means unbounded password or token guessing: when the store is
# down these answer 503 instead of running unlimited (docs/security.md#decisions).
_CREDENTIAL_PREFIXES = (*_STRICT_PREFIXES, "/forget-password", "/reset-password",
                        "/request-password-reset", "/send-verification-email", "/verify-email",
                        "/verify-password", "/email-otp", "/two-factor", "/magic-link",
                        "/phone-number", "/delete-user", "/admin/set-user-password")


def builtin_rule(path: str) -> Rule | None:
    """Better Auth's stricter rules for the credential paths."""
    if path.startswith(_STRICT_PREFIXES):
        return Rule(10, 3)
    if path in _SLOW_EXACT or path.startswith("/forget-password"):
        return Rule(60, 3)
    return None


def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A ``custom_rules`` key: ``*`` within one path segment, ``**`` across segments."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "/*$")


def rate_limit_key(addr: IPAddress | None, path: str, ipv6_subnet: int = 64) -> str:
    """``<ip>|<path>`` as Better Auth writes it: IPv6 masked to the subnet and fully
    expanded (``2001:0db8:0000:…``), IPv4 as dotted quad, ``no-trusted-ip`` when unknown."""
    if addr is None:
        ip = NO_IP
    elif isinstance(addr, ipaddress.IPv6Address):
        net = ipaddress.IPv6Network((addr, ipv6_subnet), strict=False)
        ip = net.network_address.exploded
    else:
        ip = str(addr)
    return f"{ip}|{path}"


# -- stores --------------------------------------------------------------------------------

class MemoryStore:
    """Per-process counters, at most ``max_keys`` (the least recently used go first)."""

    def __init__(self, max_keys: int = MEMORY_MAX_KEYS) -> None:
        self._max = max_keys
        self._lock = threading.Lock()
        # key -> (count, lastRequest ms)
        self._data: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def consume(self, key: str, rule: Rule, now_ms: int) -> Decision:
        """Better Auth's algorithm, under a lock so threads cannot both take the last slot."""
        window_ms = rule.window * 1000
        with self._lock:
            entry = self._data.get(key)
            if entry is None or now_ms - entry[1] >= window_ms:
                self._data[key] = (1, now_ms)
            elif entry[0] >= rule.max:
                # Refused requests do not move lastRequest: the wait is from the last success.
                return Decision(False, _retry_after(entry[1], rule.window, now_ms))
            else:
                self._data[key] = (entry[0] + 1, now_ms)
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)
        return Decision(True)

    def __len__(self) -> int:
        return len(self._data)


class DatabaseStore:
    """The ``rateLimit`` table; each step is one atomic conditional statement."""

    def __init__(self, storage: SQLStorage, longest_window: int) -> None:
        self._storage = storage
        self._longest_ms = longest_window * 1000

    def consume(self, key: str, rule: Rule, now_ms: int) -> Decision:
        """Count through ``SQLStorage.consume_rate_limit``."""
        allowed, last = self._storage.consume_rate_limit(
            key, window_ms=rule.window * 1000, max_count=rule.max, now_ms=now_ms,
            prune_before_ms=now_ms - self._longest_ms)
        if allowed:
            return Decision(True)
        return Decision(False, _retry_after(last, rule.window, now_ms))


class SecondaryStore:
    """``increment(key, ttl=window)``: allowed while the count is at most ``max``.

    The counter lives for one window from its first request (a fixed window, as Better
    Auth's secondary-storage limiter), so the retry-after is the whole window.
    """

    def __init__(self, storage: SecondaryStorage) -> None:
        self._storage = storage

    def consume(self, key: str, rule: Rule, now_ms: int) -> Decision:
        """Count through the store's atomic ``increment``."""
        if self._storage.increment(key, rule.window) <= rule.max:
            return Decision(True)
        return Decision(False, rule.window)


class CustomStore:
    """A user object with ``consume(key, rule)`` → ``Decision`` or ``{allowed, retry_after}``."""

    def __init__(self, impl: Any) -> None:
        if not callable(getattr(impl, "consume", None)):
            raise ConfigError("rate_limit.custom_storage must have a consume(key, rule) method")
        self._impl = impl

    def consume(self, key: str, rule: Rule, now_ms: int) -> Decision:
        """Delegate; a mapping answer is read with Better Auth's or snake_case keys."""
        out = self._impl.consume(key, rule)
        if isinstance(out, Decision):
            return out
        if isinstance(out, Mapping):
            retry = out.get("retry_after", out.get("retryAfter"))
            return Decision(bool(out.get("allowed")), None if retry is None else int(retry))
        raise TypeError("rate_limit.custom_storage.consume must return a Decision or a "
                        f"mapping with 'allowed', not {type(out).__name__}")


# -- the limiter ---------------------------------------------------------------------------

CustomRule = Any  # Rule | {"window", "max"} | False | callable(request, Rule) -> one of those


def _as_rule(value: Any, label: str) -> Rule:
    if isinstance(value, Rule):
        return value
    if isinstance(value, Mapping) and set(value) == {"window", "max"}:
        return Rule(int(value["window"]), int(value["max"]))
    raise ConfigError(f"{label} must be {{'window': seconds, 'max': count}}, False or a "
                      f"callable, not {value!r}")


class RateLimiter:
    """The limiter of one ``AuthKit``, configured once."""

    def __init__(self, auth: AuthKit | None = None, *,
                 options: RateLimitOptions | None = None,
                 advanced: AdvancedOptions | None = None, production: bool = False,
                 plugin_rules: Sequence[PluginRateLimit] = (),
                 storage: SQLStorage | None = None,
                 secondary_storage: SecondaryStorage | None = None,
                 is_routed: Callable[[str, str], bool] = lambda method, path: True,
                 client_ip: ClientIP | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """``RateLimiter(options=..., advanced=..., client_ip=..., clock=...)`` with what it
        uses (``is_routed(method, path)``: is there an endpoint there?); ``RateLimiter(auth)``
        takes them from an ``AuthKit``."""
        if auth is not None:
            options, advanced, production = (
                auth.options.rate_limit, auth.options.advanced, auth.production)
            plugin_rules = [rule for plugin in auth.plugins
                            for rule in getattr(plugin, "rate_limit", ())]
            storage, secondary_storage = auth.storage, auth.secondary_storage
            registry = auth.registry
            is_routed = lambda method, path: registry.match(method, path) is not None
            client_ip, clock = auth.client_ip, auth.clock
        opts = options if options is not None else RateLimitOptions()
        advanced = advanced if advanced is not None else AdvancedOptions()
        self._advanced = advanced
        self._is_routed = is_routed
        self._client_ip = client_ip or ClientIP(advanced.trusted_proxies,
                                                advanced.ip_address_headers,
                                                advanced.ipv6_subnet)
        self._clock = clock
        self.enabled = production if opts.enabled is None else bool(opts.enabled)
        self.global_rule = Rule(opts.window, opts.max)
        self._plugin_rules: list[PluginRateLimit] = list(plugin_rules)
        for plugin_rule in self._plugin_rules:
            Rule(plugin_rule.window, plugin_rule.max)  # a bad window or max fails here, once
        self._custom: list[tuple[str, re.Pattern[str] | None, Any]] = []
        for path, value in opts.custom_rules.items():
            label = f"rate_limit.custom_rules[{path!r}]"
            if value is not False and not callable(value):
                value = _as_rule(value, label)
            self._custom.append((path, glob_pattern(path) if "*" in path else None, value))
        windows = [self.global_rule.window, 10, 60, *(r.window for r in self._plugin_rules),
                   *(v.window for _, _, v in self._custom if isinstance(v, Rule))]
        self.store = self._make_store(opts, storage, secondary_storage, max(windows))
        self._ipv6_subnet = advanced.ipv6_subnet
        self._no_ip_warned = False

    @staticmethod
    def _make_store(opts: RateLimitOptions, sql: SQLStorage | None,
                    secondary: SecondaryStorage | None, longest_window: int) -> RateLimitStore:
        if opts.custom_storage is not None:
            return CustomStore(opts.custom_storage)
        storage = opts.storage or ("secondary-storage" if secondary is not None else "memory")
        if storage == "memory":
            return MemoryStore()
        if storage == "database":
            if sql is None:
                raise ConfigError("rate_limit.storage='database' needs a database")
            return DatabaseStore(sql, longest_window)
        if secondary is None:
            raise ConfigError("rate_limit.storage='secondary-storage' needs "
                              "AuthKit(secondary_storage=...)")
        return SecondaryStore(secondary)

    def rule_for(self, request: Request, path: str) -> Rule | None:
        """The rule for ``path`` (``None``: not limited), by Better Auth's precedence."""
        rule = builtin_rule(path) or self.global_rule
        for plugin_rule in self._plugin_rules:
            if plugin_rule.path_matcher(path):
                rule = Rule(plugin_rule.window, plugin_rule.max)
                break
        for key, pattern, value in self._custom:
            if not (pattern.match(path) if pattern is not None else key == path):
                continue
            if callable(value):
                value = value(request, rule)
                if value is None:
                    return rule
                if value is not False:
                    value = _as_rule(value, f"rate_limit.custom_rules[{key!r}] result")
            return None if value is False else value
        return rule

    def is_credential_path(self, path: str) -> bool:
        """Paths that fail closed when the store is down."""
        return path.startswith(_CREDENTIAL_PREFIXES) or any(
            r.path_matcher(path) for r in self._plugin_rules)

    def check(self, request: Request, path: str) -> Response | None:
        """``None`` to proceed, or the 429 response. ``path`` is below the base path."""
        if not self.enabled:
            return None
        if not self._is_routed(request.method, path):
            # Unrouted paths answer a bodiless 404 anyway; counting them would let one client
            # churn the memory store with junk paths until its own buckets are evicted.
            return None
        addr = self._client_ip.resolve(request.client, request.headers)
        if addr is None:
            if self._advanced.disable_ip_tracking:
                return None
            if not self._no_ip_warned:
                self._no_ip_warned = True
                log.warning("rate limiting found no client IP; every such request shares one "
                            "bucket per path (check the server's peer address or "
                            "advanced.trusted_proxies)")
        rule = self.rule_for(request, path)
        if rule is None:
            return None
        key = rate_limit_key(addr, path, self._ipv6_subnet)
        now_ms = int(self._clock() * 1000)
        try:
            decision = self.store.consume(key, rule, now_ms)
        except StorageUnavailable:
            if self.is_credential_path(path):
                raise  # 503: no unlimited guessing while the store is down
            log.warning("rate-limit store unavailable; allowing %s %s unlimited",
                        request.method, path)
            return None
        if decision.allowed:
            return None
        retry = decision.retry_after if decision.retry_after is not None else rule.window
        # The shape of every security event (record.authkit, cleaned values), on the
        # ``authkit`` logger; the user agent is attacker-controlled, log_event escapes it.
        log_event(None, "rate_limit.hit", ip=str(addr) if addr is not None else None,
                  user_agent=request.headers.get("user-agent") or "", path=path,
                  retry_after=retry)
        return too_many_requests(retry)


def too_many_requests(retry_after: int) -> Response:
    """Better Auth's 429: message-only body and ``X-Retry-After`` in seconds."""
    return Response(429, [("Content-Type", "application/json"),
                          ("X-Retry-After", str(retry_after))], TOO_MANY_BODY)

