"""The one-time-token plugin: options, endpoints and the ``set-ott`` header."""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from ...errors import APIError, ConfigError
from ...hooks import HookMatcher
from ...models import SessionWithUser, Verification
from ...tokens import generate_id, random_string
from ...validation import Body
from ...verifications import hash_identifier
from ..base import Plugin

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

PREFIX = "one-time-token:"
# Better Auth's generateRandomString(32, "a-z", "0-9", "A-Z", "-_").
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
TokenHasher = Callable[[str], str]


class VerifyBody(Body):
    """Body of ``/one-time-token/verify``."""

    token: str


@dataclass(frozen=True, kw_only=True)
class OneTimeTokenOptions:
    """Better Auth's options in snake_case; ``expires_in`` is in minutes, as there."""

    expires_in: int = 3
    disable_client_request: bool = False
    disable_set_session_cookie: bool = False
    store_token: Literal["plain", "hashed"] | TokenHasher = "plain"
    set_ott_header_on_new_session: bool = False
    generate_token: Callable[[SessionWithUser], str] | None = None


def _message(status: int, message: str) -> APIError:
    # Better Auth answers these without a code: {"message": ...} only.
    return APIError(status, None, message, body_kind="message")


class OneTimeTokenPlugin(Plugin):
    """See ``one_time_token()``."""

    id = "one-time-token"

    def __init__(self, options: OneTimeTokenOptions) -> None:
        self.options = options
        if options.set_ott_header_on_new_session:
            self.after = (HookMatcher(lambda ctx: ctx.new_session is not None,
                                      self._ott_header),)

    # -- storage -----------------------------------------------------------------------
    def stored_identifier(self, token: str) -> str:
        """The ``verification.identifier`` of a token: ``one-time-token:<token or hash>``."""
        store = self.options.store_token
        if store == "plain":
            return PREFIX + token
        if store == "hashed":
            return PREFIX + hash_identifier(token)
        return PREFIX + store(token)

    def issue(self, ctx: Context, found: SessionWithUser) -> str:
        """Store a new token for ``found``'s session and return it."""
        auth = ctx.auth
        make = self.options.generate_token
        token = make(found) if make is not None else random_string(32, TOKEN_ALPHABET)
        now = auth.now()
        row = Verification(id=generate_id(), identifier=self.stored_identifier(token),
                           value=found.session.token,
                           expires_at=now + timedelta(minutes=self.options.expires_in),
                           created_at=now, updated_at=now)
        if auth.db.create_verification(ctx, row) is None:
            raise APIError(500, "INTERNAL_SERVER_ERROR", "Failed to create token")
        return token

    # -- endpoints ---------------------------------------------------------------------
    def generate(self, ctx: Context) -> dict[str, str]:
        """``GET /one-time-token/generate``: a token for the caller's session."""
        if self.options.disable_client_request and ctx.request is not None:
            raise _message(400, "Client requests are disabled")
        # A token hands the session to whoever holds it: decide from the store, never
        # from a cookie cache that may outlive a revoked session.
        found = ctx.require_session(sensitive=True)
        return {"token": self.issue(ctx, found)}

    def verify(self, ctx: Context) -> SessionWithUser:
        """``POST /one-time-token/verify``: consume a token, answer (and set) its session."""
        auth = ctx.auth
        body: VerifyBody = ctx.body
        # Taken even when expired, so an expired token can never be tried again.
        row = auth.db.consume_verification(ctx, self.stored_identifier(body.token))
        if row is None or row.expires_at < auth.now():
            raise _message(400, "Invalid token")
        found = auth.db.get_session_with_user(row.value)
        if found is None:
            raise _message(400, "Session not found")
        session, user = found
        if not self.options.disable_set_session_cookie:
            auth.sessions.set_cookies(ctx, session, user)
        if session.expires_at < auth.now():
            raise _message(400, "Session expired")
        return SessionWithUser(session, user)

    def endpoints(self) -> Sequence[Endpoint]:
        from ...endpoints.registry import endpoint

        return (
            endpoint("generate_one_time_token", "/one-time-token/generate", "GET",
                     self.generate, summary="A single-use token for the current session",
                     error_codes=("UNAUTHORIZED",), plugin=self.id),
            endpoint("verify_one_time_token", "/one-time-token/verify", "POST", self.verify,
                     body=VerifyBody, summary="Exchange a one-time token for its session",
                     plugin=self.id),
        )

    # -- set-ott -----------------------------------------------------------------------
    def _ott_header(self, ctx: Context, result: Any) -> None:
        if isinstance(result, APIError) or ctx.new_session is None:
            return
        token = self.issue(ctx, ctx.new_session)
        ctx.set_header("set-ott", token)
        ctx.set_header("Access-Control-Expose-Headers", "set-ott")
        return


def one_time_token(
    *,
    expires_in: int = 3,
    disable_client_request: bool = False,
    disable_set_session_cookie: bool = False,
    store_token: Literal["plain", "hashed"] | TokenHasher = "plain",
    set_ott_header_on_new_session: bool = False,
    generate_token: Callable[[SessionWithUser], str] | None = None,
) -> OneTimeTokenPlugin:
    """The one-time-token plugin. ``expires_in`` is in minutes (Better Auth's unit);
    ``store_token`` is ``"plain"``, ``"hashed"`` (SHA-256, base64url) or ``callable(token)``."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise ConfigError("one_time_token(expires_in=...) is a positive number of minutes")
    if not callable(store_token) and store_token not in ("plain", "hashed"):
        raise ConfigError("one_time_token(store_token=...) is 'plain', 'hashed' or a "
                          "callable(token) -> str")
    return OneTimeTokenPlugin(OneTimeTokenOptions(
        expires_in=expires_in, disable_client_request=disable_client_request,
        disable_set_session_cookie=disable_set_session_cookie, store_token=store_token,
        set_ott_header_on_new_session=set_ott_header_on_new_session,
        generate_token=generate_token))


__all__ = ["OneTimeTokenOptions", "OneTimeTokenPlugin", "one_time_token"]
