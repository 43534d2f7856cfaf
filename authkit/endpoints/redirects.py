"""Building the redirects of the emailed-link endpoints (verify-email, reset-password/:token).

Two Better Auth behaviours are reproduced: ``appendQueryParams`` keeps a root-relative
callback relative and adds parameters after the existing query, and ``new URL(callback,
baseURL)`` plus ``searchParams.set`` resolves against the base URL and replaces a parameter
that is already there. Callback URLs reach these helpers only after the origin check.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

from .context import Context

# Responses that carry (or redirect with) a single-use token must not be cached and must not
# leak their URL to the next site through Referer (docs/security.md#emailed-tokens).
TOKEN_RESPONSE_HEADERS = (("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"))


def protect_token_response(ctx: Context) -> None:
    """Queue the no-referrer / no-store headers (they also go out on errors and redirects)."""
    for name, value in TOKEN_RESPONSE_HEADERS:
        ctx.set_header(name, value)


def _encode(params: Mapping[str, str]) -> str:
    # URLSearchParams serialisation: form encoding, space as "+".
    return urlencode(list(params.items()), quote_via=quote_plus)


def append_query(url: str, params: Mapping[str, str]) -> str:
    """Better Auth's ``appendQueryParams``: ``/cb?x=1`` + ``error=E`` → ``/cb?x=1&error=E``."""
    parts = urlsplit(url)
    query = _encode(params)
    if not query:
        return url
    if parts.query:
        sep = "" if parts.query.endswith("&") else "&"
        query = f"{parts.query}{sep}{query}"
    return urlunsplit(parts._replace(query=query))


def resolve_with_query(base_url: str, url: str, params: Mapping[str, str]) -> str:
    """``new URL(url, base)`` with ``params`` set (replacing same-named ones), absolute."""
    parts = urlsplit(urljoin(base_url, url))
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in params]
    pairs.extend(params.items())
    query = urlencode(pairs, quote_via=quote_plus)
    path = parts.path or "/"
    return urlunsplit(parts._replace(path=path, query=query))
