"""The signed-in user's own account: password, profile, deletion, linked accounts
(docs/wire-compatibility.md#change-password, docs/wire-compatibility.md#update-user,
docs/wire-compatibility.md#delete-user, docs/wire-compatibility.md#corrections;
``/verify-password``, ``/list-accounts``).

Every route here needs a session; the ones that can lock a user out or destroy data
(change-password, delete-user, verify-password) read it "sensitively", straight from the
database, so a revoked session can never authorise them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from ..cookies import encode_value
from ..errors import APIError, Redirect
from ..js import truthy
from ..models import Account, Session, User, Verification, masked_repr
from ..origins import check_callback_url
from ..passwords import verify_any
from ..tokens import LOWER_ALPHANUMERIC, generate_id, random_string
from ..user_callbacks import call_user_callback
from ..validation import Body, validate
from .context import Context
from .fields import parse_input_fields
from .registry import Endpoint, endpoint
from .sign_up import check_password_length

log = logging.getLogger("authkit")

DELETE_TOKEN_PREFIX = "delete-account-"


# -- change-password -----------------------------------------------------------------------------

class ChangePasswordBody(Body):
    """Body of ``/change-password``."""

    newPassword: str
    currentPassword: str
    revokeOtherSessions: bool | None = None


@dataclass
class ChangePasswordResult:
    """``{token, user}``; ``token`` is the new session's only when other sessions were revoked."""

    token: str | None
    user: User

    def __repr__(self) -> str:
        return masked_repr(self)  # the session token never prints

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"token": self.token, "user": self.user.to_json()}


def _credential_password(ctx: Context, user_id: str) -> Account:
    account = ctx.auth.db.get_credential_account(user_id)
    if account is None or not account.password:
        raise APIError(400, "CREDENTIAL_ACCOUNT_NOT_FOUND")
    return account


def change_password(ctx: Context) -> ChangePasswordResult:
    """Replace the password after checking the current one (docs/security.md#credentials, ASVS
    6.2.3)."""
    auth = ctx.auth
    current = ctx.require_session(sensitive=True)
    body: ChangePasswordBody = ctx.body
    check_password_length(ctx, body.newPassword)
    check_password_length(ctx, body.currentPassword, minimum=False)
    account = _credential_password(ctx, current.user.id)
    # Hash before verifying, as Better Auth does: a wrong current password costs the same.
    new_hash = auth.hasher.hash(body.newPassword)
    assert account.password is not None
    if not verify_any(body.currentPassword, account.password, auth.hasher):
        raise APIError(400, "INVALID_PASSWORD")
    revoke = bool(body.revokeOtherSessions)
    new_session: Session | None = None
    with auth.db.transaction() as tx:
        if revoke:
            # Every session goes, the caller's too: a thief's copy of the current cookie must
            # not survive the change either (ASVS 7.4.3). The caller gets a brand-new one.
            tx.delete_user_sessions(ctx, current.user.id)
        if not tx.update_account(ctx, account.id, {"password": new_hash,
                                                   "updatedAt": auth.now()}):
            # A database hook vetoed the write: roll back rather than report a change.
            raise APIError(500, "FAILED_TO_UPDATE_USER")
        if revoke:
            # Inside the transaction: a failed session leaves the old password and sessions.
            try:
                new_session = auth.sessions.create(ctx, current.user, db=tx, status=500)
            except APIError as exc:
                if exc.code != "FAILED_TO_CREATE_SESSION":
                    raise
                raise APIError(500, "FAILED_TO_GET_SESSION") from None
    if new_session is None:
        return ChangePasswordResult(None, current.user)
    auth.sessions.set_cookies(ctx, new_session, current.user)
    return ChangePasswordResult(new_session.token, current.user)


# -- update-user ---------------------------------------------------------------------------------

class UpdateUserBody(Body):
    """Body of ``/update-user``: any object (zod ``record``); the handler picks the keys."""

    schema_types: ClassVar[tuple[str, ...]] = ("record",)


class _Name(Body):
    name: str


class _Image(Body):
    image: str


def update_user(ctx: Context) -> dict[str, Any]:
    """Change ``name``, ``image`` and declared additional fields; never the email.

    Fields the client may not set (``input=False``: ``role``, ``banned`` …) are refused, and
    undeclared ones (``emailVerified``, ``id``, ``createdAt`` …) dropped
    (docs/security.md#authorization).
    """
    auth = ctx.auth
    current = ctx.require_session()
    data: dict[str, Any] = dict(ctx.body.model_extra or {})
    if truthy(data.get("email")):
        raise APIError(400, "EMAIL_CAN_NOT_BE_UPDATED")
    # Better Auth stores name and image as given; authkit still refuses a non-string, which
    # would otherwise be a 500 from a NOT NULL or text column (validation.py,
    # docs/security.md#input-validation).
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = validate(_Name, {"name": data["name"]}, "body").name
    if "image" in data:
        image = data["image"]
        changes["image"] = None if image is None else validate(
            _Image, {"image": image}, "body").image
    rest = {k: v for k, v in data.items() if k not in ("name", "image")}
    changes.update(parse_input_fields(auth.user_fields, rest, action="update"))
    if not changes:
        raise APIError(400, None, "No fields to update", body_kind="message")
    changes["updatedAt"] = auth.now()
    updated = auth.db.update_user(ctx, current.user.id, changes) or current.user
    # Re-issue the session cookie with a fresh Max-Age, as Better Auth does
    # (docs/wire-compatibility.md#update-user).
    auth.sessions.reissue_cookies(ctx, current.session, updated)
    return {"status": True}


# -- delete-user ---------------------------------------------------------------------------------

class DeleteUserBody(Body):
    """Body of ``/delete-user``."""

    callbackURL: str | None = None
    password: str | None = None
    token: str | None = None


class DeleteUserCallbackQuery(Body):
    """Query of ``/delete-user/callback``."""

    token: str
    callbackURL: str | None = None


@dataclass
class DeleteUserResult:
    """``{success: true, message}``: "User deleted" or "Verification email sent"."""

    success: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        """The wire shape."""
        return {"success": self.success, "message": self.message}


def _delete_current_user(ctx: Context, user: User) -> None:
    """``before_delete``, the rows, the cookies, ``after_delete`` (Better Auth's order).

    A ``before_delete`` callback aborts the deletion by raising ``APIError``.
    """
    auth = ctx.auth
    opts = auth.options.user
    if opts.before_delete is not None:
        call_user_callback(opts.before_delete, user=user, request=ctx.request)
    auth.db.delete_user(ctx, user)
    # The schema cascades, but a database shared with Node may lack the constraint.
    auth.db.delete_user_sessions(ctx, user.id)
    auth.sessions.clear_cookies(ctx)
    if opts.after_delete is not None:
        call_user_callback(opts.after_delete, user=user, request=ctx.request)


def _take_delete_token(ctx: Context, user: User, token: str) -> Verification:
    """Consume the user's own unexpired delete-account token, or 404 ``INVALID_TOKEN``.

    Unlike Better Auth, a token presented by another user is not consumed: bob holding
    alice's link must not be able to burn it (docs/security.md#emailed-tokens). Of concurrent uses
    exactly one wins,
    because the consuming DELETE is atomic (docs/security.md#concurrency).
    """
    auth = ctx.auth
    identifier = DELETE_TOKEN_PREFIX + token
    found = auth.db.find_verification(identifier)
    if found is None or found.value != user.id:
        raise APIError(404, "INVALID_TOKEN")
    taken = auth.db.consume_verification(ctx, identifier)
    if taken is None or taken.value != user.id or taken.expires_at <= auth.now():
        raise APIError(404, "INVALID_TOKEN")
    return taken


def _send_delete_verification(ctx: Context, user: User, callback_url: str | None) -> None:
    auth = ctx.auth
    opts = auth.options.user
    assert opts.send_delete_account_verification is not None
    token = random_string(32, LOWER_ALPHANUMERIC)
    now = auth.now()
    created = auth.db.create_verification(ctx, Verification(
        id=generate_id(), identifier=DELETE_TOKEN_PREFIX + token, value=user.id,
        expires_at=now + timedelta(seconds=opts.delete_token_expires_in),
        created_at=now, updated_at=now))
    if created is None:
        raise APIError(500, "FAILED_TO_CREATE_VERIFICATION")
    url = (f"{ctx.base_url}/delete-user/callback?token={token}"
           f"&callbackURL={encode_value(callback_url or '/')}")
    try:
        call_user_callback(opts.send_delete_account_verification, user=user, url=url,
                           token=token)
    except Exception:
        # Logged, never shown: a mail failure must not turn into a 500 with details.
        log.exception("sending the delete-account email to user %s failed", user.id)


def delete_user(ctx: Context) -> DeleteUserResult:
    """Delete the caller's account: with a token, after a password, or from a fresh session.

    With ``send_delete_account_verification`` configured (and no token) the deletion waits
    for the emailed link, whatever else the body holds.
    """
    auth = ctx.auth
    current = ctx.require_session(sensitive=True)  # 401 comes first (docs/wire-compatibility.md#corrections)
    if not auth.options.user.delete_user_enabled:
        raise APIError(404, body_kind="empty")
    body: DeleteUserBody = ctx.body
    user = current.user
    if body.password:
        check_password_length(ctx, body.password, minimum=False)
        account = _credential_password(ctx, user.id)
        assert account.password is not None
        if not verify_any(body.password, account.password, auth.hasher):
            raise APIError(400, "INVALID_PASSWORD")
    if body.token:
        _take_delete_token(ctx, user, body.token)
        _delete_current_user(ctx, user)
        return DeleteUserResult(True, "User deleted")
    if auth.options.user.send_delete_account_verification is not None:
        _send_delete_verification(ctx, user, body.callbackURL)
        return DeleteUserResult(True, "Verification email sent")
    if not body.password and not auth.sessions.is_fresh(current.session):
        raise APIError(400, "SESSION_EXPIRED")
    _delete_current_user(ctx, user)
    return DeleteUserResult(True, "User deleted")


def delete_user_callback(ctx: Context) -> DeleteUserResult:
    """The emailed link: delete the signed-in user whose token this is; 302 to callbackURL."""
    auth = ctx.auth
    query: DeleteUserCallbackQuery = ctx.query
    if ctx.request is not None and not auth.options.advanced.disable_origin_check:
        check_callback_url(query.callbackURL, auth.origins, ctx.request)
    if not auth.options.user.delete_user_enabled:
        raise APIError(404, "NOT_FOUND")
    current = auth.sessions.resolve(ctx, disable_cookie_cache=True)
    if current is None:
        raise APIError(404, "FAILED_TO_GET_USER_INFO")
    ctx.session = current
    _take_delete_token(ctx, current.user, query.token)
    _delete_current_user(ctx, current.user)
    if query.callbackURL:
        raise Redirect(query.callbackURL)
    return DeleteUserResult(True, "User deleted")


# -- verify-password, list-accounts --------------------------------------------------------------

class VerifyPasswordBody(Body):
    """Body of ``/verify-password``."""

    password: str


def verify_password(ctx: Context) -> dict[str, Any]:
    """Check the caller's password (re-authentication before a sensitive step)."""
    auth = ctx.auth
    current = ctx.require_session(sensitive=True)
    body: VerifyPasswordBody = ctx.body
    check_password_length(ctx, body.password, minimum=False)
    account = auth.db.get_credential_account(current.user.id)
    if (account is None or not account.password
            or not verify_any(body.password, account.password, auth.hasher)):
        raise APIError(400, "INVALID_PASSWORD")
    return {"status": True}


def list_accounts(ctx: Context) -> list[Account]:
    """The caller's linked accounts; ``Account.to_json`` never includes hashes or tokens."""
    current = ctx.require_session()
    return ctx.auth.db.get_accounts(current.user.id)


ENDPOINTS: list[Endpoint] = [
    endpoint("change_password", "/change-password", "POST", change_password,
             body=ChangePasswordBody, summary="Change the password of the user",
             error_codes=("UNAUTHORIZED", "PASSWORD_TOO_SHORT", "PASSWORD_TOO_LONG",
                          "CREDENTIAL_ACCOUNT_NOT_FOUND", "INVALID_PASSWORD",
                          "FAILED_TO_GET_SESSION")),
    endpoint("update_user", "/update-user", "POST", update_user, body=UpdateUserBody,
             summary="Update the current user",
             error_codes=("UNAUTHORIZED", "EMAIL_CAN_NOT_BE_UPDATED", "FIELD_NOT_ALLOWED",
                          "VALIDATION_ERROR")),
    endpoint("delete_user", "/delete-user", "POST", delete_user, body=DeleteUserBody,
             summary="Delete the user",
             error_codes=("UNAUTHORIZED", "PASSWORD_TOO_LONG", "CREDENTIAL_ACCOUNT_NOT_FOUND",
                          "INVALID_PASSWORD", "INVALID_TOKEN", "SESSION_EXPIRED")),
    endpoint("delete_user_callback", "/delete-user/callback", "GET", delete_user_callback,
             query=DeleteUserCallbackQuery,
             summary="Complete a user deletion with the emailed token",
             error_codes=("NOT_FOUND", "INVALID_CALLBACK_URL", "FAILED_TO_GET_USER_INFO",
                          "INVALID_TOKEN")),
    endpoint("verify_password", "/verify-password", "POST", verify_password,
             body=VerifyPasswordBody, summary="Verify the current user's password",
             error_codes=("UNAUTHORIZED", "PASSWORD_TOO_LONG", "INVALID_PASSWORD")),
    endpoint("list_user_accounts", "/list-accounts", "GET", list_accounts,
             summary="List all accounts linked to the user", error_codes=("UNAUTHORIZED",)),
]
