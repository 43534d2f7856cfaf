"""Trusted origins, callback-URL validation and the CSRF decisions
(docs/wire-compatibility.md#origin-check, docs/wire-compatibility.md#verify-email,
docs/wire-compatibility.md#reset-password-link).

Pure functions over the sans-IO ``Request``; the pipeline calls ``check_csrf`` and
``check_callback_urls`` for POST-like requests, GET endpoints call ``check_callback_url``.

Matching follows Better Auth 1.7.25's ``matchesOriginPattern``:

* ``https://app.example.com`` (exact): equals the URL's origin (scheme, host, port).
* ``https://*.tenant.example.com`` (wildcard with a scheme): a glob over the whole origin.
  ``*`` crosses dots, so ``https://a.b.tenant.example.com`` matches: the reference server
  answers 200 to that Origin (tests/vectors/origin_decisions.json,
  docs/security.md#origins-and-csrf).
* ``*.example.com`` (wildcard without a scheme): a glob over the URL's ``host[:port]``.
* A wildcard whose host part is only digits, dots and wildcards (``192.168.*.*``) admits
  IPv4 addresses only.
* ``myapp://``, ``myapp://host``, ``exp://host/path`` (custom schemes): same scheme, same
  authority when the pattern has one, and the path equal to or below the pattern's path after
  percent-decoding and dot-segment resolution (no ``myapp://host/cb/../evil``).
* Relative callback values: a single leading ``/``, no ``\\``, no ``%2F``/``%5C`` in the path,
  no control characters. Never accepted as an Origin/Referer.

Where a browser and a server-side parser could read one string as two different hosts
(CVE-2021-32618, CVE-2023-49438, Django CVE-2016-2512, Flask-Security GHSA-w2j7-f3c6-g8cw),
authkit refuses the string instead of picking a reading. These are documented deviations:
Better Auth accepts them because the WHATWG parser it uses maps them onto a trusted origin.

* any backslash (``https://app.example.com\\@evil.com``: WHATWG reads host
  ``app.example.com``, ``urllib`` reads ``evil.com``; docs/security.md#redirects requires 403);
* userinfo (``user:pass@``), percent-encoded or non-ASCII hosts, non-canonical IPv4 forms
  (``0x7f.1``), and ``http(s)`` URLs not written ``scheme://host`` (``https:app.example.com``,
  ``https:///app.example.com``);
* control characters, U+2028/U+2029, or a leading/trailing space anywhere (WHATWG strips
  or drops them, other consumers do not);
* the script-capable schemes ``javascript:``, ``vbscript:``, ``data:`` and ``file:`` even where a
  scheme-less wildcard would match their host (``javascript://x.example.com/%0aalert(1)``).

Every other string gets Better Auth's decision; the differential table in
``tests/vectors/origin_decisions.json`` pins both the agreements and these deviations.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import AddressValueError, IPv6Address
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from .errors import APIError, ConfigError
from .http import Request
from .js import truthy

__all__ = [
    "CALLBACK_FIELDS",
    "OriginPolicy",
    "check_callback_url",
    "check_callback_urls",
    "check_csrf",
]

logger = logging.getLogger("authkit.origins")

# (body field, error code, label in the "Invalid <label>: expected a string" message), in the
# order Better Auth's origin middleware checks them. redirectTo's label is "redirectURL".
CALLBACK_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("callbackURL", "INVALID_CALLBACK_URL", "callbackURL"),
    ("redirectTo", "INVALID_REDIRECT_URL", "redirectURL"),
    ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL", "errorCallbackURL"),
    ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL", "newUserCallbackURL"),
)

# C0 and C1 controls (Better Auth's CONTROL_CHARACTER_PATTERN); the JS line terminators, which
# a JS glob's "." does not cross (refusing them keeps _glob exact); the backslash, a "/" to
# browsers in http(s) URLs and an ordinary character to RFC 3986 parsers.
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\\\\]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):", re.ASCII)
# Navigating to these runs code or reads local files: never a redirect target.
_DANGEROUS_SCHEMES = frozenset({"javascript", "vbscript", "data", "file"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ENCODED_SEPARATOR = re.compile(r"%2f|%5c", re.IGNORECASE)
_REG_NAME = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?", re.ASCII)
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*", re.ASCII)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}", re.ASCII)
_IPV4_WILDCARD_HOST = re.compile(r"(?=.*[0-9])[0-9*?.]+", re.ASCII)
_PORT = re.compile(r"[0-9]*", re.ASCII)
_CUSTOM_AUTHORITY = re.compile(r"(?:[a-z0-9._\-]+(?::[0-9]*)?)?", re.ASCII)
_GLOB_AUTHORITY = re.compile(r"[a-z0-9._\-*?:\[\]]+", re.ASCII)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


# -- URL analysis --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    """An absolute URL reduced to what the matchers compare."""

    scheme: str
    host: str  # WHATWG ``URL.host``: host[:port], default port dropped; "" when none
    origin: str | None  # ``scheme://host[:port]`` for http(s), else None
    path: str  # custom schemes: the decoded, dot-resolved path ("" for none or "/")


def _is_safe_relative(value: str) -> bool:
    """Better Auth's ``isSafeRelativeURL``: a root-relative path no parser reads as a host."""
    if not value.startswith("/") or value.startswith("//") or _UNSAFE_CHARS.search(value):
        return False
    path = re.split(r"[?#]", value, maxsplit=1)[0]
    return not _ENCODED_SEPARATOR.search(path)


def _analyse(url: str) -> _Target | None:
    """Parse an absolute URL, or None when authkit will not trust it whatever the patterns."""
    if not url or _UNSAFE_CHARS.search(url) or url[0] == " " or url[-1] == " ":
        return None
    m = _SCHEME.match(url)
    if m is None:
        return None
    scheme = m.group(1).lower()
    if scheme in _DANGEROUS_SCHEMES:
        return None
    rest = url[m.end():]
    if scheme in _DEFAULT_PORTS:
        return _analyse_http(url, scheme, rest)
    return _analyse_custom(scheme, rest)


def _analyse_http(url: str, scheme: str, rest: str) -> _Target | None:
    # "scheme://" literally: WHATWG also reads "https:host" and "https:///host" (empty
    # netloc below) as that host, RFC 3986 parsers read paths; one reading only.
    if not rest.startswith("//"):
        return None
    netloc = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    try:
        # Cross-check with urllib: after the refusals in _analyse both must split alike.
        if urlsplit(url).netloc != netloc:
            return None
    except ValueError:
        return None
    hostport = _host_and_port(netloc, _DEFAULT_PORTS[scheme])
    if hostport is None:
        return None
    return _Target(scheme, hostport, f"{scheme}://{hostport}", "")


def _host_and_port(netloc: str, default_port: int) -> str | None:
    """Canonical ``host[:port]`` of an http(s) authority, None for anything ambiguous."""
    if "@" in netloc:
        # Userinfo ("https://app.example.com@evil.com"); the host grammar refuses "@" as well,
        # this says why.
        return None
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return None
        host = _ipv6(netloc[1:end])
        after = netloc[end + 1:]
        if after and not after.startswith(":"):
            return None
        port_text = after[1:] if after else ""
    else:
        raw_host, _, port_text = netloc.partition(":")
        host = _domain(raw_host)
    if host is None or not _PORT.fullmatch(port_text):
        return None
    if not port_text:
        return host
    port = int(port_text)
    if port > 65535:
        return None
    return host if port == default_port else f"{host}:{port}"


def _domain(raw: str) -> str | None:
    # ASCII letters, digits, "-", "_" and dots only: no percent-decoding, no IDNA mapping, so
    # the string is the host every parser sees (browsers send Origins in this form anyway).
    host = raw.lower()
    if not host.isascii() or not _REG_NAME.fullmatch(host):
        return None
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # WHATWG reads a host ending in a number as IPv4 ("0x7f.1" is 127.0.0.1);
        # only the canonical dotted quad means the same thing everywhere.
        return host if _IPV4.fullmatch(host) else None
    for label in labels:
        # Node refuses a host with an undecodable punycode label; so does authkit.
        if label.startswith("xn--"):
            try:
                label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                return None
    return host


def _ipv6(raw: str) -> str | None:
    if "%" in raw:  # zone ids are not part of URLs
        return None
    try:
        return f"[{IPv6Address(raw).compressed}]"
    except AddressValueError:
        return None


def _analyse_custom(scheme: str, rest: str) -> _Target | None:
    parts = _split_custom(rest, wildcard=False)
    if parts is None:
        return None
    authority, path = parts
    if not _CUSTOM_AUTHORITY.fullmatch(authority):
        return None  # userinfo, brackets, or a host WHATWG refuses ("a b", "a^b", "h:x")
    port = authority.partition(":")[2]
    if port and int(port) > 65535:
        return None
    return _Target(scheme, authority, None, path)


def _split_custom(rest: str, *, wildcard: bool) -> tuple[str, str] | None:
    """Better Auth's ``parseCustomSchemeOrigin`` after the scheme: (authority, path).

    Plain string splitting, as upstream does: non-special URLs parse differently across
    engines. In a pattern, ``?`` is a wildcard, not a query.
    """
    authority = ""
    if rest.startswith("//"):
        rest = rest[2:]
        end = re.search(r"[/#]" if wildcard else r"[/?#]", rest)
        authority, rest = (rest, "") if end is None else (rest[: end.start()], rest[end.start():])
    path = re.split(r"#" if wildcard else r"[?#]", rest, maxsplit=1)[0]
    return authority.lower(), _normalize_path(path)


def _normalize_path(path: str) -> str:
    """Percent-decode once (like ``decodeURIComponent``) and resolve dot segments."""
    decoded = path
    if "%" in path and not _BAD_PERCENT.search(path):
        try:
            decoded = unquote(path, errors="strict")
        except UnicodeDecodeError:
            decoded = path
    segments: list[str] = []
    for segment in decoded.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    return "/" + "/".join(segments) if segments else ""


# -- patterns --------------------------------------------------------------------------------


def _glob(pattern: str, text: str) -> bool:
    """``*`` = any run, ``?`` = any one character, anchored at both ends.

    Better Auth's wildcardMatch without a separator, but in O(len*len) without backtracking:
    the text is attacker-controlled and the pattern may hold several stars.
    """
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif p < len(pattern) and pattern[p] in ("?", text[t]):
            p += 1
            t += 1
        elif star >= 0:
            mark += 1
            p, t = star + 1, mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _ipv4_rule(pattern_authority: str, authority: str) -> bool:
    """A wildcard host of digits and dots names an address range: IPv4 addresses only."""
    if not _IPV4_WILDCARD_HOST.fullmatch(pattern_authority.split(":")[0]):
        return True
    return bool(_IPV4.fullmatch(authority.split(":")[0]))


_Kind = Literal["exact", "origin_glob", "host_glob", "custom"]


@dataclass(frozen=True, slots=True)
class _Pattern:
    kind: _Kind
    text: str  # exact origin, or the glob (origin_glob / host_glob)
    scheme: str = ""
    authority: str = ""
    path: str = ""
    wildcard: bool = False

    def matches(self, target: _Target) -> bool:
        if self.kind == "host_glob":
            return bool(target.host) and _glob(self.text, target.host) and _ipv4_rule(
                self.text, target.host)
        if target.origin is not None:
            if self.kind == "exact":
                return self.text == target.origin
            if self.kind == "origin_glob":
                cut = len(self.scheme) + 3
                return _glob(self.text, target.origin) and _ipv4_rule(
                    self.text[cut:], target.origin[cut:])
            return False
        if self.kind != "custom" or self.scheme != target.scheme:
            return False
        if self.wildcard:
            if self.authority and not (_glob(self.authority, target.host)
                                       and _ipv4_rule(self.authority, target.host)):
                return False
            return not self.path or _glob(self.path, target.path or "/")
        if self.authority and target.host != self.authority:
            return False
        return not self.path or target.path == self.path or target.path.startswith(
            self.path + "/")


def _config_error(entry: object, problem: str) -> ConfigError:
    return ConfigError(f"trusted origin {entry!r}: {problem}")


def _compile(entry: object) -> _Pattern:
    """One ``trusted_origins`` entry → a matcher; ConfigError says what to write instead.

    Better Auth compares exact http(s) entries as strings, so ``https://App.example.com/``
    silently never matches there; authkit refuses such entries at construction instead.
    """
    if not isinstance(entry, str):
        raise _config_error(entry, "must be a string like 'https://app.example.com'")
    if _UNSAFE_CHARS.search(entry) or entry != entry.strip():
        raise _config_error(entry, "remove spaces, control characters and backslashes")
    wildcard = "*" in entry or "?" in entry
    if "://" not in entry and wildcard:
        if not _GLOB_AUTHORITY.fullmatch(entry):
            raise _config_error(entry, "a scheme-less wildcard is a lower-case host pattern "
                                       "such as '*.example.com'")
        return _Pattern("host_glob", entry)
    m = _SCHEME.match(entry)
    if m is None:
        raise _config_error(entry, "add the scheme, e.g. 'https://app.example.com' "
                                   "(or '*.example.com' for every scheme)")
    scheme = m.group(1).lower()
    if scheme in _DANGEROUS_SCHEMES:
        raise _config_error(entry, f"'{scheme}:' URLs can run code; never trust them")
    rest = entry[m.end():]
    if scheme in _DEFAULT_PORTS:
        if wildcard:
            if not rest.startswith("//") or not _GLOB_AUTHORITY.fullmatch(rest[2:]) \
                    or entry != entry.lower():
                raise _config_error(entry, "write a lower-case origin pattern without a path, "
                                           "e.g. 'https://*.example.com'")
            return _Pattern("origin_glob", entry, scheme=scheme)
        target = _analyse(entry)
        if target is None or target.origin is None:
            raise _config_error(entry, "not a valid http(s) origin")
        if target.origin != entry:
            raise _config_error(entry, f"an origin is scheme://host[:port] in lower case, "
                                       f"without path or default port; write {target.origin!r}")
        return _Pattern("exact", entry, scheme=scheme)
    parts = _split_custom(rest, wildcard=wildcard)
    if parts is None or not (_GLOB_AUTHORITY.fullmatch(parts[0]) or not parts[0]):
        raise _config_error(entry, "custom-scheme entries look like 'myapp://', "
                                   "'myapp://host' or 'exp://host/path'")
    authority, path = parts
    return _Pattern("custom", entry, scheme=scheme, authority=authority, path=path,
                    wildcard=wildcard)


@lru_cache(maxsize=512)
def _compile_dynamic(entry: str) -> _Pattern | None:
    # Entries from trusted_origins_fn arrive per request: refuse a bad one, loudly, and go on.
    try:
        return _compile(entry)
    except ConfigError as exc:
        logger.error("ignoring an entry returned by trusted_origins_fn: %s", exc)
        return None


def _warn_if_catch_all(pattern: _Pattern) -> None:
    if pattern.kind in ("origin_glob", "host_glob") and set(
            pattern.text.split("://", 1)[-1]) <= {"*", "?"}:
        logger.warning("trusted origin %r matches every host of its scheme(s): any site "
                       "can then send credentialed requests and receive redirects", pattern.text)


# -- the policy ------------------------------------------------------------------------------


class OriginPolicy:
    """Which origins and callback URLs this deployment trusts; built once at construction.

    ``base_url``: the server's public URL (``https://auth.example.com``, a path is allowed);
    its origin is always trusted. Empty means "not configured": the request's own origin is
    trusted instead, as Better Auth does when it infers its base URL (development only).
    ``trusted_origins``: more entries (see the module docstring). ``trusted_origins_fn``:
    called with the request (or None) on every check; its None/empty entries are dropped.
    """

    def __init__(
        self,
        *,
        base_url: str,
        trusted_origins: Sequence[str] = (),
        trusted_origins_fn: Callable[[Request | None], Sequence[str | None]] | None = None,
    ) -> None:
        patterns: list[_Pattern] = []
        if base_url:
            target = _analyse(base_url) if isinstance(base_url, str) else None
            if target is None or target.origin is None:
                raise ConfigError(f"base_url {base_url!r} is not an absolute http(s) URL; "
                                  "write it like 'https://auth.example.com'")
            patterns.append(_Pattern("exact", target.origin, scheme=target.scheme))
        if isinstance(trusted_origins, str):
            raise ConfigError("trusted_origins must be a list of strings, not one string")
        for entry in trusted_origins:
            if entry:  # Better Auth drops empty entries ("a,,b" from an env variable)
                pattern = _compile(entry)
                _warn_if_catch_all(pattern)
                patterns.append(pattern)
        self._patterns = tuple(patterns)
        self._base_origin = patterns[0].text if base_url else None
        self._fn = trusted_origins_fn

    @property
    def base_origin(self) -> str | None:
        """The configured base URL's origin, None when no base URL was given."""
        return self._base_origin

    def _patterns_for(self, request: Request | None) -> Iterable[_Pattern]:
        yield from self._patterns
        if self._base_origin is None and request is not None:
            inferred = _analyse(request.origin)
            if inferred is not None and inferred.origin is not None:
                yield _Pattern("exact", inferred.origin, scheme=inferred.scheme)
        if self._fn is not None:
            entries = self._fn(request)
            for entry in [entries] if isinstance(entries, str) else entries:
                if entry and isinstance(entry, str):
                    pattern = _compile_dynamic(entry)
                    if pattern is not None:
                        yield pattern

    def is_trusted_origin(self, origin: str, request: Request | None = None) -> bool:
        """Whether an ``Origin``/``Referer`` value is trusted: absolute URLs only."""
        if not isinstance(origin, str) or origin.startswith("/"):
            return False
        return self._matches(origin, request)

    def is_trusted_url(self, url: str, request: Request | None = None) -> bool:
        """Whether a ``callbackURL``-family value may be redirected to or put in a link.

        Safe root-relative paths are trusted; absolute URLs need a trusted origin (or, for
        custom schemes, scheme + authority + path prefix).
        """
        if not isinstance(url, str):
            return False
        if url.startswith("/"):
            return _is_safe_relative(url)
        return self._matches(url, request)

    def _matches(self, url: str, request: Request | None) -> bool:
        target = _analyse(url)
        if target is None:
            return False
        return any(p.matches(target) for p in self._patterns_for(request))


# -- the request checks ----------------------------------------------------------------------


def _header(request: Request, name: str) -> str | None:
    # As the Fetch Headers.get that Better Auth reads: repeats joined by ", ", OWS trimmed.
    values = request.headers.get_all(name)
    return ", ".join(v.strip(" \t") for v in values) if values else None


def _validate_origin(request: Request, policy: OriginPolicy) -> None:
    origin = _header(request, "origin")
    value = origin or _header(request, "referer") or ""
    if origin == "null" and _header(request, "sec-fetch-site") == "same-origin":
        # A same-origin request whose Origin was nulled (privacy mode, sandbox, redirect):
        # judge the origin the client addressed, which still has to be trusted.
        inferred = _analyse(request.origin)
        if inferred is not None and inferred.origin is not None:
            value = inferred.origin
    if not value or value == "null":
        raise APIError(403, "MISSING_OR_NULL_ORIGIN")
    if not policy.is_trusted_origin(value, request):
        logger.info("INVALID_ORIGIN: %s is not a trusted origin", _describe(value))
        raise APIError(403, "INVALID_ORIGIN")


def check_csrf(request: Request, policy: OriginPolicy, *, form_route: bool) -> None:
    """Better Auth's origin middleware (A1) and, on form routes, its form CSRF check (B).

    Call it for non-GET/HEAD/OPTIONS HTTP requests when CSRF checking is on. Any ``Cookie``
    header → the Origin (else Referer) must be trusted. ``form_route`` (sign-in/sign-up by
    email) without cookies: Fetch Metadata ``cross-site`` + ``navigate`` is refused, any
    other Fetch Metadata or any Origin/Referer is validated, a bare client passes.
    Raises ``APIError(403, MISSING_OR_NULL_ORIGIN | INVALID_ORIGIN |
    CROSS_SITE_NAVIGATION_LOGIN_BLOCKED)``.
    """
    if request.headers.get("cookie") is not None:
        _validate_origin(request, policy)
        return
    if not form_route:
        return
    site = _header(request, "sec-fetch-site")
    mode = _header(request, "sec-fetch-mode")
    dest = _header(request, "sec-fetch-dest")
    if any(v and v.strip() for v in (site, mode, dest)):
        if site == "cross-site" and mode == "navigate":
            logger.warning("blocked a cross-site navigation login (CSRF protection)")
            raise APIError(403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
        _validate_origin(request, policy)
    elif _header(request, "origin") or _header(request, "referer"):
        _validate_origin(request, policy)


def _describe(value: str) -> str:
    # For logs: the origin only. Callback URLs can carry tokens in their query.
    target = _analyse(value) if not value.startswith("/") else None
    if target is None:
        return "an unparseable or refused URL"
    return repr(target.origin or f"{target.scheme}://{target.host}")


def check_callback_urls(
    body: Mapping[str, Any] | None,
    query: Mapping[str, Any] | None,
    policy: OriginPolicy,
    request: Request | None,
) -> None:
    """Better Auth's URL validation (A2) on ``body`` fields and ``query.callbackURL``.

    An untrusted value → ``APIError(403, <code from CALLBACK_FIELDS>)``; a truthy non-string
    value → ``APIError(400)`` with the message-only body ``Invalid <label>: expected a
    string`` (e.g. ``Invalid redirectURL: expected a string``,
    docs/wire-compatibility.md#pipeline-order).
    """
    b: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    q: Mapping[str, Any] = query if isinstance(query, Mapping) else {}
    for field, code, label in CALLBACK_FIELDS:
        value = b.get(field)
        if field == "callbackURL" and not truthy(value):
            value = q.get("callbackURL")
        if not truthy(value):
            continue
        if not isinstance(value, str):
            raise APIError(400, None, f"Invalid {label}: expected a string", body_kind="message")
        if not policy.is_trusted_url(value, request):
            logger.info("%s: %s is not trusted", code, _describe(value))
            raise APIError(403, code)


def check_callback_url(
    value: object,
    policy: OriginPolicy,
    request: Request | None,
    *,
    code: str = "INVALID_CALLBACK_URL",
) -> None:
    """The GET endpoints' check (C: verify-email, reset-password/:token, delete-user/callback).

    An empty value passes (the endpoint decides whether it is required); a repeated query key
    (a list) has every item checked; anything untrusted → ``APIError(403, code)``.
    """
    for item in value if isinstance(value, (list, tuple)) else (value,):
        if not truthy(item):
            continue
        if not isinstance(item, str) or not policy.is_trusted_url(item, request):
            logger.info("%s: %s is not trusted", code,
                        _describe(item) if isinstance(item, str) else "a non-string value")
            raise APIError(403, code)
