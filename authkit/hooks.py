"""User hooks around every endpoint (docs/wire-compatibility.md#endpoint-hooks).

``before(ctx)`` runs before validation: raise ``APIError`` to reject, return
``{"context": {"body": {...}, "query": {...}, "headers": {...}}}`` to change the input, or return
any other non-``None`` value to answer with it instead of running the endpoint.
``after(ctx, result)`` sees the handler's result (or the ``APIError`` it raised) as
``ctx`` ``returned``; return a value to replace the result, raise ``APIError`` to replace it with
an error. Both run for HTTP requests and ``auth.api`` calls alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .endpoints.context import Context

BeforeHook = Callable[["Context"], Any]
AfterHook = Callable[["Context", Any], Any]


@dataclass(frozen=True)
class HookMatcher:
    """A plugin hook: ``handler`` runs when ``matcher(ctx)`` is true."""

    matcher: Callable[[Context], bool]
    handler: Callable[..., Any]


@dataclass(frozen=True, kw_only=True)
class Hooks:
    """The user's ``before`` and ``after`` hooks (run before any plugin's)."""

    before: BeforeHook | None = None
    after: AfterHook | None = None
