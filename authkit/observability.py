"""Structured log events, per-endpoint debug timing, and the ``on_api_error`` hook.

Events go to the ``authkit`` logger with their fields in ``extra`` (``event``, ``user_id``,
``ip``, ``user_agent``, ``reason`` ...), so a JSON log formatter gets them as keys and a plain
one still prints a readable line. Endpoints call one line::

    log_event(ctx, "sign_in.failure", email=body.email, reason="INVALID_EMAIL_OR_PASSWORD")

Two rules hold for every record (docs/security.md#input-validation, docs/security.md#errors):
credentials never reach the log (fields
named like a password, token, cookie, secret or authorization header are dropped, whatever
the caller passes), and control characters are escaped, so an email holding ``\\r\\n`` stays
one line and cannot forge a second record.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConfigError

if TYPE_CHECKING:
    from .core import AuthKit
    from .endpoints.context import Context
    from .http import Request

log = logging.getLogger("authkit")

# Substrings of field names that are never logged, whatever the value.
_SECRET_NAMES = ("password", "token", "cookie", "secret", "authorization", "signature", "hash")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_MAX_VALUE = 256

# Event names and their level: failures and refusals are warnings, the rest info.
WARNING_EVENTS = frozenset({"sign_in.failure", "rate_limit.hit", "ban.refused"})


def clean(value: Any) -> Any:
    """A log-safe value: control characters escaped, long text cut
    (docs/security.md#input-validation)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if len(text) > _MAX_VALUE:
        text = text[:_MAX_VALUE] + "…"
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _allowed(name: str) -> bool:
    low = name.lower()
    return not any(part in low for part in _SECRET_NAMES)


def log_event(ctx: Context | None, name: str, /, **fields: Any) -> None:
    """Log one security event with the request's IP and user agent.

    ``user_id``, ``email``, ``reason``, ``target_user_id`` ... are fields; credentials are
    dropped. In-process ``auth.api`` calls have no IP.
    """
    level = logging.WARNING if name in WARNING_EVENTS else logging.INFO
    if not log.isEnabledFor(level):
        return
    data: dict[str, Any] = {"event": name}
    if ctx is not None:
        ip = ctx.client_ip
        data["ip"] = str(ip) if ip is not None else None
        data["user_agent"] = ctx.user_agent
        data["path"] = ctx.path
    for key, value in fields.items():
        if _allowed(key):
            data[key] = value
    data = {k: clean(v) for k, v in data.items()}
    shown = " ".join(f"{k}={v}" for k, v in data.items() if k != "event" and v is not None)
    log.log(level, "%s %s", name, shown, extra={"authkit": data, **_flat(data)})


# ``extra`` keys may not overwrite LogRecord's own attributes (``logging`` raises KeyError).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _flat(data: Mapping[str, Any]) -> dict[str, Any]:
    return {(f"authkit_{k}" if k in _RESERVED else k): v for k, v in data.items()}


T = TypeVar("T")


def timed_call(handler: Callable[[Context], T], ctx: Context) -> T:
    """Run an endpoint; at DEBUG, log how long it took (Better Auth's debug timing)."""
    if not log.isEnabledFor(logging.DEBUG):
        return handler(ctx)
    start = time.perf_counter()
    outcome = "ok"
    try:
        return handler(ctx)
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        elapsed = (time.perf_counter() - start) * 1000
        log.debug("endpoint %s %s %.2f ms (%s)", ctx.endpoint.method, ctx.path, elapsed,
                  outcome, extra={"event": "endpoint.timing", "endpoint": ctx.endpoint.name,
                                  "duration_ms": round(elapsed, 3), "outcome": outcome})


@dataclass(frozen=True)
class ErrorContext:
    """What ``on_api_error`` receives besides the error: the request, if any."""

    auth: AuthKit
    request: Request | None

    @property
    def path(self) -> str | None:
        """The request path."""
        return self.request.path if self.request is not None else None


ErrorCallback = Callable[[BaseException, ErrorContext], Any]


class ErrorHook:
    """``on_api_error``: a callable ``(error, ErrorContext)``, or ``{"on_error": fn,
    "throw": bool}`` as Better Auth's ``onAPIError`` (``throw`` re-raises instead of
    answering). Redirects are not errors and are not reported. A hook that raises is
    logged and otherwise ignored: it must not turn a 401 into a 500.
    """

    def __init__(self, option: ErrorCallback | Mapping[str, Any] | None) -> None:
        self.on_error: ErrorCallback | None = None
        self.throw = False
        if option is None:
            return
        if callable(option):
            self.on_error = option
            return
        if isinstance(option, Mapping):
            unknown = set(option) - {"on_error", "throw"}
            if unknown:
                raise ConfigError(f"on_api_error: unknown key(s) {sorted(unknown)}; use "
                                  "'on_error' and 'throw'")
            fn = option.get("on_error")
            if fn is not None and not callable(fn):
                raise ConfigError("on_api_error['on_error'] must be callable")
            self.on_error = fn
            self.throw = bool(option.get("throw", False))
            return
        raise ConfigError("on_api_error must be a callable or a dict with on_error/throw")

    def report(self, auth: AuthKit, error: BaseException, request: Request | None) -> None:
        """Call the hook for ``error`` (re-raising it when ``throw`` is set)."""
        if getattr(error, "status", None) == 302:
            return
        if self.throw:
            raise error
        if self.on_error is None:
            return
        try:
            self.on_error(error, ErrorContext(auth, request))
        except Exception:
            log.exception("on_api_error hook raised; the error response is sent anyway")
