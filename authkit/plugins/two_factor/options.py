"""The options of ``two_factor()`` (Better Auth's, in snake_case), checked at construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ...errors import ConfigError

OtpStore = Literal["plain", "hashed", "encrypted"]
BackupStore = Literal["encrypted", "plain"]


def _positive(label: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"two_factor({label}=...) must be a positive whole number")


@dataclass(frozen=True, kw_only=True)
class TotpOptions:
    """``totp_options``: code length, period in seconds, and ``disable`` to turn TOTP off.

    ``issuer`` is what ``/two-factor/get-totp-uri`` puts in its URI (the app name when unset);
    ``/two-factor/enable`` uses the plugin's ``issuer`` instead, as Better Auth does.
    """

    digits: int = 6
    period: int = 30
    disable: bool = False
    issuer: str | None = None

    def __post_init__(self) -> None:
        if self.digits not in range(1, 9):
            raise ConfigError("two_factor(totp_options.digits=...) must be between 1 and 8")
        _positive("totp_options.period", self.period)


@dataclass(frozen=True, kw_only=True)
class OtpOptions:
    """``otp_options``: codes sent by ``send_otp(user=..., otp=...)`` (mail, SMS, ...).

    ``period`` is in minutes, as in Better Auth; ``allowed_attempts`` wrong codes are allowed
    per code; ``store_otp`` is how the code sits in the verification table.
    """

    send_otp: Callable[..., Any] | None = None
    period: int = 3
    digits: int = 6
    allowed_attempts: int = 5
    store_otp: OtpStore = "plain"

    def __post_init__(self) -> None:
        _positive("otp_options.period", self.period)
        _positive("otp_options.digits", self.digits)
        _positive("otp_options.allowed_attempts", self.allowed_attempts)
        if self.store_otp not in ("plain", "hashed", "encrypted"):
            raise ConfigError("two_factor(otp_options.store_otp=...) must be 'plain', 'hashed' "
                              "or 'encrypted'")


@dataclass(frozen=True, kw_only=True)
class BackupCodeOptions:
    """``backup_code_options``: how many codes, how long, and how they are stored."""

    amount: int = 10
    length: int = 10
    store_backup_codes: BackupStore = "encrypted"

    def __post_init__(self) -> None:
        _positive("backup_code_options.amount", self.amount)
        _positive("backup_code_options.length", self.length)
        if self.store_backup_codes not in ("encrypted", "plain"):
            raise ConfigError("two_factor(backup_code_options.store_backup_codes=...) must be "
                              "'encrypted' or 'plain'")


@dataclass(frozen=True, kw_only=True)
class AccountLockout:
    """``account_lockout``: after ``max_failed_attempts`` consecutive wrong codes (any
    factor, any challenge) the account's second factor is refused for ``duration_seconds``."""

    enabled: bool = True
    max_failed_attempts: int = 10
    duration_seconds: int = 900

    def __post_init__(self) -> None:
        _positive("account_lockout.max_failed_attempts", self.max_failed_attempts)
        _positive("account_lockout.duration_seconds", self.duration_seconds)


@dataclass(frozen=True, kw_only=True)
class TwoFactorOptions:
    """Every option of the plugin; see ``two_factor()``."""

    issuer: str | None = None
    skip_verification_on_enable: bool = False
    allow_passwordless: bool = False
    two_factor_cookie_max_age: int = 600
    trust_device_max_age: int = 30 * 24 * 3600
    account_lockout: AccountLockout = field(default_factory=AccountLockout)
    totp_options: TotpOptions = field(default_factory=TotpOptions)
    otp_options: OtpOptions = field(default_factory=OtpOptions)
    backup_code_options: BackupCodeOptions = field(default_factory=BackupCodeOptions)

    def __post_init__(self) -> None:
        _positive("two_factor_cookie_max_age", self.two_factor_cookie_max_age)
        _positive("trust_device_max_age", self.trust_device_max_age)

    @property
    def otp_enabled(self) -> bool:
        """Whether the emailed/SMS code is offered (a ``send_otp`` callback is set)."""
        return self.otp_options.send_otp is not None
