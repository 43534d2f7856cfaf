"""OAuth 2.0 client steps, sans-IO where possible: PKCE, the authorization URL, the code
exchange and the refresh request, and reading a token response.

Parameter order and encoding follow Better Auth's (``URLSearchParams``), so an authorization
URL built here is byte-identical to the Node server's for the same inputs.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from ...errors import AuthError
from .http_client import OAuthHTTP, OAuthHTTPError

# additionalParams may not replace what binds the flow to this server and this browser.
RESERVED_PARAMS = ("state", "client_id", "redirect_uri", "response_type", "code_challenge",
                   "code_challenge_method", "nonce", "scope")


class TokenError(AuthError):
    """The provider refused or garbled a token request (the callback's ``invalid_code``)."""


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url without padding of SHA-256 of the ASCII verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _enc(value: str) -> str:
    # URLSearchParams: space as "+", "*" kept, "~" escaped.
    return quote_plus(value, safe="*").replace("~", "%7E")


def build_url(endpoint: str, params: Sequence[tuple[str, str]]) -> str:
    """``endpoint`` with ``params`` set in order, as ``url.searchParams.set`` does: a key the
    endpoint's own query already has is replaced where it stands; new keys are appended."""
    parts = urlsplit(endpoint)
    existing = parse_qsl(parts.query, keep_blank_values=True)
    pairs: list[tuple[str, str]] = list(existing)
    for key, value in params:
        positions = [i for i, (k, _) in enumerate(pairs) if k == key]
        if positions:
            first = positions[0]
            pairs[first] = (key, value)
            pairs = [p for i, p in enumerate(pairs) if i == first or p[0] != key]
        else:
            pairs.append((key, value))
    query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in pairs)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass
class AuthorizationRequest:
    """Everything one authorization URL carries."""

    endpoint: str
    client_id: str
    state: str
    scopes: Sequence[str]
    redirect_uri: str
    code_verifier: str | None = None
    login_hint: str | None = None
    nonce: str | None = None
    prompt: str | None = None
    display: str | None = None
    hd: str | None = None
    access_type: str | None = None
    response_mode: str | None = None
    duration: str | None = None
    claims: Sequence[str] | None = None
    extra: Sequence[tuple[str, str]] = ()
    additional: Mapping[str, str] = field(default_factory=dict)

    def url(self) -> str:
        """The URL, in Better Auth's parameter order."""
        params: list[tuple[str, str]] = [
            ("response_type", "code"), ("client_id", self.client_id), ("state", self.state),
        ]
        if self.scopes:
            params.append(("scope", " ".join(self.scopes)))
        params.append(("redirect_uri", self.redirect_uri))
        for key, value in (("duration", self.duration), ("display", self.display),
                           ("login_hint", self.login_hint), ("nonce", self.nonce),
                           ("prompt", self.prompt), ("hd", self.hd),
                           ("access_type", self.access_type),
                           ("response_mode", self.response_mode)):
            if value:
                params.append((key, value))
        if self.code_verifier:
            params.append(("code_challenge_method", "S256"))
            params.append(("code_challenge", code_challenge(self.code_verifier)))
        if self.claims:
            import json

            params.append(("claims", json.dumps(
                {"id_token": {c: None for c in self.claims}}, separators=(",", ":"))))
        params.extend(self.extra)
        params.extend(self.additional.items())
        return build_url(self.endpoint, params)


@dataclass
class OAuth2Tokens:
    """A token response, read the way Better Auth reads it."""

    access_token: str | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    access_token_expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    token_type: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"OAuth2Tokens(scopes={self.scopes!r}, token_type={self.token_type!r})"


def parse_tokens(data: Any, now: datetime) -> OAuth2Tokens:
    """Read ``{access_token, refresh_token, expires_in, refresh_token_expires_in, scope,
    id_token, token_type}``; an ``error`` member (GitHub answers errors with 200) fails."""
    if not isinstance(data, dict) or "error" in data:
        raise TokenError(str(data.get("error")) if isinstance(data, dict) else "not an object")
    scope = data.get("scope")
    if isinstance(scope, str):
        # Whitespace only, as Better Auth: GitHub's "a,b" stays one entry (a documented quirk).
        scopes = scope.split()
    elif isinstance(scope, list):
        scopes = [str(s) for s in scope]
    else:
        scopes = []

    def _text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    def _after(key: str) -> datetime | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return None
        try:
            seconds = float(value)
        except ValueError:
            return None
        return now + timedelta(seconds=seconds) if seconds > 0 else None

    return OAuth2Tokens(
        access_token=_text("access_token"), refresh_token=_text("refresh_token"),
        id_token=_text("id_token"), access_token_expires_at=_after("expires_in"),
        refresh_token_expires_at=_after("refresh_token_expires_in"), scopes=scopes,
        token_type=_text("token_type"), raw=data)


def _basic(client_id: str, client_secret: str) -> str:
    raw = f"{_enc(client_id)}:{_enc(client_secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class ClientCredentials:
    """A client id and secret, and how the secret is sent (``post`` body or ``basic``)."""

    client_id: str
    client_secret: str | None = None
    authentication: str = "post"

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, secret=***)"

    def apply(self, form: list[tuple[str, str]], headers: dict[str, str]) -> None:
        """Add the client authentication to a token request."""
        if self.authentication == "basic" and self.client_secret is not None:
            headers["authorization"] = _basic(self.client_id, self.client_secret)
            return
        form.append(("client_id", self.client_id))
        if self.client_secret:
            form.append(("client_secret", self.client_secret))


def exchange_code(http: OAuthHTTP, token_endpoint: str, creds: ClientCredentials, *,
                  code: str, redirect_uri: str, code_verifier: str | None, now: datetime,
                  extra: Mapping[str, str] | None = None,
                  headers: Mapping[str, str] | None = None) -> OAuth2Tokens:
    """The authorization-code grant; ``TokenError`` on any failure."""
    form: list[tuple[str, str]] = [("grant_type", "authorization_code"), ("code", code)]
    if code_verifier:
        form.append(("code_verifier", code_verifier))
    form.append(("redirect_uri", redirect_uri))
    all_headers = dict(headers or {})
    creds.apply(form, all_headers)
    form.extend((extra or {}).items())
    return _token_request(http, token_endpoint, form, all_headers, now)


def refresh_tokens(http: OAuthHTTP, token_endpoint: str, creds: ClientCredentials, *,
                   refresh_token: str, now: datetime,
                   extra: Mapping[str, str] | None = None) -> OAuth2Tokens:
    """The refresh-token grant; ``TokenError`` on any failure."""
    form: list[tuple[str, str]] = [("grant_type", "refresh_token"),
                                   ("refresh_token", refresh_token)]
    headers: dict[str, str] = {}
    creds.apply(form, headers)
    form.extend((extra or {}).items())
    return _token_request(http, token_endpoint, form, headers, now)


def _token_request(http: OAuthHTTP, url: str, form: list[tuple[str, str]],
                   headers: dict[str, str], now: datetime) -> OAuth2Tokens:
    try:
        data = http.post_form(url, dict(form), headers=headers)
    except OAuthHTTPError as exc:
        raise TokenError(str(exc)) from None
    return parse_tokens(data, now)
