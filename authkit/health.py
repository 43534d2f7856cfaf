"""``auth.health()``: is the database (and the secondary storage) reachable, and how fast.

One trivial round trip per store (``SELECT 1``, a read of an absent key): nothing about users
is read or returned, so the answer is safe to expose to a load balancer. ``HealthApp`` serves
it in front of an ASGI app at a fixed path, as ``authkit serve`` does (``AUTHKIT_HEALTH_PATH``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import AuthKit

log = logging.getLogger("authkit")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_PROBE_KEY = "authkit:health-probe"


def _timed(probe: Callable[[], Any]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - any failure is "down"; the log says which
        log.warning("health check failed: %s", type(exc).__name__)
        return {"status": "error"}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - start) * 1000, 3)}


def health(auth: AuthKit) -> dict[str, Any]:
    """``{"status", "database": {"status", "latency_ms"}, "secondary_storage"?: {...}}``.

    ``status`` is ``"ok"`` only when every configured store answered.
    """
    report: dict[str, Any] = {"status": "ok", "database": _timed(auth.storage.ping)}
    secondary = getattr(auth, "secondary_storage", None)
    if secondary is not None:
        report["secondary_storage"] = _timed(lambda: secondary.get(_PROBE_KEY))
    if any(part.get("status") != "ok" for part in report.values() if isinstance(part, dict)):
        report["status"] = "error"
    return report


class HealthApp:
    """An ASGI app answering ``GET``/``HEAD <path>`` itself and passing the rest to ``app``.

    200 when healthy, 503 otherwise; the body is ``ok``/``unavailable`` as text (what probes
    and the reference server's ``/health`` send), or the ``health()`` report as JSON when the
    request accepts ``application/json``.
    """

    def __init__(self, app: Any, auth: AuthKit, path: str) -> None:
        self.app = app
        self.auth = auth
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("path") != self.path
                or scope.get("method") not in ("GET", "HEAD")):
            await self.app(scope, receive, send)
            return
        # The probe blocks on the database: off the event loop, like the auth handler.
        report = await asyncio.get_running_loop().run_in_executor(None, health, self.auth)
        ok = report["status"] == "ok"
        accept = b""
        for name, value in scope.get("headers", ()):
            if name.lower() == b"accept":
                accept = value.lower()
        if b"application/json" in accept:
            body, ctype = json.dumps(report).encode(), b"application/json"
        else:
            body, ctype = (b"ok" if ok else b"unavailable"), b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": 200 if ok else 503,
                    "headers": [(b"content-type", ctype), (b"cache-control", b"no-store"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body",
                    "body": b"" if scope.get("method") == "HEAD" else body})
