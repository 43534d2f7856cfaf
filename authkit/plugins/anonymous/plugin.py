"""The anonymous plugin: guest sign-in, the link after a real sign-in, and guest deletion."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import APIError
from ...hooks import HookMatcher
from ...models import SessionWithUser, User
from ...storage.fields import FieldSpec
from ...tokens import generate_id
from ...validation import is_valid_email
from ..base import Plugin

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

log = logging.getLogger("authkit")

ANONYMOUS_ERROR_CODES: dict[str, str] = {
    "INVALID_EMAIL_FORMAT": "Email was not generated in a valid format",
    "FAILED_TO_CREATE_USER": "Failed to create user",
    "COULD_NOT_CREATE_SESSION": "Could not create session",
    "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY":
        "Anonymous users cannot sign in again anonymously",
    "FAILED_TO_DELETE_ANONYMOUS_USER": "Failed to delete anonymous user",
    "USER_IS_NOT_ANONYMOUS": "User is not anonymous",
    "DELETE_ANONYMOUS_USER_DISABLED": "Deleting anonymous users is disabled",
}
PLACEHOLDER_DOMAIN = "anonymous.placeholder.invalid"
# Routes after which the browser's guest is linked to the user it signed in as.
LINK_PREFIXES = ("/sign-in", "/sign-up", "/callback", "/oauth2/callback", "/magic-link/verify",
                 "/email-otp/verify-email", "/one-tap/callback",
                 "/passkey/verify-authentication", "/phone-number/verify", "/verify-email")

LinkCallback = Callable[[SessionWithUser, SessionWithUser, "Context"], Any]


def _error(status: int, code: str) -> APIError:
    return APIError(status, code, ANONYMOUS_ERROR_CODES[code])


def is_anonymous(user: User) -> bool:
    return bool(user.extra.get("isAnonymous"))


class AnonymousPlugin(Plugin):
    """See ``anonymous()``."""

    id = "anonymous"
    error_codes = ANONYMOUS_ERROR_CODES
    user_fields = (FieldSpec("isAnonymous", "boolean", default=False, input=False),)

    def __init__(self, *, email_domain_name: str | None,
                 generate_random_email: Callable[[], str] | None,
                 generate_name: Callable[[Context], str] | None,
                 on_link_account: LinkCallback | None,
                 disable_delete_anonymous_user: bool) -> None:
        self.email_domain_name = email_domain_name
        self.generate_random_email = generate_random_email
        self.generate_name = generate_name
        self.on_link_account = on_link_account
        self.disable_delete = disable_delete_anonymous_user
        self.after = (HookMatcher(lambda ctx: ctx.path.startswith(LINK_PREFIXES), self._link),)

    # -- routes ------------------------------------------------------------------------
    def sign_in(self, ctx: Context) -> dict[str, Any]:
        """``POST /sign-in/anonymous``: a new guest user with a session."""
        auth = ctx.auth
        current = auth.sessions.resolve(ctx, disable_refresh=True)
        if current is not None and is_anonymous(current.user):
            raise _error(400, "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY")
        user_id = generate_id()
        if self.generate_random_email is not None:
            email = self.generate_random_email()
            if not isinstance(email, str) or not is_valid_email(email):
                raise _error(400, "INVALID_EMAIL_FORMAT")
        elif self.email_domain_name:
            email = f"temp-{generate_id()}@{self.email_domain_name}"
        else:
            email = f"{generate_id()}@{PLACEHOLDER_DOMAIN}"
        name = self.generate_name(ctx) if self.generate_name is not None else "Anonymous"
        now = auth.now()
        user = auth.db.create_user(ctx, {
            "id": user_id, "name": name, "email": email.lower(), "emailVerified": False,
            "image": None, "createdAt": now, "updatedAt": now, "isAnonymous": True})
        if user is None:
            raise _error(500, "FAILED_TO_CREATE_USER")
        try:
            session = auth.sessions.create(ctx, user, status=400)
        except APIError:
            raise _error(400, "COULD_NOT_CREATE_SESSION") from None
        auth.sessions.set_cookies(ctx, session, user)
        return {"token": session.token, "user": user}

    def delete(self, ctx: Context) -> dict[str, bool]:
        """``POST /delete-anonymous-user``: the guest deletes itself and signs out."""
        auth = ctx.auth
        current = ctx.require_session(sensitive=True)
        if self.disable_delete:
            raise _error(400, "DELETE_ANONYMOUS_USER_DISABLED")
        if not is_anonymous(current.user):
            raise _error(403, "USER_IS_NOT_ANONYMOUS")
        auth.db.delete_user_sessions(ctx, current.user.id)
        if not auth.db.delete_user(ctx, current.user):
            raise _error(500, "FAILED_TO_DELETE_ANONYMOUS_USER")
        auth.sessions.clear_cookies(ctx)
        return {"success": True}

    def endpoints(self) -> Sequence[Endpoint]:
        from ...endpoints.registry import endpoint

        return (
            endpoint("sign_in_anonymous", "/sign-in/anonymous", "POST", self.sign_in,
                     summary="Sign in as a new anonymous user", plugin=self.id,
                     error_codes=("ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY",
                                  "INVALID_EMAIL_FORMAT", "FAILED_TO_CREATE_USER",
                                  "COULD_NOT_CREATE_SESSION")),
            endpoint("delete_anonymous_user", "/delete-anonymous-user", "POST", self.delete,
                     require_headers=True, summary="Delete the current anonymous user",
                     plugin=self.id,
                     error_codes=("UNAUTHORIZED", "DELETE_ANONYMOUS_USER_DISABLED",
                                  "USER_IS_NOT_ANONYMOUS", "FAILED_TO_DELETE_ANONYMOUS_USER")),
        )

    # -- linking -----------------------------------------------------------------------
    def _link(self, ctx: Context, result: Any) -> None:
        auth = ctx.auth
        prefix = auth.cookies.session_token.name + "="
        issued = any(name.lower() == "set-cookie" and value.startswith(prefix)
                     and not value.startswith(prefix + ";")
                     for name, value in ctx.response_headers)
        new = ctx.new_session
        if not issued or new is None or isinstance(result, APIError):
            return
        token = auth.sessions.token_from(ctx)  # the request's cookie: the guest, if any
        if token is None:
            return
        found = auth.db.get_session_with_user(token)
        if found is None or not is_anonymous(found[1]):
            return
        guest = SessionWithUser(*found)
        if self.on_link_account is not None:
            self.on_link_account(guest, new, ctx)
        if self.disable_delete or new.user.id == guest.user.id or is_anonymous(new.user):
            return
        try:
            auth.db.delete_user_sessions(ctx, guest.user.id)
            auth.db.delete_user(ctx, guest.user)
        except Exception:  # the sign-in succeeded: a leftover guest is only logged
            log.exception("could not delete the linked anonymous user %s", guest.user.id)


def anonymous(
    *,
    email_domain_name: str | None = None,
    generate_random_email: Callable[[], str] | None = None,
    generate_name: Callable[[Context], str] | None = None,
    on_link_account: LinkCallback | None = None,
    disable_delete_anonymous_user: bool = False,
) -> AnonymousPlugin:
    """The anonymous plugin. ``on_link_account(anonymous, new, ctx)`` gets the guest's and the
    new user's ``SessionWithUser`` once a guest browser signs in for real: move the guest's
    data there (nothing is merged for you)."""
    return AnonymousPlugin(email_domain_name=email_domain_name,
                           generate_random_email=generate_random_email,
                           generate_name=generate_name, on_link_account=on_link_account,
                           disable_delete_anonymous_user=disable_delete_anonymous_user)
