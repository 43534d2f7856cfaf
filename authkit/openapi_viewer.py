"""An interactive reference page for the OpenAPI document: Swagger UI, served offline.

The page and its script and style files come from this server (the ``swagger-ui-bundle``
package vendors Swagger UI's release files), so the reference works without network access
and under a strict Content-Security-Policy: no inline script, nothing from another origin.
Swagger UI renders each operation's parameters and body schema with generated example
values, the error codes in the response descriptions, and sends requests ("Try it out")
from the browser, same-origin, so the session cookie comes along.

The packaged Swagger UI (4.x) reads OpenAPI 3.0, so the page loads the same document
rewritten to 3.0 (``downgrade``: ``null`` in a type or ``anyOf`` becomes ``nullable``,
``const`` an ``enum``, numeric ``exclusiveMinimum`` the boolean form); the 3.1 original stays
at ``open-api/generate-schema``.
"""

from __future__ import annotations

import html
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import APIError, ConfigError
from .http import Response, dumps

if TYPE_CHECKING:
    from .endpoints.context import Context

# The files the page loads, and their types: nothing else in the package is served.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
INIT_JS = b"""window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec, dom_id: "#swagger-ui", deepLinking: true,
    displayRequestDuration: true, tryItOutEnabled: false, persistAuthorization: true
  });
});
"""
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self' data:")


def assets_dir() -> Path:
    """Swagger UI's release files, from the ``swagger-ui-bundle`` package."""
    try:
        bundle = importlib.import_module("swagger_ui_bundle")  # untyped: no stubs
    except ImportError:
        raise ConfigError("the Swagger UI reference needs the swagger-ui-bundle package: "
                          "pip install 'authkit-server[server]'") from None
    return Path(str(bundle.swagger_ui_path))


def page(title: str, spec_url: str, assets_url: str) -> str:
    """The reference page: Swagger UI pointed at ``spec_url``."""
    esc = html.escape
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)} API reference</title>"
        f"<link rel=\"icon\" href=\"{esc(assets_url)}/favicon-32x32.png\">"
        f"<link rel=\"stylesheet\" href=\"{esc(assets_url)}/swagger-ui.css\"></head><body>"
        f"<div id=\"swagger-ui\" data-spec=\"{esc(spec_url)}\"></div>"
        f"<script src=\"{esc(assets_url)}/swagger-ui-bundle.js\"></script>"
        f"<script src=\"{esc(assets_url)}/init.js\"></script></body></html>")


def downgrade(node: Any) -> Any:
    """An OpenAPI 3.1 document (or part of one) as OpenAPI 3.0.3."""
    if isinstance(node, list):
        return [downgrade(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: downgrade(v) for k, v in node.items() if k != "$schema"}
    if out.get("openapi", "").startswith("3.1"):
        out["openapi"] = "3.0.3"
    kind = out.get("type")
    if isinstance(kind, list):
        rest = [t for t in kind if t != "null"]
        if len(rest) < len(kind):
            out["nullable"] = True
        out["type"] = rest[0] if len(rest) == 1 else rest
        if len(rest) > 1:
            del out["type"]
            out["anyOf"] = [{"type": t} for t in rest]
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            out["nullable"] = True
            if len(rest) == 1 and isinstance(rest[0], dict) and "$ref" not in rest[0]:
                del out[key]
                out.update(rest[0])
            else:
                out[key] = rest
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[plain], out[bound] = value, True
    examples = out.get("examples")
    if isinstance(examples, list) and "schema" not in out and examples:
        out["example"] = examples[0]
        del out["examples"]
    return out


def document_30_response(document: dict[str, Any]) -> Response:
    """``GET {base_path}{reference_path}/openapi-3.0.json``: what the page reads, from the
    3.1 ``document`` (the caller generates it, so this module needs no import of openapi)."""
    return Response(200, [("Content-Type", "application/json")],
                    dumps(downgrade(document)).encode("utf-8"))


def _headers(content_type: str) -> list[tuple[str, str]]:
    return [("Content-Type", content_type), ("Content-Security-Policy", CSP),
            ("X-Content-Type-Options", "nosniff")]


def page_response(ctx: Context, reference_path: str) -> Response:
    """``GET {base_path}{reference_path}``."""
    base = ctx.auth.base_path
    body = page(ctx.auth.app_name, f"{base}{reference_path}/openapi-3.0.json",
                f"{base}{reference_path}/assets")
    return Response(200, _headers("text/html; charset=utf-8"), body.encode("utf-8"))


def asset_response(ctx: Context) -> Response:
    """``GET {base_path}{reference_path}/assets/:file``: one of the listed files only."""
    name = ctx.params.get("file", "")
    if name == "init.js":
        data = INIT_JS
        content_type = "text/javascript; charset=utf-8"
    elif name in ASSETS:
        data = (assets_dir() / name).read_bytes()
        content_type = ASSETS[name]
    else:
        raise APIError(404, "NOT_FOUND", "Not Found")
    headers = _headers(content_type)
    headers.append(("Cache-Control", "public, max-age=86400"))
    return Response(200, headers, data)
