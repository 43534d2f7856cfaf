"""``two_factor()``: TOTP, emailed codes, backup codes and trusted devices (Better Auth's
``twoFactor`` plugin, wire- and storage-compatible).

::

    from authkit.plugins.two_factor import two_factor, otp_mailer

    auth = AuthKit(..., plugins=[two_factor(
        issuer="Example",                                   # otpauth:// issuer (app_name)
        otp_options={"send_otp": otp_mailer(sender)},      # optional: codes by email
    )])

Endpoints under ``/two-factor/*`` (also ``auth.api.enable_two_factor(...)`` and so on):
``enable``, ``disable``, ``get-totp-uri``, ``verify-totp``, ``send-otp``, ``verify-otp``,
``verify-backup-code``, ``generate-backup-codes``; server-only ``view_backup_codes`` and
``generate_totp``. A password sign-in of a user with 2FA on answers
``{"twoFactorRedirect": true, "twoFactorMethods": [...]}`` and a ``two_factor`` cookie instead
of a session; one of the verify endpoints then finishes it. ``user.twoFactorEnabled`` and the
``twoFactor`` table (secret and backup codes encrypted with the app secret) are migrated by
``authkit migrate``. Helpers: ``session_passed_two_factor``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ...callbacks import call_user_callback
from ...config import coerce
from ...crypto.symmetric import DecryptionError, symmetric_decrypt
from ...errors import APIError
from ...hooks import HookMatcher
from ...mail.dispatch import one_line
from ...ratelimit import PluginRateLimit
from ...second_factor import SECOND_FACTOR_FIELD
from ...storage.fields import FieldSpec
from ..base import Plugin
from . import backup_codes, interception, setup_routes, verify_routes
from .errors import TWO_FACTOR_ERROR_CODES
from .mail import DEFAULT_OTP_TEMPLATE, OTPMailer, OTPTemplate, otp_mailer
from .options import (
    AccountLockout,
    BackupCodeOptions,
    OtpOptions,
    TotpOptions,
    TwoFactorOptions,
)
from .schema import TABLE, TWO_FACTOR_FIELDS, USER_FIELDS
from .trust import TrustedDevices

if TYPE_CHECKING:
    from ...cookies import CookieSpec
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint
    from ...models import User

__all__ = [
    "DEFAULT_OTP_TEMPLATE",
    "TWO_FACTOR_ERROR_CODES",
    "AccountLockout",
    "BackupCodeOptions",
    "OTPMailer",
    "OTPTemplate",
    "OtpOptions",
    "TotpOptions",
    "TwoFactorOptions",
    "TwoFactorPlugin",
    "otp_mailer",
    "two_factor",
]

log = logging.getLogger("authkit")

_CODES = tuple(TWO_FACTOR_ERROR_CODES)


class TwoFactorPlugin(Plugin):
    """See ``two_factor()``."""

    id = "two-factor"
    error_codes = TWO_FACTOR_ERROR_CODES
    user_fields: Sequence[FieldSpec] = USER_FIELDS
    session_fields: Sequence[FieldSpec] = (SECOND_FACTOR_FIELD,)
    tables: Mapping[str, Sequence[FieldSpec]] = {TABLE: TWO_FACTOR_FIELDS}
    # Better Auth's rule: 3 requests per 10 s per client on every /two-factor/* path, which
    # caps online guessing of the six-digit codes well below the lockout budget.
    rate_limit = (PluginRateLimit(lambda path: path.startswith("/two-factor/"), 10, 3),)

    def __init__(self, options: TwoFactorOptions) -> None:
        self.options = options
        self.trust = TrustedDevices(self)
        self.after = (HookMatcher(interception.is_sign_in,
                                  partial(interception.intercept, self)),)
        self._endpoints = self._build_endpoints()

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    # -- shared by the routes ------------------------------------------------------------
    def cookie(self, ctx: Context, key: str) -> CookieSpec:
        """The spec of ``two_factor`` / ``trust_device`` under the app's cookie rules."""
        return ctx.auth.cookies[key]

    def decrypt_secret(self, ctx: Context, row: Mapping[str, Any]) -> str:
        """The TOTP secret of a ``twoFactor`` row."""
        try:
            return symmetric_decrypt(ctx.auth.secret_config, str(row["secret"]))
        except DecryptionError:
            # Written under a secret this server does not have: nothing a client can fix.
            log.error("twoFactor row %s: the TOTP secret does not decrypt", row.get("id"))
            raise APIError(500, "INTERNAL_SERVER_ERROR") from None

    def encode_codes(self, ctx: Context, codes: list[str]) -> str:
        """The ``backupCodes`` column value of ``codes``."""
        return backup_codes.encode(codes, ctx.auth.secret_config,
                                   self.options.backup_code_options.store_backup_codes)

    def decode_codes(self, ctx: Context, row: Mapping[str, Any]) -> list[str] | None:
        """The backup codes of a row (``None`` when they cannot be read)."""
        return backup_codes.decode(str(row["backupCodes"]), ctx.auth.secret_config,
                                   self.options.backup_code_options.store_backup_codes)

    def deliver_otp(self, ctx: Context, user: User, code: str) -> None:
        """Hand a code to ``otp_options.send_otp``; a failure is logged, not answered."""
        send = self.options.otp_options.send_otp
        if send is None:
            return
        try:
            call_user_callback(send, user=user, otp=code)
        except Exception as exc:  # noqa: BLE001 - as Better Auth: logged, the answer stands
            log.error("Failed to send two-factor OTP to user %s: %s", user.id,
                      one_line(f"{type(exc).__name__}: {exc}", code))

    # -- the endpoint table --------------------------------------------------------------
    def _build_endpoints(self) -> list[Endpoint]:
        from ...endpoints.registry import endpoint

        passwordless = self.options.allow_passwordless
        password_body = (setup_routes.OptionalPasswordBody if passwordless
                         else setup_routes.PasswordBody)
        enable_body = (setup_routes.EnablePasswordlessBody if passwordless
                       else setup_routes.EnableBody)

        def ep(name: str, path: str | None, fn: Callable[..., Any], body: Any,
               summary: str, codes: tuple[str, ...] = _CODES) -> Endpoint:
            return endpoint(name, path, "POST", partial(fn, self), body=body, summary=summary,
                            error_codes=codes, plugin=self.id)

        return [
            ep("enable_two_factor", "/two-factor/enable", setup_routes.enable, enable_body,
               "Enable two factor authentication"),
            ep("disable_two_factor", "/two-factor/disable", setup_routes.disable,
               password_body, "Disable two factor authentication"),
            ep("get_totp_uri", "/two-factor/get-totp-uri", setup_routes.get_totp_uri,
               password_body, "Get the TOTP URI for authenticator apps"),
            ep("generate_backup_codes", "/two-factor/generate-backup-codes",
               setup_routes.generate_backup_codes, password_body,
               "Replace the backup codes"),
            ep("verify_totp", "/two-factor/verify-totp", verify_routes.verify_totp,
               verify_routes.VerifyCodeBody, "Verify a TOTP code"),
            ep("send_two_factor_otp", "/two-factor/send-otp", verify_routes.send_otp, None,
               "Send a two-factor code"),
            ep("verify_two_factor_otp", "/two-factor/verify-otp", verify_routes.verify_otp,
               verify_routes.VerifyCodeBody, "Verify a two-factor code"),
            ep("verify_backup_code", "/two-factor/verify-backup-code",
               verify_routes.verify_backup_code, verify_routes.VerifyBackupCodeBody,
               "Verify a backup code"),
            ep("view_backup_codes", None, setup_routes.view_backup_codes,
               setup_routes.UserIdBody, "A user's backup codes (server only)"),
            ep("generate_totp", None, setup_routes.generate_totp, setup_routes.SecretBody,
               "The current TOTP code of a secret (server only)"),
        ]


def two_factor(
    *,
    issuer: str | None = None,
    skip_verification_on_enable: bool = False,
    allow_passwordless: bool = False,
    two_factor_cookie_max_age: int = 600,
    trust_device_max_age: int = 30 * 24 * 3600,
    account_lockout: AccountLockout | Mapping[str, Any] | None = None,
    totp_options: TotpOptions | Mapping[str, Any] | None = None,
    otp_options: OtpOptions | Mapping[str, Any] | None = None,
    backup_code_options: BackupCodeOptions | Mapping[str, Any] | None = None,
) -> TwoFactorPlugin:
    """The two-factor plugin.

    ``issuer`` names the app in authenticator apps (default: ``AuthKit(app_name=...)``);
    ``skip_verification_on_enable`` turns 2FA on without a first code; ``allow_passwordless``
    lets users without a password manage 2FA without one; ``two_factor_cookie_max_age`` (600 s)
    is how long a sign-in may wait on its second factor and ``trust_device_max_age`` (30 days)
    how long a trusted browser skips it. The option groups take dicts:
    ``account_lockout={"enabled", "max_failed_attempts", "duration_seconds"}``,
    ``totp_options={"digits", "period", "disable", "issuer"}``,
    ``otp_options={"send_otp", "period" (minutes), "digits", "allowed_attempts", "store_otp"}``
    (no ``send_otp``: no emailed codes) and
    ``backup_code_options={"amount", "length", "store_backup_codes"}``.
    """
    return TwoFactorPlugin(TwoFactorOptions(
        issuer=issuer, skip_verification_on_enable=skip_verification_on_enable,
        allow_passwordless=allow_passwordless,
        two_factor_cookie_max_age=two_factor_cookie_max_age,
        trust_device_max_age=trust_device_max_age,
        account_lockout=coerce(AccountLockout, account_lockout, "two_factor(account_lockout)"),
        totp_options=coerce(TotpOptions, totp_options, "two_factor(totp_options)"),
        otp_options=coerce(OtpOptions, otp_options, "two_factor(otp_options)"),
        backup_code_options=coerce(BackupCodeOptions, backup_code_options,
                                   "two_factor(backup_code_options)"),
    ))
