"""Turning 2FA on and off and managing its material: enable, disable, get-totp-uri,
generate-backup-codes, and the server-only view-backup-codes and generate-totp.

Each reads the caller's session from the store (never a cookie-cache copy) and re-checks the
password, because each reveals or replaces a credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ...crypto.symmetric import symmetric_encrypt
from ...errors import APIError
from ...models import Session, SessionWithUser, User
from ...second_factor import FIELD
from ...validation import Body, CoercedStr
from . import backup_codes, totp
from .errors import tf_error, totp_not_configured
from .password import require_password
from .schema import TABLE

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import TwoFactorPlugin


class PasswordBody(Body):
    """``{password}``."""

    password: str


class OptionalPasswordBody(Body):
    """``{password?}`` (``allow_passwordless``)."""

    password: str | None = None


class EnableBody(PasswordBody):
    """Body of ``/two-factor/enable``."""

    method: Literal["otp", "totp"] = "totp"
    issuer: str | None = None


class EnablePasswordlessBody(OptionalPasswordBody):
    """Body of ``/two-factor/enable`` with ``allow_passwordless``."""

    method: Literal["otp", "totp"] = "totp"
    issuer: str | None = None


class UserIdBody(Body):
    """``{userId}`` of the server-only view-backup-codes."""

    userId: CoercedStr


class SecretBody(Body):
    """``{secret}`` of the server-only generate-totp."""

    secret: str


def rotate_session(ctx: Context, current: Session, user: User,
                   factor: str | None = None) -> Session:
    """Replace the caller's session with a new one (new token, same extras): the answer to
    every change of the user's 2FA state, so a token copied before it stops working.
    ``factor``: the second factor just passed, recorded on the new session."""
    auth = ctx.auth
    extra = dict(current.extra)
    if factor is not None:
        extra[FIELD] = factor
    new = auth.sessions.create(ctx, user, extra=extra, status=500)
    auth.sessions.reissue_cookies(ctx, new, user)
    auth.db.delete_session(ctx, current.token)
    return new


def set_enabled(ctx: Context, user: User, enabled: bool) -> User:
    """Write ``user.twoFactorEnabled``."""
    updated = ctx.auth.db.update_user(ctx, user.id, {"twoFactorEnabled": enabled,
                                                     "updatedAt": ctx.auth.now()})
    if updated is None:
        raise APIError(400, "FAILED_TO_UPDATE_USER")
    return updated


def enable(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/enable."""
    opts = plugin.options
    found: SessionWithUser = ctx.require_session(sensitive=True)
    user = found.user
    body = ctx.body
    require_password(ctx, user.id, body.password, allow_passwordless=opts.allow_passwordless)
    if body.method == "otp" and not opts.otp_enabled:
        raise tf_error(400, "OTP_NOT_CONFIGURED")
    if body.method == "totp" and opts.totp_options.disable:
        raise tf_error(400, "TOTP_NOT_CONFIGURED")
    if body.method == "otp":
        rotate_session(ctx, found.session, set_enabled(ctx, user, True))
        return {"method": "otp"}
    storage = ctx.auth.storage
    existing = storage.find_row(TABLE, {"userId": user.id})
    if existing is not None and existing.get("verified") is not False:
        raise tf_error(400, "TOTP_ALREADY_ENABLED")
    codes = backup_codes.generate(opts.backup_code_options.amount,
                                  opts.backup_code_options.length)
    secret = totp.generate_secret()
    skip = opts.skip_verification_on_enable
    if skip:
        rotate_session(ctx, found.session, set_enabled(ctx, user, True))
    values = {"secret": symmetric_encrypt(ctx.auth.secret_config, secret),
              "backupCodes": plugin.encode_codes(ctx, codes), "verified": skip}
    if existing is not None:
        storage.update_rows(TABLE, {"id": existing["id"]}, values)
    else:
        storage.create_row(TABLE, {**values, "userId": user.id})
    issuer = body.issuer or opts.issuer or ctx.auth.app_name
    tot = opts.totp_options
    return {"method": "totp",
            "totpURI": totp.uri(secret, issuer=issuer, account=user.email, digits=tot.digits,
                                period=tot.period),
            "backupCodes": codes}


def disable(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/disable: 2FA off, its row gone, this browser's trust forgotten."""
    found = ctx.require_session(sensitive=True)
    require_password(ctx, found.user.id, ctx.body.password,
                     allow_passwordless=plugin.options.allow_passwordless)
    updated = set_enabled(ctx, found.user, False)
    ctx.auth.storage.delete_rows(TABLE, {"userId": updated.id})
    rotate_session(ctx, found.session, updated)
    plugin.trust.revoke(ctx)
    return {"status": True}


def get_totp_uri(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/get-totp-uri: the authenticator-app URI again (password first)."""
    tot = plugin.options.totp_options
    if tot.disable:
        raise totp_not_configured()
    found = ctx.require_session(sensitive=True)
    row = ctx.auth.storage.find_row(TABLE, {"userId": found.user.id})
    if row is None:
        raise tf_error(400, "TOTP_NOT_ENABLED")
    secret = plugin.decrypt_secret(ctx, row)
    require_password(ctx, found.user.id, ctx.body.password,
                     allow_passwordless=plugin.options.allow_passwordless)
    issuer = tot.issuer or ctx.auth.app_name
    return {"totpURI": totp.uri(secret, issuer=issuer, account=found.user.email,
                                digits=tot.digits, period=tot.period)}


def generate_backup_codes(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/generate-backup-codes: a new set replaces every old code."""
    found = ctx.require_session(sensitive=True)
    if not found.user.extra.get("twoFactorEnabled"):
        raise tf_error(400, "TWO_FACTOR_NOT_ENABLED")
    require_password(ctx, found.user.id, ctx.body.password,
                     allow_passwordless=plugin.options.allow_passwordless)
    storage = ctx.auth.storage
    row = storage.find_row(TABLE, {"userId": found.user.id})
    if row is None:
        raise tf_error(400, "TWO_FACTOR_NOT_ENABLED")
    bc = plugin.options.backup_code_options
    codes = backup_codes.generate(bc.amount, bc.length)
    storage.update_rows(TABLE, {"id": row["id"]}, {"backupCodes": plugin.encode_codes(ctx, codes)})
    return {"status": True, "backupCodes": codes}


def view_backup_codes(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """Server-only: a user's remaining backup codes (``auth.api.view_backup_codes``)."""
    row = ctx.auth.storage.find_row(TABLE, {"userId": ctx.body.userId})
    if row is None:
        raise tf_error(400, "BACKUP_CODES_NOT_ENABLED")
    codes = plugin.decode_codes(ctx, row)
    if codes is None:
        raise tf_error(400, "INVALID_BACKUP_CODE")
    return {"status": True, "backupCodes": codes}


def generate_totp(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """Server-only: the current code of a secret (``auth.api.generate_totp``), for tests."""
    tot = plugin.options.totp_options
    if tot.disable:
        raise totp_not_configured()
    return {"code": totp.code_at(ctx.body.secret, ctx.auth.now().timestamp(), digits=tot.digits,
                                 period=tot.period)}
