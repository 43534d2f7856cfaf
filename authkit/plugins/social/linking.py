"""Who a provider's user is here: Better Auth's decision order for sign-in (find the
account, else link to the user with that e-mail if allowed, else sign up) and for an
explicit ``/link-social``.

Failures are ``OAuthUserError`` with Better Auth's result text (``account not linked`` ...),
which the callback turns into ``?error=account_not_linked`` and the ID-token sign-in into
401 ``OAUTH_LINK_ERROR``. An ``APIError`` raised by a database hook (a banned user's
session) passes through untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...email_verification import send_verification_email
from ...errors import APIError, AuthError
from ...models import Session, User
from ...storage import DuplicateError
from ...tokens import generate_id
from . import accounts
from .providers.base import OAuthProvider, UserInfo

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import SocialPlugin

log = logging.getLogger("authkit.oauth")


class OAuthUserError(AuthError):
    """A refusal, with Better Auth's text (``account not linked``, ``signup disabled`` ...)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    @property
    def code(self) -> str:
        """The text as a callback error code (spaces → ``_``)."""
        return self.text.replace(" ", "_")


@dataclass
class SignedIn:
    """A successful sign-in: the user, the new session, and whether the user is new."""

    user: User
    session: Session
    is_register: bool


def _user_values(ctx: Context, info: UserInfo) -> dict[str, Any]:
    declared = {f.name for f in ctx.auth.user_fields}
    return {k: v for k, v in info.extra.items() if k in declared}


def _override(ctx: Context, user: User, info: UserInfo) -> User:
    email = (info.email or user.email).lower()
    verified = (user.email_verified or info.email_verified) if email == user.email \
        else info.email_verified
    changes: dict[str, Any] = {"name": info.name, "image": info.image, "email": email,
                               "emailVerified": verified, **_user_values(ctx, info),
                               "updatedAt": ctx.auth.now()}
    return ctx.auth.db.update_user(ctx, user.id, changes) or user


def _copy_profile(ctx: Context, user: User, info: UserInfo) -> User:
    changes: dict[str, Any] = {"name": info.name, "image": info.image,
                               **_user_values(ctx, info), "updatedAt": ctx.auth.now()}
    return ctx.auth.db.update_user(ctx, user.id, changes) or user


def sign_in_user(ctx: Context, plugin: SocialPlugin, provider: OAuthProvider, info: UserInfo,
                 columns: dict[str, Any], *, disable_sign_up: bool,
                 callback_url: str | None) -> SignedIn:
    """Resolve (or create) the user for ``info`` and open a session."""
    auth = ctx.auth
    opts = plugin.options
    linking = opts.account_linking
    email = (info.email or "").lower()
    now = auth.now()
    is_register = False
    account = accounts.find_by_provider(auth, provider.id, info.id)
    user: User | None
    if account is not None:
        user = auth.db.get_user_by_id(account.user_id)
        if user is None:
            raise OAuthUserError("unable to link account")
        if opts.update_account_on_sign_in:
            changes = accounts.present({k: v for k, v in columns.items() if k != "scope"})
            if changes:
                auth.db.update_account(ctx, account.id, {**changes, "updatedAt": now})
        if info.email_verified and not user.email_verified and email == user.email:
            user = auth.db.update_user(ctx, user.id, {"emailVerified": True,
                                                      "updatedAt": now}) or user
        if provider.override_user_info_on_sign_in:
            user = _override(ctx, user, info)
    else:
        user = auth.db.get_user_by_email(email)
        if user is not None:
            trusted = provider.id in linking.trusted(ctx.request)
            if (not (trusted or info.email_verified)
                    or (linking.require_local_email_verified and not user.email_verified)
                    or not linking.enabled or linking.disable_implicit_linking):
                raise OAuthUserError("account not linked")
            try:
                created = auth.db.create_account(ctx, accounts.new_account(
                    auth, row_id=generate_id(), provider_id=provider.id, account_id=info.id,
                    user_id=user.id, columns=columns, now=now))
            except DuplicateError:
                created = None
            if created is None:
                raise OAuthUserError("unable to link account")
            if linking.update_user_info_on_link:
                user = _copy_profile(ctx, user, info)
            if provider.override_user_info_on_sign_in:
                user = _override(ctx, user, info)
        else:
            if disable_sign_up:
                raise OAuthUserError("signup disabled")
            user = _create_user(ctx, provider, info, email, columns)
            is_register = True
    if provider.require_email_verification and not user.email_verified:
        if is_register:
            send_verification_email(ctx, user, callback_url or "/")
        raise OAuthUserError("email_not_verified")
    try:
        session = auth.sessions.create(ctx, user)
    except APIError as exc:
        if exc.code != "FAILED_TO_CREATE_SESSION":
            raise
        raise OAuthUserError("unable to create session") from None
    return SignedIn(user, session, is_register)


def _create_user(ctx: Context, provider: OAuthProvider, info: UserInfo, email: str,
                 columns: dict[str, Any]) -> User:
    auth = ctx.auth
    now = auth.now()
    data: dict[str, Any] = {
        "id": generate_id(), "name": info.name or "", "email": email,
        "emailVerified": info.email_verified, "image": info.image,
        "createdAt": now, "updatedAt": now, **_user_values(ctx, info),
    }
    try:
        with auth.db.transaction() as tx:
            user = tx.create_user(ctx, data)
            if user is None:
                raise OAuthUserError("unable to create user")
            account = tx.create_account(ctx, accounts.new_account(
                auth, row_id=generate_id(), provider_id=provider.id, account_id=info.id,
                user_id=user.id, columns=columns, now=now))
            if account is None:
                raise OAuthUserError("unable to create user")
    except DuplicateError:
        raise OAuthUserError("unable to create user") from None
    ev = auth.options.email_verification
    send_on_sign_up = ev.send_on_sign_up
    if send_on_sign_up is None:
        send_on_sign_up = auth.options.email_and_password.require_email_verification
    if send_on_sign_up and not user.email_verified and not provider.require_email_verification:
        send_verification_email(ctx, user, "/")
    return user


def link_to_user(ctx: Context, plugin: SocialPlugin, provider: OAuthProvider, info: UserInfo,
                 columns: dict[str, Any], *, user_id: str, email: str,
                 merge_scope: bool) -> None:
    """``/link-social``'s second half: attach the provider account to ``user_id``.

    Raises ``OAuthUserError`` with ``unable to link account``, ``email does not match`` or
    ``account already linked to different user``.
    """
    auth = ctx.auth
    linking = plugin.options.account_linking
    trusted = provider.id in linking.trusted(ctx.request)
    if (not trusted and not info.email_verified) or not linking.enabled:
        raise OAuthUserError("unable to link account")
    if (info.email or "").lower() != email.lower() and not linking.allow_different_emails:
        raise OAuthUserError("email does not match")
    now = auth.now()
    existing = accounts.find_by_provider(auth, provider.id, info.id)
    if existing is not None:
        if existing.user_id != user_id:
            raise OAuthUserError("account already linked to different user")
        changes = accounts.present({k: v for k, v in columns.items() if k != "scope"})
        if merge_scope and columns.get("scope"):
            merged: list[str] = []
            for part in [*(existing.scope or "").split(","), *columns["scope"].split(",")]:
                if part and part not in merged:
                    merged.append(part)
            changes["scope"] = ",".join(merged)
        auth.db.update_account(ctx, existing.id, {**changes, "updatedAt": now})
    else:
        try:
            created = auth.db.create_account(ctx, accounts.new_account(
                auth, row_id=generate_id(), provider_id=provider.id, account_id=info.id,
                user_id=user_id, columns=columns, now=now))
        except DuplicateError:
            created = None
        if created is None:
            raise OAuthUserError("unable to link account")
    if linking.update_user_info_on_link:
        user = auth.db.get_user_by_id(user_id)
        if user is not None:
            _copy_profile(ctx, user, info)
