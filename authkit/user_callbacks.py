"""Calling user callbacks that may be plain or ``async`` functions from the sync core."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync


def call_user_callback(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Call ``fn(**kwargs)``; an ``async`` callback is run to completion.

    ``async_to_sync`` runs the coroutine on the caller's event loop when there is one (the
    ASGI worker-thread case) and on a private loop otherwise, so the WSGI side never has to
    manage a loop itself.
    """
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)):  # noqa: B004 - an object's async __call__
        return async_to_sync(fn)(**kwargs)
    result = fn(**kwargs)
    if inspect.isawaitable(result):
        async def _await() -> Any:
            return await result

        return async_to_sync(_await)()
    return result
