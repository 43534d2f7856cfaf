"""Start-up warnings for configurations that switch a protection off.

Each is legitimate somewhere (a TLS-terminating proxy on the same host, an API used only by
non-browser clients), so none is refused; but none may happen silently either. One WARNING
per downgrade on the ``authkit`` logger when the ``AuthKit`` is built, with ``event`` in
``extra`` (``config.insecure_base_url``, ``config.csrf_check_disabled``,
``config.origin_check_disabled``, ``config.rate_limit_disabled``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core import AuthKit

log = logging.getLogger("authkit")


def warn_downgrades(auth: AuthKit) -> list[str]:
    """Log one warning per protection the configuration turns off; returns the events."""
    adv = auth.options.advanced
    found: list[tuple[str, str]] = []
    if auth.production and (auth.base_url or "").startswith("http://"):
        found.append(("config.insecure_base_url", (
                      f"production with base_url {auth.base_url}: cookies are sent without "
                      "Secure and without the __Secure- prefix, so any network hop can read "
                      "and replace the session; serve it over https://")))
    if adv.disable_csrf_check:
        found.append(("config.csrf_check_disabled", (
                      "advanced.disable_csrf_check is on: cookie-bearing requests from any "
                      "origin are accepted (cross-site request forgery)")))
    if adv.disable_origin_check:
        found.append(("config.origin_check_disabled", (
                      "advanced.disable_origin_check is on: callbackURL and redirect targets "
                      "are not checked against the trusted origins (open redirects)")))
    if auth.production and auth.options.rate_limit.enabled is False:
        found.append(("config.rate_limit_disabled", (
                      "rate limiting is off in production: password guessing and mail "
                      "flooding are limited by nothing in authkit")))
    for event, message in found:
        log.warning("authkit: %s", message, extra={"event": event})
    return [event for event, _ in found]
