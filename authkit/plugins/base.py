"""The plugin interface (docs/wire-compatibility.md#plugins): endpoints, schema fields, hooks, in
one object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..hooks import HookMatcher
from ..storage.fields import FieldSpec, IndexSpec

if TYPE_CHECKING:
    from ..core import AuthKit
    from ..endpoints.context import Context
    from ..endpoints.registry import Endpoint
    from ..http import Headers
    from ..ratelimit import PluginRateLimit


class Plugin:
    """Base class: override what the plugin contributes; the defaults contribute nothing."""

    id: str = "plugin"
    user_fields: Sequence[FieldSpec] = ()
    session_fields: Sequence[FieldSpec] = ()
    account_fields: Sequence[FieldSpec] = ()
    # New tables: name -> columns in Better Auth's order (an ``id`` primary key comes first).
    # Read and written through the storage's generic row operations (storage/rows.py).
    tables: Mapping[str, Sequence[FieldSpec]] = {}
    # Extra indexes the plugin's queries need; `authkit migrate` creates them.
    indexes: Sequence[IndexSpec] = ()
    database_hooks: Any = None
    error_codes: ClassVar[dict[str, str]] = {}
    before: Sequence[HookMatcher] = ()
    after: Sequence[HookMatcher] = ()
    # Rate-limit rules for this plugin's paths; they override the built-in ones
    # (docs/wire-compatibility.md#rate-limits).
    rate_limit: Sequence[PluginRateLimit] = ()

    def endpoints(self) -> Sequence[Endpoint]:
        """Endpoints this plugin serves (and adds to ``auth.api``).

        They read the caller's session from the store, never from the cookie cache, unless
        declared ``freshness="cache"`` (only for "who is signed in" answers); string values
        longer than their column are refused before the database (``auth.storage.limit``).
        """
        return ()

    def init(self, auth: AuthKit) -> None:
        """Called once the ``AuthKit`` is built."""

    def transform_headers(self, headers: Headers) -> Headers:
        """Rewrite request headers before anything reads them (bearer → cookie)."""
        return headers

    def on_response_headers(self, ctx: Context, headers: list[tuple[str, str]]) -> None:
        """Add response headers after the endpoint ran."""
