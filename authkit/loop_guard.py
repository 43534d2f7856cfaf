"""Answering a cookie-cache hit on the event loop, and the guard that keeps that safe.

Under ASGI every call that may touch the database runs in a worker thread. A session read
from the cookie cache does no I/O (an HMAC and a memoised decode), and handing it to a thread
costs more than the read itself. So when nothing configured for the request may block (no
user or plugin hook runs, the rate limiter keeps its counts in memory, the request carries a
cache cookie) the call is first tried on the loop with storage access forbidden: a storage
call then raises ``WouldBlock`` *before* any I/O, and the caller runs the call again in a
worker thread. Nothing the first attempt did outlives it but the rate limiter's count, which
the second attempt does not repeat (``Pipeline.handle(count=False)``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from .core import AuthKit
    from .http import Headers, Request, Response

T = TypeVar("T")

_forbidden: ContextVar[bool] = ContextVar("authkit_storage_forbidden", default=False)


class WouldBlock(BaseException):
    """A storage call was attempted where blocking is forbidden.

    A ``BaseException``, so the ``except Exception`` handlers that turn faults into 500s
    let it through to the caller that set the guard.
    """


def check_blocking() -> None:
    """Called before storage I/O: raises ``WouldBlock`` inside ``try_without_blocking``."""
    if _forbidden.get():
        raise WouldBlock


class Blocked:
    """The type of ``BLOCKED``."""


BLOCKED = Blocked()


def try_without_blocking(call: Callable[[], T]) -> T | Blocked:
    """``call()`` with storage access forbidden; ``BLOCKED`` if it needed storage."""
    token = _forbidden.set(True)
    try:
        return call()
    except WouldBlock:
        return BLOCKED
    finally:
        _forbidden.reset(token)


def may_answer_from_cache(auth: AuthKit, headers: Headers, *, http: bool) -> bool:
    """Is this request worth trying on the event loop: could a cookie-cache hit answer it
    with nothing configured that may block? (``http``: the rate limiter applies too.)"""
    if not auth.options.session.cookie_cache.enabled:
        return False
    hooks = auth.hooks
    if hooks.before is not None or hooks.after is not None:
        return False  # user code, which may do anything
    if any(p.before or p.after for p in auth.plugins):
        # A plugin hook for this endpoint may do anything too; the matchers are predicates
        # every request runs anyway (the admin plugin's, say, matches list-sessions only).
        from .endpoints.context import Context

        endpoint = auth.registry.get("get_session")
        if endpoint is None:
            return False
        ctx = Context(auth, endpoint, headers)
        if any(m.matcher(ctx) for p in auth.plugins for m in (*p.before, *p.after)):
            return False
    if http:
        from .ratelimit import MemoryStore  # here: storage imports this module

        if auth.cors is not None:
            return False  # trusted-origin callbacks are the user's code
        limiter = auth.rate_limiter
        if limiter.enabled and not isinstance(limiter.store, MemoryStore):
            return False  # a database or secondary-storage counter, or the user's own
    cookie = headers.cookie()
    return cookie is not None and auth.sessions.cookie_cache.spec.name in cookie


def is_cache_route(auth: AuthKit, request: Request) -> bool:
    """Does ``request`` go to an endpoint the cookie cache may answer (get-session)?"""
    prefix = auth.pipeline.prefix
    if request.method != "GET" or not request.path.startswith(prefix):
        return False
    matched = auth.registry.match("GET", request.path[len(auth.base_path):])
    return matched is not None and matched[0].freshness == "cache"


def handle_without_blocking(auth: AuthKit, request: Request) -> Response | None:
    """``auth.handle(request)`` for the event loop, or ``None`` when it needs storage (or
    failed: the thread's run reports and answers it), to be run again with
    ``auth.pipeline.handle(request, count=False)`` in a worker thread."""
    pipeline = auth.pipeline
    try:
        # _handle: errors are reported (the user's on_api_error) by the thread's run only.
        out = try_without_blocking(lambda: pipeline._handle(request))
    except Exception:  # noqa: BLE001 - answered again, and reported, in the thread
        return None
    return None if isinstance(out, Blocked) else out


_read_pool: ThreadPoolExecutor | None = None
_read_pool_lock = threading.Lock()
# Enough for a burst of session reads; each holds a pooled database connection briefly.
READ_THREADS = 4


def read_executor() -> ThreadPoolExecutor:
    """The worker threads for session reads (get-session, the middleware's look-ups).

    Apart from the loop's default executor, where sign-ins and sign-ups spend ~100 ms each
    in the password hash: with both in one pool, ten clients signing in occupy every thread
    and session reads queue behind the hashes. Created on first use (after a fork, too).
    """
    global _read_pool
    if _read_pool is None:
        with _read_pool_lock:
            if _read_pool is None:
                _read_pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="authkit-read")
    return _read_pool
