"""``auth.api``: every endpoint as a method, built from the same registry as the router.

``auth.api.sign_in_email(body={...}, headers=request.headers)`` returns the typed result,
raises ``APIError`` on failure; ``as_response=True`` gives the ``Response`` value (errors
included, not raised) and ``return_headers=True`` gives ``(headers, result)``. ``client=``
is the caller's address as the web framework saw it (``request.remote_addr``,
``request.client.host``): new sessions record it as their IP address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .endpoints.context import Context
from .errors import APIError
from .http import Headers, error_response
from .pipeline import internal_error, render, service_unavailable
from .storage import StorageUnavailable
from .validation import MISSING

if TYPE_CHECKING:
    from .core import AuthKit


@dataclass(frozen=True)
class HeadersAndResult:
    """What ``return_headers=True`` returns."""

    headers: Headers
    response: Any


class API:
    """Endpoint methods of one ``AuthKit``; names are the snake_case endpoint names."""

    def __init__(self, auth: AuthKit) -> None:
        self._auth = auth

    def __getattr__(self, name: str) -> Callable[..., Any]:
        ep = self._auth.registry.get(name)
        if ep is None:
            raise AttributeError(
                f"auth.api has no endpoint {name!r}; available: "
                f"{', '.join(sorted(self._auth.registry.names()))}"
            )

        def call(*, body: Any = MISSING, query: Mapping[str, Any] | None = None,
                 headers: Any = None, params: Mapping[str, str] | None = None,
                 as_response: bool = False, return_headers: bool = False,
                 client: str | None = None) -> Any:
            return self._call(ep.name, body, query, headers, params, as_response,
                              return_headers, client)

        call.__name__ = name
        call.__doc__ = ep.summary or f"{ep.method} {ep.path}"
        # Kept as an attribute: the next ``auth.api.<name>`` skips this lookup (the call
        # reads the registry by name each time, so a later registration still applies).
        self.__dict__[name] = call
        return call

    def __dir__(self) -> list[str]:
        return sorted(self._auth.registry.names())

    def _call(self, name: str, body: Any, query: Mapping[str, Any] | None, headers: Any,
              params: Mapping[str, str] | None, as_response: bool,
              return_headers: bool, client: str | None = None) -> Any:
        auth = self._auth
        ep = auth.registry.get(name)
        assert ep is not None
        if ep.require_headers and headers is None and not as_response:
            # Better Auth requires a headers object here; no headers means "no session".
            headers = {}
        hdrs = Headers(headers)
        for plugin in auth.plugins:
            hdrs = plugin.transform_headers(hdrs)
        ctx = Context(auth, ep, hdrs, request=None, raw_body=body,
                      query=dict(query) if query is not None else {},
                      params=dict(params or {}), has_headers=headers is not None,
                      client=client)
        if as_response:
            try:
                return render(ctx, auth.pipeline.run(ctx))
            except APIError as exc:
                return error_response(exc)
            except StorageUnavailable:
                return service_unavailable()
            except Exception:  # noqa: BLE001 - a response value is promised; trace is logged
                return internal_error(None)
        result = auth.pipeline.run(ctx)
        if return_headers:
            out = Headers(ctx.response_headers)
            for plugin in auth.plugins:
                extra: list[tuple[str, str]] = list(ctx.response_headers)
                plugin.on_response_headers(ctx, extra)
                for item in extra[len(ctx.response_headers):]:
                    out.add(*item)
            return HeadersAndResult(out, result)
        return result
