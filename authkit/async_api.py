"""``auth.async_api``: every ``auth.api`` endpoint as a coroutine, for async code.

The core is synchronous (database drivers, password hashing), so calling ``auth.api`` from an
``async def`` handler would stop the event loop for the whole call. ``await
auth.async_api.sign_in_email(body=...)`` takes the same keywords and returns or raises the
same things, but runs the call on a worker thread (``asyncio.to_thread``, which also carries
the caller's context variables).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import API


class AsyncAPI:
    """Awaitable twins of the methods of one ``auth.api``."""

    def __init__(self, api: API) -> None:
        self._api = api

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._api, name)  # an unknown name raises with the list of names

        async def call(**kwargs: Any) -> Any:
            return await asyncio.to_thread(functools.partial(method, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call

    def __dir__(self) -> list[str]:
        return dir(self._api)
