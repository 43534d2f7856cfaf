"""Redirect safety: only local paths ever become a ``Location`` or a ``callbackURL``."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

# -- redirect targets ----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_RAW = re.compile(r"[\x00-\x20\x7f\\]")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?%"
MAX_REDIRECT_LENGTH = 2048


def safe_redirect_path(value: object, default: str) -> str:
    """``value`` when it is a same-site path no browser reads as another host, else ``default``.

    Use it on every ``callbackURL`` a page receives (docs/security.md#redirects): it refuses schemes
    and
    authorities (``https://evil.com``, ``//evil.com``), backslashes (``/\\evil.com``, which
    browsers read as ``//``), control characters and whitespace, and values whose decoded
    form starts with ``//`` or ``/\\`` (``/%2F%2Fevil.com``).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_REDIRECT_LENGTH:
        return default
    if _UNSAFE_RAW.search(value) or not value.startswith("/") or value.startswith("//"):
        return default
    decoded = value
    for _ in range(4):
        decoded = unquote(decoded, errors="replace")
    if _CONTROL.search(decoded) or decoded.startswith(("//", "/\\")):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def local_target(path: str, query_string: str = "") -> str:
    """A same-site URL for ``path`` + query that stays same-site when used as a redirect.

    Runs of ``/`` and ``\\`` collapse to one ``/`` (so ``//evil.com/x`` becomes
    ``/evil.com/x``), and everything outside the URL path alphabet is percent-encoded.
    """
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.com" would become "//evil.com".
    path = "/" + re.sub(r"[/\\]+", "/", _CONTROL.sub("", path)).lstrip("/")
    target = quote(path, safe=_PATH_SAFE)
    if query_string:
        target += "?" + quote(query_string, safe=_QUERY_SAFE)
    return target
