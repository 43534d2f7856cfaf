"""Passing a second factor: verify-totp, send-otp, verify-otp, verify-backup-code.

Each works signed in (confirming a factor, which also turns 2FA on) or in a sign-in waiting
on its challenge (see ``challenge``). In a sign-in, a wrong code counts against both the
challenge (five tries) and the account (``account_lockout``); a locked account is refused
before any code is checked.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from ... import single_use_tokens
from ...crypto.symmetric import symmetric_decrypt, symmetric_encrypt
from ...errors import APIError
from ...single_use_tokens import hash_identifier
from ...tokens import random_string
from ...validation import MISSING, Body, validate
from . import backup_codes, totp
from .challenge import Verifier, resolve
from .errors import otp_not_configured, tf_error, totp_not_configured
from .lockout import assert_not_locked, record_failure, reset_failures
from .schema import TABLE
from .setup_routes import rotate_session, set_enabled

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from . import TwoFactorPlugin


class VerifyCodeBody(Body):
    """``{code, trustDevice?}``."""

    code: str
    trustDevice: bool | None = None


class SendOtpBody(Body):
    """``{trustDevice?}`` (the body itself is optional)."""

    trustDevice: bool | None = None


class VerifyBackupCodeBody(Body):
    """``{code, disableSession?, trustDevice?}``."""

    code: str
    disableSession: bool | None = None
    trustDevice: bool | None = None


# Longer codes cannot match anything stored; refusing them early keeps hashing bounded.
MAX_CODE_LENGTH = 128


def _row(ctx: Context, v: Verifier) -> dict[str, Any] | None:
    return ctx.auth.storage.find_row(TABLE, {"userId": v.user.id})


def verify_totp(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/verify-totp."""
    opts = plugin.options
    if opts.totp_options.disable:
        raise totp_not_configured()
    v = resolve(plugin, ctx)
    row = _row(ctx, v)
    if row is None or (v.signing_in and row.get("verified") is False):
        raise tf_error(400, "TOTP_NOT_ENABLED")
    if v.signing_in:
        assert_not_locked(ctx, opts.account_lockout, row)
    attempt = v.begin_attempt(ctx)
    try:
        secret = plugin.decrypt_secret(ctx, row)
    except APIError:
        if attempt is not None:
            attempt.restore()
        raise
    tot = opts.totp_options
    code: str = ctx.body.code
    if not totp.verify(secret, code, digits=tot.digits, period=tot.period,
                       now=ctx.auth.now().timestamp()):
        if attempt is not None:
            attempt.record_failure()
        if v.signing_in:
            record_failure(ctx, opts.account_lockout, row)
        raise tf_error(401, "INVALID_CODE")
    if v.signing_in:
        reset_failures(ctx, opts.account_lockout, row)
    if row.get("verified") is not True:
        if not v.user.extra.get("twoFactorEnabled") and v.session is not None:
            rotate_session(ctx, v.session, set_enabled(ctx, v.user, True), "totp")
        ctx.auth.storage.update_rows(TABLE, {"id": row["id"]}, {"verified": True})
    # Signed in, the answer carries the request's (now replaced) token and the user as it was
    # before, as Better Auth answers; the new session is in the Set-Cookie.
    return v.success(ctx, "totp", trust_device=bool(ctx.body.trustDevice))


def _stored_otp(plugin: TwoFactorPlugin, ctx: Context, code: str) -> str:
    store = plugin.options.otp_options.store_otp
    if store == "hashed":
        return hash_identifier(code)
    if store == "encrypted":
        return symmetric_encrypt(ctx.auth.secret_config, code)
    return code


def _otp_matches(plugin: TwoFactorPlugin, ctx: Context, stored: str, given: str) -> bool:
    store = plugin.options.otp_options.store_otp
    if store == "hashed":
        expected, candidate = stored, hash_identifier(given)
    elif store == "encrypted":
        try:
            expected = symmetric_decrypt(ctx.auth.secret_config, stored)
        except ValueError:
            return False
        candidate = given
    else:
        expected, candidate = stored, given
    return hmac.compare_digest(expected.encode("utf-8"), candidate.encode("utf-8"))


def send_otp(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/send-otp: a new code to the user (``otp_options.send_otp``)."""
    otp = plugin.options.otp_options
    if otp.send_otp is None:
        raise otp_not_configured()
    if ctx.raw_body is not MISSING:
        ctx.body = validate(SendOtpBody, ctx.raw_body, "body")
    v = resolve(plugin, ctx)
    code = random_string(otp.digits, "0123456789")
    single_use_tokens.create(ctx, f"2fa-otp-{v.key}", f"{_stored_otp(plugin, ctx, code)}:0",
                         otp.period * 60)
    plugin.deliver_otp(ctx, v.user, code)
    return {"status": True}


def verify_otp(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/verify-otp."""
    opts = plugin.options
    v = resolve(plugin, ctx)
    row = _row(ctx, v) if v.signing_in else None
    if row is not None:
        assert_not_locked(ctx, opts.account_lockout, row)
    identifier = f"2fa-otp-{v.key}"
    taken = single_use_tokens.consume(ctx, identifier)
    if taken is None:
        raise tf_error(400, "OTP_HAS_EXPIRED")
    stored, _, counter = taken.value.rpartition(":")
    try:
        attempts = int(counter)
    except ValueError:
        attempts = 0
    if attempts >= opts.otp_options.allowed_attempts:
        raise tf_error(400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
    code: str = ctx.body.code
    if len(code) <= MAX_CODE_LENGTH and _otp_matches(plugin, ctx, stored, code):
        if row is not None:
            reset_failures(ctx, opts.account_lockout, row)
        if not v.user.extra.get("twoFactorEnabled"):
            if v.session is None:
                raise APIError(400, "FAILED_TO_CREATE_SESSION")
            updated = set_enabled(ctx, v.user, True)
            new = rotate_session(ctx, v.session, updated, "otp")
            return {"token": new.token, "user": updated}
        return v.success(ctx, "otp", trust_device=bool(ctx.body.trustDevice))
    single_use_tokens.create(ctx, identifier, f"{stored}:{attempts + 1}", 0,
                         expires_at=taken.expires_at)
    if row is not None:
        record_failure(ctx, opts.account_lockout, row)
    raise tf_error(401, "INVALID_CODE")


def verify_backup_code(plugin: TwoFactorPlugin, ctx: Context) -> dict[str, Any]:
    """POST /two-factor/verify-backup-code: a code works once (compare-and-swap on the
    stored list, so two concurrent uses of one code cannot both pass)."""
    opts = plugin.options
    v = resolve(plugin, ctx)
    row = _row(ctx, v)
    if row is None:
        raise tf_error(400, "BACKUP_CODES_NOT_ENABLED")
    if v.signing_in:
        assert_not_locked(ctx, opts.account_lockout, row)
    attempt = v.begin_attempt(ctx)
    body: VerifyBackupCodeBody = ctx.body
    codes = plugin.decode_codes(ctx, row)
    remaining = (backup_codes.take(codes, body.code)
                 if codes is not None and len(body.code) <= MAX_CODE_LENGTH else None)
    if remaining is None:
        if attempt is not None:
            attempt.record_failure()
        if v.signing_in:
            record_failure(ctx, opts.account_lockout, row)
        raise tf_error(401, "INVALID_BACKUP_CODE")
    swapped = ctx.auth.storage.update_rows(
        TABLE, {"id": row["id"], "backupCodes": row["backupCodes"]},
        {"backupCodes": plugin.encode_codes(ctx, remaining)})
    if not swapped:
        raise APIError(409, None, "Failed to verify backup code. Please try again.")
    if v.signing_in:
        reset_failures(ctx, opts.account_lockout, row)
    if not body.disableSession:
        return v.success(ctx, "backup-code", trust_device=bool(body.trustDevice))
    out: dict[str, Any] = {}
    if v.session is not None:
        out["token"] = v.session.token
    out["user"] = v.user
    return out
