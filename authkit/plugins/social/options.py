"""The options of ``social()``: Better Auth's ``account`` options that govern OAuth, in
snake_case."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError

if TYPE_CHECKING:
    from ...http import Request

TrustedProviders = Sequence[str] | Callable[["Request | None"], Sequence[str]]


@dataclass(frozen=True, kw_only=True)
class AccountLinking:
    """``account.accountLinking``.

    :param enabled: implicit linking on sign-in and ``/link-social`` at all.
    :param trusted_providers: providers whose e-mail is trusted without ``email_verified``
        (a list, or ``callable(request) -> list``).
    :param allow_different_emails: ``/link-social`` may link an account with another e-mail.
    :param require_local_email_verified: implicit linking needs the local user verified too.
    :param disable_implicit_linking: an existing e-mail never links on sign-in.
    :param allow_unlinking_all: ``/unlink-account`` may remove the last account.
    :param update_user_info_on_link: a link copies name and image from the provider.
    """

    enabled: bool = True
    trusted_providers: TrustedProviders = ()
    allow_different_emails: bool = False
    require_local_email_verified: bool = True
    disable_implicit_linking: bool = False
    allow_unlinking_all: bool = False
    update_user_info_on_link: bool = False

    def trusted(self, request: Request | None) -> frozenset[str]:
        """The trusted provider ids for this request."""
        value = self.trusted_providers
        return frozenset(value(request) if callable(value) else value)


STRATEGIES = ("database", "cookie")


@dataclass(frozen=True, kw_only=True)
class SocialOptions:
    """Everything ``social()`` takes besides the providers.

    :param account_linking: an ``AccountLinking`` or its keyword arguments as a dict.
    :param store_state_strategy: ``"database"`` (verification row + signed cookie) or
        ``"cookie"`` (encrypted cookie only).
    :param skip_state_cookie_check: database strategy without the browser-binding cookie.
    :param encrypt_oauth_tokens: store access and refresh tokens encrypted.
    :param update_account_on_sign_in: a sign-in overwrites the account's tokens.
    :param error_url: where callback errors go without an ``errorCallbackURL``
        (default ``<baseURL>/error``).
    :param transport: an ``httpx.BaseTransport`` for every provider call.
    :param timeout: seconds for provider calls (default 10, 5 to connect).
    :param fake_idp: tests only: send the presets' calls to this local test provider.
    """

    account_linking: AccountLinking = field(default_factory=AccountLinking)
    store_state_strategy: str = "database"
    skip_state_cookie_check: bool = False
    encrypt_oauth_tokens: bool = False
    update_account_on_sign_in: bool = True
    error_url: str | None = None
    transport: Any = None
    timeout: float | None = None
    fake_idp: str | None = None

    def __post_init__(self) -> None:
        if self.store_state_strategy not in STRATEGIES:
            raise ConfigError(f"store_state_strategy must be one of {STRATEGIES}, not "
                              f"{self.store_state_strategy!r}")


def coerce_linking(value: AccountLinking | Mapping[str, Any] | None) -> AccountLinking:
    """An ``AccountLinking`` from itself, a dict of its options, or ``None``."""
    if value is None:
        return AccountLinking()
    if isinstance(value, AccountLinking):
        return value
    try:
        return AccountLinking(**dict(value))
    except TypeError as exc:
        raise ConfigError(f"account_linking: {exc}") from None
