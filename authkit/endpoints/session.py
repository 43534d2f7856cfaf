"""GET /get-session and POST /sign-out (docs/wire-compatibility.md#get-session,
docs/wire-compatibility.md#sign-out)."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import APIError
from ..models import SessionWithUser
from ..observability import log_event
from ..storage import StorageUnavailable
from ..validation import coerce_bool
from .context import Context
from .registry import Endpoint, endpoint

_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))

log = logging.getLogger("authkit.session")


def _resolve(ctx: Context, *, disable_cookie_cache: bool,
             disable_refresh: bool) -> SessionWithUser | None:
    # Better Auth turns any failure but an APIError into 500 FAILED_TO_GET_SESSION (spec
    # docs/wire-compatibility.md#get-session); an unreachable store keeps its 503
    # (docs/security.md#decisions: retry, not signed out).
    try:
        return ctx.auth.sessions.resolve(ctx, disable_cookie_cache=disable_cookie_cache,
                                         disable_refresh=disable_refresh)
    except (APIError, StorageUnavailable):
        raise
    except Exception:
        log.exception("failed to get session")
        raise APIError(500, "FAILED_TO_GET_SESSION") from None


def get_session(ctx: Context) -> SessionWithUser | None:
    """The caller's session and user, or ``None``; slides the expiry when due."""
    for header in _NO_STORE:
        ctx.set_header(*header)
    query = ctx.query if isinstance(ctx.query, dict) else {}
    # z.coerce.boolean: any non-empty string, "false" included, is true
    # (docs/wire-compatibility.md#get-session quirk).
    disable_refresh = coerce_bool(query.get("disableRefresh"))
    disable_cache = coerce_bool(query.get("disableCookieCache"))
    return _resolve(ctx, disable_cookie_cache=disable_cache, disable_refresh=disable_refresh)


def get_session_post(ctx: Context) -> Any:
    """POST /get-session exists only with ``defer_session_refresh``
    (docs/wire-compatibility.md#get-session)."""
    if not ctx.auth.options.session.defer_session_refresh:
        raise APIError(405, "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED")
    for header in _NO_STORE:
        ctx.set_header(*header)
    return _resolve(ctx, disable_cookie_cache=True, disable_refresh=False)


def sign_out(ctx: Context) -> dict[str, Any]:
    """Delete the session (when the cookie verifies) and always expire the cookies."""
    auth = ctx.auth
    token = auth.sessions.token_from(ctx)
    if token is not None:
        auth.db.delete_session(ctx, token)
    log_event(ctx, "sign_out", had_session=token is not None)
    auth.sessions.clear_cookies(ctx)
    return {"success": True}




ENDPOINTS: list[Endpoint] = [
    # The one endpoint whose answer is only "who is signed in": the cache may give it.
    endpoint("get_session", "/get-session", "GET", get_session, require_headers=True,
             freshness="cache", summary="Get the current session", error_codes=("FAILED_TO_GET_SESSION",)),
    endpoint("get_session_deferred", "/get-session", "POST", get_session_post,
             require_headers=True, summary="Refresh the session (defer_session_refresh)",
             error_codes=("METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "FAILED_TO_GET_SESSION")),
    endpoint("sign_out", "/sign-out", "POST", sign_out, require_headers=True,
             any_cookie_size=True, summary="Sign out"),
]
