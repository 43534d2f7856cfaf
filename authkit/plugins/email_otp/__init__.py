"""``email_otp()``: one-time codes by email for sign-in, verification, reset and change of
address.

::

    from authkit.plugins.email_otp import email_otp, email_otp_mail

    auth = AuthKit(..., plugins=[email_otp(send_verification_otp=email_otp_mail(sender))])

Routes (each also on ``auth.api``): ``POST /email-otp/send-verification-otp`` ``{email, type}``
(``sign-in``, ``email-verification`` or ``forget-password``), ``/email-otp/check-verification-otp``
(checks without using the code), ``/sign-in/email-otp`` ``{email, otp, name?, image?}`` (signs
in, creating a verified user unless ``disable_sign_up``), ``/email-otp/verify-email``,
``/email-otp/request-password-reset`` (and the older ``/forget-password/email-otp``),
``/email-otp/reset-password`` ``{email, otp, password}``, and with ``change_email_enabled``
``/email-otp/request-email-change`` and ``/email-otp/change-email``. Server-only:
``auth.api.create_verification_otp(body={email, type})`` and
``auth.api.get_verification_otp(query={email, type})``.

A code has ``otp_length`` digits, lives ``expires_in`` seconds, works once and allows
``allowed_attempts`` wrong guesses; after them even the right code is refused. ``store_otp``
keeps codes ``"plain"``, ``"hashed"`` (SHA-256) or ``"encrypted"`` (the core's symmetric
encryption with the auth secret). Each path has its own rate limit (3 per minute and address
by default). ``send_verification_otp`` is any plain or ``async`` callable taking the keywords
``email``, ``otp`` and ``type`` (and ``request`` if it accepts it); what it raises is logged,
never answered.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from ... import verifications
from ...callbacks import call_user_callback
from ...errors import ConfigError
from ...hooks import HookMatcher
from ...mail.dispatch import accepts, one_line
from ...models import Verification
from ...ratelimit import PluginRateLimit
from ...tokens import generate_id
from ..base import Plugin
from .errors import EMAIL_OTP_ERROR_CODES
from .mail import DEFAULT_TEMPLATE, EmailOTPMail, email_otp_mail
from .store import CodeStore, StoreMode

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

__all__ = [
    "DEFAULT_TEMPLATE",
    "EMAIL_OTP_ERROR_CODES",
    "EmailOTPMail",
    "EmailOTPOptions",
    "EmailOTPPlugin",
    "email_otp",
    "email_otp_mail",
]

log = logging.getLogger("authkit.mail")

# Better Auth gives each of these paths its own rule (exact match).
RATE_LIMITED_PATHS = frozenset({
    "/email-otp/send-verification-otp", "/email-otp/check-verification-otp",
    "/email-otp/verify-email", "/sign-in/email-otp", "/email-otp/request-password-reset",
    "/forget-password/email-otp", "/email-otp/reset-password",
    "/email-otp/request-email-change", "/email-otp/change-email",
})


@dataclass(frozen=True, kw_only=True)
class EmailOTPOptions:
    """The options of ``email_otp()`` (Better Auth's, in snake_case)."""

    send_verification_otp: Callable[..., Any]
    otp_length: int = 6
    expires_in: int = 300
    allowed_attempts: int = 3
    store_otp: StoreMode = "plain"
    resend_strategy: Literal["rotate", "reuse"] = "rotate"
    disable_sign_up: bool = False
    send_verification_on_sign_up: bool = False
    override_default_email_verification: bool = False
    change_email_enabled: bool = False
    change_email_verify_current: bool = False
    generate_otp: Callable[..., str | None] | None = None
    rate_limit_window: int = 60
    rate_limit_max: int = 3


class EmailOTPPlugin(Plugin):
    """See ``email_otp()``."""

    id = "email-otp"
    error_codes = EMAIL_OTP_ERROR_CODES

    def __init__(self, options: EmailOTPOptions) -> None:
        from . import endpoints, hooks

        self.options = options
        self._auth: AuthKit | None = None
        self.store = CodeStore(options.store_otp, options.allowed_attempts, options.expires_in,
                               self._require_auth)
        self.rate_limit = tuple(
            PluginRateLimit(path_matcher=_exactly(path), window=options.rate_limit_window, max=options.rate_limit_max)
            for path in sorted(RATE_LIMITED_PATHS))
        self.routes, self._endpoints = endpoints.build(self)
        # With the override, the core's own send-on-sign-up already mails a code.
        if (options.send_verification_on_sign_up
                and not options.override_default_email_verification):
            self.after = (HookMatcher(hooks.is_sign_up, hooks.send_on_sign_up(self)),)

    def init(self, auth: AuthKit) -> None:
        self._auth = auth
        if self.options.override_default_email_verification:
            # Every verification email of the core (the route, on sign-up, on sign-in) then
            # carries a code instead of a link, as Better Auth's option does.
            ev = auth.options.email_verification
            auth.options.email_verification = dataclasses.replace(
                ev, send_verification_email=self._send_code_instead_of_link)

    def _send_code_instead_of_link(self, *, user: Any, **_: Any) -> None:
        auth = self._require_auth()
        email = str(user.email).lower()
        ident = f"email-verification-otp-{email}"
        if auth.options.verification.store_identifier == "hashed":
            ident = verifications.hash_identifier(ident)
        code = self.generate(email, "email-verification")
        now = auth.now()
        auth.db.create_verification(None, Verification(
            id=generate_id(), identifier=ident, value=f"{self.store.encode(code)}:0",
            expires_at=now + timedelta(seconds=self.options.expires_in), created_at=now,
            updated_at=now))
        call_user_callback(self.options.send_verification_otp, email=user.email, otp=code,
                           type="email-verification")

    def _require_auth(self) -> AuthKit:
        if self._auth is None:
            raise ConfigError("email_otp(): the plugin is not attached to an AuthKit")
        return self._auth

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    # -- codes -------------------------------------------------------------------------------
    def generate(self, email: str, otp_type: str) -> str:
        """A new code: ``generate_otp`` when it returns one, else random digits."""
        if self.options.generate_otp is not None:
            custom = call_user_callback(self.options.generate_otp, email=email, type=otp_type)
            if custom:
                return str(custom)
        return "".join(secrets.choice("0123456789") for _ in range(self.options.otp_length))

    def new_or_reused_code(self, ctx: Context, ident: str, email: str, otp_type: str) -> str:
        """Store a code under ``ident`` (or, with ``resend_strategy="reuse"``, extend the live
        one when it can be recovered and has attempts left) and return it."""
        if self.options.resend_strategy == "reuse":
            reused = self.store.reusable(ctx, ident)
            if reused is not None:
                return reused
        code = self.generate(email, otp_type)
        self.store.issue(ctx, ident, code)
        return code

    def send(self, ctx: Context, *, email: str, otp: str, otp_type: str) -> None:
        """Call ``send_verification_otp``; a failure is logged (without the code)."""
        callback = self.options.send_verification_otp
        kwargs: dict[str, Any] = {"email": email, "otp": otp, "type": otp_type}
        if accepts(callback, "request"):
            kwargs["request"] = ctx.request
        try:
            call_user_callback(callback, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a failed send must not tell who exists
            log.warning("email-otp %s email was not sent: %s", otp_type,
                        one_line(f"{type(exc).__name__}: {exc}", otp))


def _exactly(path: str) -> Callable[[str], bool]:
    return lambda candidate: candidate == path


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"email_otp({name}=...) must be a positive whole number")


def email_otp(
    *,
    send_verification_otp: Callable[..., Any],
    otp_length: int = 6,
    expires_in: int = 300,
    allowed_attempts: int = 3,
    store_otp: StoreMode = "plain",
    resend_strategy: Literal["rotate", "reuse"] = "rotate",
    disable_sign_up: bool = False,
    send_verification_on_sign_up: bool = False,
    override_default_email_verification: bool = False,
    change_email: dict[str, bool] | None = None,
    generate_otp: Callable[..., str | None] | None = None,
    rate_limit: dict[str, int] | None = None,
) -> EmailOTPPlugin:
    """The email-OTP plugin.

    ``override_default_email_verification`` makes the core's verification emails carry an
    email-verification code instead of a link. ``change_email`` ``{"enabled": False, "verify_current_email": False}`` turns on change of
    address by code (and asks for a code sent to the current address first);
    ``generate_otp(email=, type=)`` may return a code of its own (a falsy value falls back to
    random digits); ``rate_limit`` ``{"window": 60, "max": 3}`` applies to each path.
    """
    if not callable(send_verification_otp):
        raise ConfigError("email_otp(send_verification_otp=...) must be a callable")
    for name, value in (("otp_length", otp_length), ("expires_in", expires_in),
                        ("allowed_attempts", allowed_attempts)):
        _positive(name, value)
    if store_otp not in ("plain", "hashed", "encrypted"):
        raise ConfigError("email_otp(store_otp=...) must be 'plain', 'hashed' or 'encrypted'")
    if resend_strategy not in ("rotate", "reuse"):
        raise ConfigError("email_otp(resend_strategy=...) must be 'rotate' or 'reuse'")
    change = {"enabled": False, "verify_current_email": False, **(change_email or {})}
    if set(change) != {"enabled", "verify_current_email"}:
        raise ConfigError("email_otp(change_email=...) takes 'enabled' and "
                          "'verify_current_email'")
    limits = {"window": 60, "max": 3, **(rate_limit or {})}
    if set(limits) != {"window", "max"}:
        raise ConfigError("email_otp(rate_limit=...) takes 'window' and 'max'")
    return EmailOTPPlugin(EmailOTPOptions(
        send_verification_otp=send_verification_otp, otp_length=otp_length,
        expires_in=expires_in, allowed_attempts=allowed_attempts, store_otp=store_otp,
        resend_strategy=resend_strategy, disable_sign_up=disable_sign_up,
        send_verification_on_sign_up=send_verification_on_sign_up,
        override_default_email_verification=override_default_email_verification,
        change_email_enabled=bool(change["enabled"]),
        change_email_verify_current=bool(change["verify_current_email"]),
        generate_otp=generate_otp, rate_limit_window=limits["window"],
        rate_limit_max=limits["max"]))
