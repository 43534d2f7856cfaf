"""POST /sign-in/magic-link and GET /magic-link/verify.

A link's token is 32 random letters kept in ``verification`` as ``magic-link:<token>`` (or
``magic-link:<SHA-256 of the token>`` with ``store_token="hashed"``, so a leaked table holds no
usable link) with ``{"type":"magic-link","email":...,"name"?}`` as value, the format the Node
plugin writes: a link issued by either server works on the other, once. Requesting a link
answers the same for every address; following it takes the row atomically, so of concurrent
clicks exactly one signs in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote_plus

from pydantic import Field

from ... import verifications
from ...endpoints.context import Context
from ...endpoints.redirects import protect_token_response, resolve_with_query
from ...endpoints.registry import Endpoint, endpoint
from ...errors import APIError, Redirect
from ...mail.dispatch import one_line
from ...models import Session, User
from ...observability import log_event
from ...origins import check_callback_url
from ...tokens import generate_id, random_string
from ...unproven_access import revoke_unproven_access
from ...validation import Body, Email, is_valid_email

if TYPE_CHECKING:
    from . import MagicLinkPlugin

TOKEN_LENGTH = 32
PREFIX = "magic-link:"


# Bounds the reference does not have: MySQL/MariaDB keep user emails and names in a
# varchar(255), so longer values would fail as a 500 at verify time. 254 characters is also
# the longest address SMTP can deliver to.
MAX_EMAIL = 254
MAX_NAME = 255


class SignInMagicLinkBody(Body):
    """Body of ``/sign-in/magic-link``."""

    email: Annotated[Email, Field(max_length=MAX_EMAIL)]
    name: Annotated[str, Field(max_length=MAX_NAME)] | None = None
    callbackURL: str | None = None
    newUserCallbackURL: str | None = None
    errorCallbackURL: str | None = None
    metadata: dict[str, Any] | None = None


class VerifyQuery(Body):
    """Query of ``/magic-link/verify``."""

    token: str
    callbackURL: str | None = None
    newUserCallbackURL: str | None = None
    errorCallbackURL: str | None = None


@dataclass
class StatusResult:
    """``{"status": true}``."""

    status: bool = True

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"status": self.status}


@dataclass
class VerifyResult:
    """``{token, user, session}`` (verify called without a callback URL)."""

    token: str
    user: User
    session: Session

    def to_json(self) -> dict[str, Any]:
        """The wire shape, in Better Auth's key order."""
        return {"token": self.token, "user": self.user.to_json(),
                "session": self.session.to_json()}


def hash_token(token: str) -> str:
    """SHA-256 of the token, base64url without padding (``store_token="hashed"``)."""
    digest = hashlib.sha256(token.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def search_params(params: list[tuple[str, str]]) -> str:
    """``URLSearchParams.toString()``: only letters, digits and ``*-._`` stay as they are."""
    return "&".join(f"{quote_plus(k, safe='*').replace('~', '%7E')}="
                    f"{quote_plus(v, safe='*').replace('~', '%7E')}" for k, v in params)


class Routes:
    """The two endpoints, bound to one plugin's options."""

    def __init__(self, plugin: MagicLinkPlugin) -> None:
        self.plugin = plugin

    def _identifier(self, token: str) -> str:
        stored = hash_token(token) if self.plugin.options.store_token == "hashed" else token
        return PREFIX + stored

    # -- POST /sign-in/magic-link ----------------------------------------------------------
    def sign_in(self, ctx: Context) -> StatusResult:
        """Store a token and mail the link; the same answer whether the address has an
        account or not (nothing is looked up here)."""
        opts = self.plugin.options
        body: SignInMagicLinkBody = ctx.body
        token = (opts.generate_token(body.email) if opts.generate_token is not None
                 else random_string(TOKEN_LENGTH, string.ascii_letters))
        value: dict[str, str] = {"type": "magic-link", "email": body.email}
        if body.name is not None:
            value["name"] = body.name
        stored = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if verifications.create(ctx, self._identifier(token), stored, opts.expires_in) is None:
            return StatusResult()  # a database hook vetoed the row: no link to send
        params = [("token", token), ("callbackURL", body.callbackURL or "/")]
        if body.newUserCallbackURL:
            params.append(("newUserCallbackURL", body.newUserCallbackURL))
        if body.errorCallbackURL:
            params.append(("errorCallbackURL", body.errorCallbackURL))
        url = f"{ctx.base_url}/magic-link/verify?{search_params(params)}"
        self.plugin.send(ctx, email=body.email, url=url, token=token, metadata=body.metadata)
        log_event(ctx, "magic_link.requested", email=body.email)
        return StatusResult()

    # -- GET /magic-link/verify ------------------------------------------------------------
    def verify(self, ctx: Context) -> Any:
        """Take the token, find or create the user, start a session, redirect."""
        protect_token_response(ctx)
        auth = ctx.auth
        query: VerifyQuery = ctx.query
        if ctx.request is not None and not auth.options.advanced.disable_origin_check:
            # All three report INVALID_CALLBACK_URL here, as Better Auth answers.
            for url in (query.callbackURL, query.newUserCallbackURL, query.errorCallbackURL):
                check_callback_url(url, auth.origins, ctx.request)
        callback = query.callbackURL or None
        error_url = query.errorCallbackURL or callback or "/"
        new_user_url = query.newUserCallbackURL or callback

        def fail(code: str, description: str | None = None) -> Redirect:
            params = {"error": code}
            if description is not None:
                params["error_description"] = description
            return Redirect(resolve_with_query(ctx.base_url, error_url, params))

        identifier = self._identifier(query.token)
        row = verifications.find(auth, identifier)
        value = _parse_value(row.value) if row is not None else None
        if value is None:
            raise fail("INVALID_TOKEN")
        taken = verifications.consume(ctx, identifier)
        if taken is None or row is None or taken.value != row.value:
            raise fail("INVALID_TOKEN")  # expired, or another click took it first
        email = value["email"].lower()
        user = auth.db.get_user_by_email(email)
        is_new = user is None
        if user is None:
            if self.plugin.options.disable_sign_up:
                raise fail("new_user_signup_disabled")
            user = self._create_user(ctx, email, value.get("name") or "", fail)
        else:
            user = revoke_unproven_access(ctx, user)
        session = auth.sessions.create(ctx, user)
        auth.sessions.set_cookies(ctx, session, user)
        log_event(ctx, "sign_in.success", user_id=user.id, session_id=session.id,
                  method="magic-link")
        if callback is None:
            return VerifyResult(session.token, user, session)
        target = new_user_url if is_new and new_user_url else callback
        raise Redirect(resolve_with_query(ctx.base_url, target, {}))

    def _create_user(self, ctx: Context, email: str, name: str,
                     fail: Callable[..., Redirect]) -> User:
        auth = ctx.auth
        now = auth.now()
        try:
            user = auth.db.create_user(ctx, {
                "id": generate_id(), "name": name, "email": email, "emailVerified": True,
                "image": None, "createdAt": now, "updatedAt": now})
        except APIError as exc:
            raise fail(exc.code or "failed_to_create_user",
                       one_line(exc.message or "")) from None
        if user is None:
            raise fail("failed_to_create_user")
        log_event(ctx, "sign_up", user_id=user.id, method="magic-link")
        return user


def _parse_value(stored: str) -> dict[str, str] | None:
    """The row's value if it is exactly ``{"type":"magic-link","email":...,"name"?}``."""
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    if (not isinstance(value, dict) or value.get("type") != "magic-link"
            or not set(value) <= {"type", "email", "name"}):
        return None
    email, name = value.get("email"), value.get("name", "")
    if not isinstance(email, str) or not is_valid_email(email) or not isinstance(name, str):
        return None
    return value


def build(plugin: MagicLinkPlugin) -> list[Endpoint]:
    """The plugin's endpoints."""
    routes = Routes(plugin)
    return [
        endpoint("sign_in_magic_link", "/sign-in/magic-link", "POST", routes.sign_in,
                 body=SignInMagicLinkBody, form_csrf=True, plugin="magic-link",
                 summary="Email a sign-in link",
                 error_codes=("INVALID_CALLBACK_URL", "INVALID_NEW_USER_CALLBACK_URL",
                              "INVALID_ERROR_CALLBACK_URL")),
        endpoint("magic_link_verify", "/magic-link/verify", "GET", routes.verify,
                 query=VerifyQuery, plugin="magic-link",
                 summary="Sign in with an emailed link", error_codes=("INVALID_CALLBACK_URL",)),
    ]
