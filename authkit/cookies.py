"""Cookie names, the Cookie header parser, and Set-Cookie rendering
(docs/wire-compatibility.md#cookie-names, docs/wire-compatibility.md#signed-cookies).

The parser is linear and size-capped on purpose: CPython 3.11.7's ``http.cookies`` still has
the quadratic unquoting of CVE-2024-7592, so authkit never uses ``SimpleCookie``
(docs/security.md#cookies).
When a name repeats, the first occurrence wins, on WSGI and ASGI alike: browsers send the
most specific cookie first (RFC 6265 §5.4), so first-wins reads the one the site set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .config import AdvancedOptions
from .errors import ConfigError

# encodeURIComponent leaves exactly these unescaped besides alphanumerics
# (docs/wire-compatibility.md#signed-cookies).
_URI_COMPONENT_SAFE = "-_.!~*'()"

COOKIE_KEYS = ("session_token", "session_data", "dont_remember", "admin_session")


def encode_value(value: str) -> str:
    """Percent-encode as JavaScript's ``encodeURIComponent``."""
    return quote(value, safe=_URI_COMPONENT_SAFE)


def parse_cookie_header(header: str | None) -> dict[str, str]:
    """``name → raw value`` from a Cookie header; first occurrence of a name wins.

    Nameless pairs (``=__Secure-x=v``, CVE-2023-23934) and pairs without ``=`` are dropped, so
    they can never be read as a prefixed cookie. Values stay percent-encoded.
    """
    out: dict[str, str] = {}
    if not header:
        return out
    for part in header.split(";"):
        eq = part.find("=")
        if eq <= 0:
            continue
        name = part[:eq].strip()
        if not name or name in out:
            continue
        value = part[eq + 1:].strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        out[name] = value
    return out


def decode_value(raw: str) -> str:
    """Percent-decode a cookie value (invalid escapes stay as they are)."""
    return unquote(raw) if "%" in raw else raw


@dataclass(frozen=True)
class CookieSpec:
    """One auth cookie: its name and pre-rendered attribute suffix."""

    name: str
    attrs: Mapping[str, Any]

    def render(self, value: str, *, max_age: int | None) -> str:
        """The Set-Cookie value; ``max_age=None`` makes a browser-session cookie."""
        return serialize(self.name, encode_value(value), max_age=max_age, attrs=self.attrs)

    def render_expired(self) -> str:
        """The Set-Cookie value that deletes this cookie."""
        return serialize(self.name, "", max_age=0, attrs=self.attrs)


def serialize(name: str, value: str, *, max_age: int | None, attrs: Mapping[str, Any]) -> str:
    """Render ``name=value`` with attributes in better-call's order."""
    parts = [f"{name}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if attrs.get("domain"):
        parts.append(f"Domain={attrs['domain']}")
    if attrs.get("path"):
        parts.append(f"Path={attrs['path']}")
    if attrs.get("http_only"):
        parts.append("HttpOnly")
    if attrs.get("secure"):
        parts.append("Secure")
    same_site = attrs.get("same_site")
    if same_site:
        parts.append(f"SameSite={str(same_site).capitalize()}")
    if attrs.get("partitioned"):
        parts.append("Partitioned")
    return "; ".join(parts)


_ATTR_KEYS = {"domain", "path", "http_only", "secure", "same_site", "partitioned"}


class AuthCookies:
    """The auth cookie set of one configuration, computed once."""

    def __init__(self, advanced: AdvancedOptions, base_url: str | None) -> None:
        secure = advanced.use_secure_cookies
        if secure is None:
            secure = bool(base_url and base_url.lower().startswith("https://"))
        self.secure = secure
        base: dict[str, Any] = {"path": "/", "http_only": True, "same_site": "lax"}
        cross = advanced.cross_sub_domain_cookies
        if cross.enabled:
            domain = cross.domain or (urlsplit(base_url).hostname if base_url else None)
            if not domain:
                raise ConfigError(
                    "advanced.cross_sub_domain_cookies is enabled but no domain is known: set "
                    "cross_sub_domain_cookies.domain or base_url"
                )
            base["domain"] = domain
        base.update(_attrs(advanced.default_cookie_attributes, "default_cookie_attributes"))
        self._base = base
        self._advanced = advanced
        self._specs: dict[str, CookieSpec] = {}
        for key in COOKIE_KEYS:
            self._specs[key] = self._build(key)

    def _build(self, key: str) -> CookieSpec:
        advanced, secure = self._advanced, self.secure
        custom = advanced.cookies.get(key, {})
        name = custom.get("name") or f"{advanced.cookie_prefix}.{key}"
        attrs = dict(self._base)
        attrs.update(_attrs(custom.get("attributes", {}), f"cookies[{key!r}].attributes"))
        if secure:
            attrs["secure"] = True
        # Browsers drop SameSite=None and Partitioned cookies that are not Secure.
        if str(attrs.get("same_site", "")).lower() == "none" or attrs.get("partitioned"):
            attrs["secure"] = True
        if str(name).startswith("__Host-"):
            # __Host- requires Secure, Path=/ and no Domain, or browsers refuse the cookie.
            attrs.update(secure=True, path="/")
            attrs.pop("domain", None)
        elif secure:
            name = f"__Secure-{name}"
        return CookieSpec(str(name), attrs)

    def __getitem__(self, key: str) -> CookieSpec:
        """The spec of any cookie key: plugins' cookies (``two_factor``, ...) get the same
        prefix, attributes and ``advanced.cookies`` overrides as the core ones."""
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = self._build(key)
        return spec

    @property
    def session_token(self) -> CookieSpec:
        """The signed session token cookie."""
        return self._specs["session_token"]

    @property
    def session_data(self) -> CookieSpec:
        """The cookie-cache cookie."""
        return self._specs["session_data"]

    @property
    def dont_remember(self) -> CookieSpec:
        """The signed ``rememberMe: false`` marker."""
        return self._specs["dont_remember"]

    @property
    def admin_session(self) -> CookieSpec:
        """The admin's session while impersonating."""
        return self._specs["admin_session"]


def _attrs(values: Mapping[str, Any], label: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        snake = {"httpOnly": "http_only", "sameSite": "same_site", "httponly": "http_only",
                 "samesite": "same_site"}.get(key, key)
        if snake not in _ATTR_KEYS:
            raise ConfigError(
                f"advanced.{label} has unknown attribute {key!r}; use one of "
                f"{', '.join(sorted(_ATTR_KEYS))}"
            )
        out[snake] = value
    return out
