"""One log line when a store becomes unreachable, not one per request.

Every request during an outage answers 503 (docs/security.md#decisions); without a log record an
operator sees the 503s and not why (a wrong ``sslrootcert``, a firewall, Redis gone). With one
per request the log drowns. So: a WARNING naming the store and the driver's reason, then at
most one per ``INTERVAL`` seconds and store, counting the ones left out.
"""

from __future__ import annotations

import logging
import threading
import time

from .observability import clean

log = logging.getLogger("authkit")

INTERVAL = 10.0

_clock = time.monotonic  # tests replace it
_lock = threading.Lock()
_last: dict[str, float] = {}
_skipped: dict[str, int] = {}


def reason(exc: BaseException) -> str:
    """The driver's own message (first line), else the exception's type."""
    cause = exc.__cause__ or exc  # a wrapped error: the driver's is the interesting one
    text = str(getattr(cause, "orig", None) or cause).strip().splitlines()
    return text[0] if text and text[0] else type(cause).__name__


def report_outage(store: str, exc: BaseException) -> None:
    """Log that ``store`` ("database", "secondary storage") failed with ``exc`` (the driver's
    error), throttled."""
    now = _clock()
    with _lock:
        last = _last.get(store)
        if last is not None and now - last < INTERVAL:
            _skipped[store] = _skipped.get(store, 0) + 1
            return
        _last[store] = now
        skipped = _skipped.pop(store, 0)
    why = clean(reason(exc))
    log.warning("%s unavailable: %s%s", store, why,
                f" ({skipped} more since the last report)" if skipped else "",
                extra={"authkit": {"event": "storage.unavailable", "store": store,
                                   "reason": why, "skipped": skipped}})
