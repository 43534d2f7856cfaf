"""``bearer()``: sessions through ``Authorization: Bearer``
(docs/wire-compatibility.md#session-semantics).

A bearer token is turned into the session cookie for that request, so every endpoint works
unchanged; responses that set a session cookie also carry ``set-auth-token``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..cookies import encode_value, parse_cookie_header
from ..http import Headers
from ..tokens import sign, unsign
from .base import Plugin

if TYPE_CHECKING:
    from ..core import AuthKit
    from ..endpoints.context import Context


class BearerPlugin(Plugin):
    """See ``bearer()``."""

    id = "bearer"

    def __init__(self, *, require_signature: bool = False) -> None:
        self.require_signature = require_signature
        self._auth: AuthKit | None = None

    def init(self, auth: AuthKit) -> None:
        self._auth = auth

    def transform_headers(self, headers: Headers) -> Headers:
        auth = self._auth
        value = headers.get("authorization")
        if auth is None or not value or value[:7].lower() != "bearer ":
            return headers
        token = unquote(value[7:].strip())
        if not token:
            return headers
        signed: str | None = token if unsign(token, auth.secrets) is not None else None
        if signed is None and not self.require_signature and "." not in token:
            signed = sign(token, auth.secrets)
        if signed is None:
            # An invalid bearer is ignored: a valid cookie still works
            # (docs/wire-compatibility.md#session-semantics).
            return headers
        name = auth.cookies.session_token.name
        cookies = parse_cookie_header(headers.cookie())
        cookies[name] = encode_value(signed)
        out = Headers(headers)
        out.set("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        return out

    def on_response_headers(self, ctx: Context, headers: list[tuple[str, str]]) -> None:
        auth = self._auth
        if auth is None:
            return
        prefix = auth.cookies.session_token.name + "="
        for name, value in headers:
            if name.lower() == "set-cookie" and value.startswith(prefix):
                raw = value[len(prefix):].split(";", 1)[0]
                if raw:
                    headers.append(("set-auth-token", unquote(raw)))
                    headers.append(("Access-Control-Expose-Headers", "set-auth-token"))
                break


def bearer(*, require_signature: bool = False) -> BearerPlugin:
    """Accept ``Authorization: Bearer <token>`` as the session (raw or signed token)."""
    return BearerPlugin(require_signature=require_signature)
