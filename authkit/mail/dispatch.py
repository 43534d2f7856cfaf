"""Calling the email callbacks (``send_verification_email``, ``send_reset_password``, ...).

A callback is any plain or ``async`` callable taking the keywords ``user``, ``url`` and
``token`` (plus ``new_email`` for the change-email confirmation, passed only to callbacks that
accept it). Whatever it raises is logged with its reason on one line and swallowed: the HTTP
answer never depends on whether mail went out, so a broken or stopped mail server reveals
nothing about which accounts exist (docs/security.md#account-enumeration, docs/security.md#outages).
The token is masked in that line (docs/security.md#emailed-tokens).
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable
from typing import Any

from ..user_callbacks import call_user_callback

log = logging.getLogger("authkit.mail")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str, *secrets: str) -> str:
    """``text`` with ``secrets`` masked and control characters (CR/LF) collapsed, so one
    failure is one log line that never carries a token (docs/security.md#emailed-tokens,
    docs/security.md#errors)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _CONTROL.sub(" ", text).strip()


def accepts(fn: Callable[..., Any], name: str) -> bool:
    """Whether ``fn`` takes the keyword ``name`` (directly or through ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_KEYWORD or (p.name == name and p.kind is not p.POSITIONAL_ONLY)
               for p in params)


def call_email_callback(callback: Callable[..., Any], kind: str, *, user: Any, url: str,
                        token: str, **extra: Any) -> bool:
    """Run one email callback; ``False`` (and a log line) when it raised."""
    kwargs: dict[str, Any] = {"user": user, "url": url, "token": token}
    kwargs.update({k: v for k, v in extra.items() if accepts(callback, k)})
    try:
        call_user_callback(callback, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any sender failure is logged, never answered
        reason = one_line(f"{type(exc).__name__}: {exc}", token, url)
        log.warning("%s email for user %s was not sent: %s", kind,
                    getattr(user, "id", "?"), reason)
        return False
    return True
