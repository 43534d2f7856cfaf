"""``magic_link()``: passwordless sign-in (and sign-up) through an emailed link.

::

    from authkit.plugins.magic_link import magic_link, magic_link_mail

    auth = AuthKit(..., plugins=[magic_link(send_magic_link=magic_link_mail(sender))])

``POST /sign-in/magic-link`` ``{email, name?, callbackURL?, newUserCallbackURL?,
errorCallbackURL?, metadata?}`` mails a link (``auth.api.sign_in_magic_link``); following it
(``GET /magic-link/verify?token=...``) signs the address in, creating a verified user when
there is none (unless ``disable_sign_up``). A link works once, for ``expires_in`` seconds.
The callback URLs must be trusted like every other callback URL of authkit. When the address
belongs to an unverified account, its password, OAuth links and sessions are removed first:
whoever registered it without proving the mailbox keeps nothing.

``send_magic_link`` is any plain or ``async`` callable taking the keywords ``email`` (as
typed), ``url``, ``token`` and ``metadata`` (and ``request`` if it accepts it); what it raises
is logged, never answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ...callbacks import call_user_callback
from ...errors import ConfigError
from ...mail.dispatch import accepts, one_line
from ...ratelimit import PluginRateLimit
from ..base import Plugin
from . import routes
from .mail import DEFAULT_TEMPLATE, MagicLinkMail, magic_link_mail

if TYPE_CHECKING:
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

__all__ = [
    "DEFAULT_TEMPLATE",
    "MagicLinkMail",
    "MagicLinkOptions",
    "MagicLinkPlugin",
    "magic_link",
    "magic_link_mail",
]

log = logging.getLogger("authkit.mail")

RATE_LIMITED_PREFIXES = ("/sign-in/magic-link", "/magic-link/verify")


@dataclass(frozen=True, kw_only=True)
class MagicLinkOptions:
    """The options of ``magic_link()`` (Better Auth's, in snake_case)."""

    send_magic_link: Callable[..., Any]
    expires_in: int = 300
    disable_sign_up: bool = False
    store_token: Literal["plain", "hashed"] = "plain"
    generate_token: Callable[[str], str] | None = None
    rate_limit_window: int = 60
    rate_limit_max: int = 5


class MagicLinkPlugin(Plugin):
    """See ``magic_link()``."""

    id = "magic-link"

    def __init__(self, options: MagicLinkOptions) -> None:
        self.options = options
        self.rate_limit = (PluginRateLimit(
            path_matcher=lambda path: path.startswith(RATE_LIMITED_PREFIXES),
            window=options.rate_limit_window, max=options.rate_limit_max),)
        self._endpoints = routes.build(self)

    def endpoints(self) -> Sequence[Endpoint]:
        return self._endpoints

    def send(self, ctx: Context, *, email: str, url: str, token: str,
             metadata: dict[str, Any] | None) -> None:
        """Call ``send_magic_link``; a failure is logged (without the link), not answered."""
        callback = self.options.send_magic_link
        kwargs: dict[str, Any] = {"email": email, "url": url, "token": token,
                                  "metadata": metadata}
        if accepts(callback, "request"):
            kwargs["request"] = ctx.request
        try:
            call_user_callback(callback, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a failed send must not tell who exists
            log.warning("magic-link email was not sent: %s",
                        one_line(f"{type(exc).__name__}: {exc}", token, url))


def magic_link(
    *,
    send_magic_link: Callable[..., Any],
    expires_in: int = 300,
    disable_sign_up: bool = False,
    store_token: Literal["plain", "hashed"] = "plain",
    generate_token: Callable[[str], str] | None = None,
    rate_limit: dict[str, int] | None = None,
) -> MagicLinkPlugin:
    """The magic-link plugin.

    ``expires_in`` is the link's lifetime in seconds (300); ``store_token`` ``"hashed"``
    keeps only a SHA-256 of each token; ``generate_token(email)`` replaces the 32 random
    letters; ``rate_limit`` ``{"window": 60, "max": 5}`` is the rule for both paths, per
    client address.
    """
    if not callable(send_magic_link):
        raise ConfigError("magic_link(send_magic_link=...) must be a callable")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise ConfigError("magic_link(expires_in=...) must be a positive number of seconds")
    if store_token not in ("plain", "hashed"):
        raise ConfigError("magic_link(store_token=...) must be 'plain' or 'hashed'")
    limits = {"window": 60, "max": 5, **(rate_limit or {})}
    unknown = set(limits) - {"window", "max"}
    if unknown:
        raise ConfigError(f"magic_link(rate_limit=...) takes 'window' and 'max', not "
                          f"{', '.join(sorted(unknown))}")
    return MagicLinkPlugin(MagicLinkOptions(
        send_magic_link=send_magic_link, expires_in=expires_in, disable_sign_up=disable_sign_up,
        store_token=store_token, generate_token=generate_token,
        rate_limit_window=limits["window"], rate_limit_max=limits["max"]))
