"""GET /ok and GET /error (docs/wire-compatibility.md#ok-and-error)."""

from __future__ import annotations

import html
import re
from typing import Any

from ..http import Response
from .context import Context
from .registry import Endpoint, endpoint

_CODE = re.compile(r"^['A-Za-z0-9_-]+$")


def ok(ctx: Context) -> dict[str, Any]:
    """Liveness: ``{"ok": true}``."""
    return {"ok": True}


def error_page(ctx: Context) -> Response:
    """A small HTML error page; the code is whitelisted and the description escaped
    (CVE-2025-71404 was a reflected XSS here)."""
    query = ctx.query if isinstance(ctx.query, dict) else {}
    code = query.get("error")
    code = code if isinstance(code, str) and _CODE.match(code) else "UNKNOWN"
    desc = query.get("error_description")
    desc = desc if isinstance(desc, str) else ""
    page = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title></head><body>"
        f"<h1>Something went wrong</h1><p><code>{html.escape(code)}</code></p>"
        f"<p>{html.escape(desc)}</p></body></html>"
    )
    return Response(200, [("Content-Type", "text/html; charset=utf-8"),
                          ("X-Content-Type-Options", "nosniff"),
                          ("Content-Security-Policy", "default-src 'none'")],
                    page.encode("utf-8"))


ENDPOINTS: list[Endpoint] = [
    endpoint("ok", "/ok", "GET", ok, summary="Health check"),
    endpoint("error", "/error", "GET", error_page, summary="Error page"),
]
