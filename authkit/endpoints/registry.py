"""The endpoint table: one ``Endpoint`` per route, from which both the HTTP router and
``auth.api`` are built, so the two cannot drift (STYLE habit 4)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from ..errors import ConfigError

if TYPE_CHECKING:
    from .context import Context

Handler = Callable[["Context"], Any]

# Where an endpoint may read the caller's session from (the freshness rule, README "Security
# notes"). "store": the session row is read on every call, so a session revoked, signed out,
# ended by a password reset, or a user demoted or banned, is refused at once. "cache": the
# signed ``session_data`` cookie may answer within its window, which only a plain "who is
# signed in" read may accept. "store" is the default, so an endpoint (a plugin's included)
# that does not say otherwise can never grant from the cookie cache what the store refuses.
Freshness = Literal["cache", "store"]
FRESHNESS_LEVELS: tuple[Freshness, ...] = ("cache", "store")


@dataclass(frozen=True)
class Endpoint:
    """One endpoint.

    ``name`` is the snake_case ``auth.api`` method; ``path`` is below the base path and may
    hold ``:param`` segments; ``path=None`` makes a server-only endpoint (no URL).
    """

    name: str
    path: str | None
    method: str
    handler: Handler
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # Form-urlencoded bodies are accepted only here (sign-in and sign-up,
    # docs/wire-compatibility.md#request-bodies).
    allow_form: bool = False
    # The form-CSRF rules of docs/wire-compatibility.md#origin-check B (sign-in, sign-up).
    form_csrf: bool = False
    # Better Auth's requireHeaders: auth.api callers must pass headers.
    require_headers: bool = False
    summary: str = ""
    error_codes: tuple[str, ...] = ()
    plugin: str | None = None
    # Served even when the Cookie header is over advanced.max_cookie_header_size (sign-out:
    # a browser must always be able to drop its cookies, whatever it holds).
    any_cookie_size: bool = False
    # See ``Freshness``: only endpoints that merely report the caller's own session say "cache".
    freshness: Freshness = "store"
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The compiled path matcher (``:param`` → one segment)."""
        return self._pattern


def endpoint(name: str, path: str | None, method: str, handler: Handler,
             **kwargs: Any) -> Endpoint:
    """Build an ``Endpoint`` with its path pattern compiled once."""
    pattern = None
    if kwargs.get("freshness", "store") not in FRESHNESS_LEVELS:
        raise ConfigError(f"endpoint {name}: freshness must be one of {FRESHNESS_LEVELS}")
    if path is not None:
        if not path.startswith("/"):
            raise ConfigError(f"endpoint {name}: path {path!r} must start with '/'")
        regex = "".join(
            f"(?P<{seg[1:]}>[^/]+)" if seg.startswith(":") else re.escape(seg)
            for seg in re.split(r"(:[A-Za-z_][A-Za-z0-9_]*)", path)
            if seg
        )
        pattern = re.compile(f"^{regex}$")
    return Endpoint(name, path, method.upper(), handler, _pattern=pattern, **kwargs)


class Registry:
    """Endpoints by name and by route; conflicts are refused at construction."""

    def __init__(self, endpoints: Iterable[Endpoint] = ()) -> None:
        self._by_name: dict[str, Endpoint] = {}
        self._static: dict[tuple[str, str], Endpoint] = {}
        self._dynamic: list[Endpoint] = []
        for ep in endpoints:
            self.add(ep)

    def add(self, ep: Endpoint) -> None:
        """Register one endpoint; a duplicate name or route is a ConfigError."""
        if ep.name in self._by_name:
            raise ConfigError(f"two endpoints are named {ep.name!r}; rename one of them")
        if ep.path is not None:
            for other in self._by_name.values():
                if other.path == ep.path and other.method == ep.method:
                    raise ConfigError(
                        f"{ep.method} {ep.path} is defined by both {other.name!r} "
                        f"({other.plugin or 'core'}) and {ep.name!r} ({ep.plugin or 'core'})"
                    )
            if ":" in ep.path:
                self._dynamic.append(ep)
            else:
                self._static[(ep.method, ep.path)] = ep
        self._by_name[ep.name] = ep

    def get(self, name: str) -> Endpoint | None:
        """The endpoint of an ``auth.api`` name."""
        return self._by_name.get(name)

    def names(self) -> list[str]:
        """Every endpoint name."""
        return list(self._by_name)

    def __iter__(self) -> Any:
        return iter(self._by_name.values())

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        """The endpoint and path params for a request, or ``None`` (404, no 405)."""
        ep = self._static.get((method, path))
        if ep is not None:
            return ep, {}
        for ep in self._dynamic:
            if ep.method != method or ep.pattern is None:
                continue
            m = ep.pattern.match(path)
            if m:
                return ep, m.groupdict()
        return None
