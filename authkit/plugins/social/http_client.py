"""The outbound HTTP client of the OAuth flows: httpx, synchronous, with timeouts.

Every call to a provider goes through one ``OAuthHTTP``. Its transport is injectable (an
``httpx.BaseTransport``: ``httpx.MockTransport`` in unit tests, a proxying transport in a
deployment), and ``rewrite_hosts`` sends requests for fixed provider hosts to a local test
provider instead (the ``fake_idp`` option; tests only).

Token, refresh and key-set requests refuse redirects: a token endpoint that answers 3xx is
treated as a failure, never followed, so a code or a refresh token is not re-posted to a
host the provider did not name. User-info calls follow redirects as browsers' fetch does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx

from ...errors import AuthError

log = logging.getLogger("authkit.oauth")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Responses from a provider are small JSON documents; a larger body is refused unread.
MAX_RESPONSE_BYTES = 1 << 20


class OAuthHTTPError(AuthError):
    """A provider call failed: network error, timeout, redirect, non-JSON or error status."""


class _RewriteTransport(httpx.BaseTransport):
    """``https://<host>/<path>`` → ``<base>/<host>/<path>`` for the listed hosts."""

    def __init__(self, inner: httpx.BaseTransport, base: str, hosts: Iterable[str]) -> None:
        self._inner = inner
        target = urlsplit(base)
        self._scheme, self._netloc = target.scheme, target.netloc
        self._hosts = frozenset(hosts)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme == "https" and url.host in self._hosts:
            request.url = url.copy_with(
                scheme=self._scheme, netloc=self._netloc.encode("ascii"),
                raw_path=b"/" + url.host.encode("ascii") + url.raw_path)
            request.headers["host"] = self._netloc
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class OAuthHTTP:
    """GET/POST JSON to providers with timeouts, a size cap and no redirects for tokens.

    :param transport: an ``httpx.BaseTransport`` (default: httpx's own).
    :param timeout: seconds, or an ``httpx.Timeout`` (default 10 s, 5 s to connect).
    :param rewrite_hosts: ``(base_url, hosts)``: requests for those https hosts go to
        ``base_url/<host>/<path>`` (a local test provider).
    """

    def __init__(self, *, transport: httpx.BaseTransport | None = None,
                 timeout: float | httpx.Timeout | None = None,
                 rewrite_hosts: tuple[str, Iterable[str]] | None = None) -> None:
        inner = transport or httpx.HTTPTransport()
        if rewrite_hosts is not None:
            inner = _RewriteTransport(inner, rewrite_hosts[0], rewrite_hosts[1])
        self._client = httpx.Client(
            transport=inner,
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            # One client serves every user: a cookie a provider sets for one user's request
            # must never ride along on another's, so no cookie is ever kept.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    def request_json(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                     form: Mapping[str, str] | None = None, follow_redirects: bool = False,
                     accept_error_status: bool = False) -> tuple[int, Any]:
        """``(status, parsed JSON)``; raises ``OAuthHTTPError`` on anything unusable.

        ``accept_error_status`` returns 4xx/5xx bodies too (callers that read an ``error``).
        """
        try:
            response = self._client.request(
                method, url, headers=dict(headers or {}),
                content=None if form is None else _form(form),
                follow_redirects=follow_redirects)
        except httpx.HTTPError as exc:
            raise OAuthHTTPError(f"{method} {_safe(url)} failed: {type(exc).__name__}") from None
        if 300 <= response.status_code < 400:
            raise OAuthHTTPError(f"{method} {_safe(url)} answered a redirect (refused)")
        if response.status_code >= 400 and not accept_error_status:
            raise OAuthHTTPError(f"{method} {_safe(url)} answered {response.status_code}")
        body = response.content
        if len(body) > MAX_RESPONSE_BYTES:
            raise OAuthHTTPError(f"{method} {_safe(url)}: response too large")
        try:
            return response.status_code, response.json()
        except ValueError:
            raise OAuthHTTPError(f"{method} {_safe(url)}: response is not JSON") from None

    def post_form(self, url: str, form: Mapping[str, str], *,
                  headers: Mapping[str, str] | None = None) -> Any:
        """POST a form (token and refresh requests); redirects refused; the JSON body."""
        all_headers = {"content-type": "application/x-www-form-urlencoded",
                       "accept": "application/json", **(headers or {})}
        _, data = self.request_json("POST", url, headers=all_headers, form=form)
        return data

    def get_json(self, url: str, *, headers: Mapping[str, str] | None = None,
                 follow_redirects: bool = True) -> Any:
        """GET a JSON document (user info, discovery; key sets without redirects)."""
        _, data = self.request_json("GET", url, headers={"accept": "application/json",
                                                         **(headers or {})},
                                    follow_redirects=follow_redirects)
        return data

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()


def _form(values: Mapping[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(list(values.items())).encode("ascii")


def _safe(url: str) -> str:
    # Never log a query string: it may carry a code or a token.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
