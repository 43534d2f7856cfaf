"""An OpenAPI 3.1 document generated from the endpoint registry, as Better Auth's open-api
plugin serves it (``open_api()``: ``GET {base_path}/open-api/generate-schema`` and an HTML
reference at ``GET {base_path}/reference``).

Everything comes from the registry the router uses, so the document cannot drift from what
is served: one operation per routed endpoint (plugins included, server-only and disabled
paths left out), query parameters and request bodies from the endpoints' pydantic models,
path parameters from ``:name`` segments, error codes from each ``Endpoint.error_codes``
(``x-error-codes``, with their messages), and ``User``/``Session`` schemas from the configured
fields. Response schemas describe what authkit sends, nullable fields included, so a
schema-driven fuzzer (schemathesis, in the test suite) can hold every answer to them.

The reference page is self-contained: no script, no CDN (Better Auth's loads Scalar from
jsDelivr), and a ``default-src 'none'`` content security policy.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .errors import BASE_ERROR_CODES, ConfigError
from .http import Response
from .plugins.base import Plugin
from .storage.fields import FieldSpec

if TYPE_CHECKING:
    from .core import AuthKit
    from .endpoints.context import Context
    from .endpoints.registry import Endpoint

OPENAPI_VERSION = "3.1.1"
_REF = "#/components/schemas/{model}"
_DATE = {"type": "string", "format": "date-time"}
_ERROR = {"type": "object", "properties": {"message": {"type": "string"},
                                           "code": {"type": "string"}},
          "required": ["message"]}
# Error answers every endpoint can give (validation, media type, size, rate limit, outage).
_ERROR_STATUSES = {
    "400": "Bad Request. Usually due to missing parameters, or invalid parameters.",
    "401": "Unauthorized. Due to missing or invalid authentication.",
    "403": "Forbidden. You do not have permission to access this resource or to perform "
           "this action.",
    "404": "Not Found. The requested resource was not found.",
    "413": "Payload Too Large.",
    "415": "Unsupported Media Type.",
    "422": "Unprocessable Entity.",
    "429": "Too Many Requests. You have exceeded the rate limit. Try again later.",
    "431": "Request Header Fields Too Large.",
    "500": "Internal Server Error. This is a problem with the server that you cannot fix.",
    "503": "Service Unavailable. The database cannot be reached; retry after Retry-After.",
}
_OBJ = {"type": "object"}
_SESSION_REF = {"$ref": _REF.format(model="Session")}
_USER_REF = {"$ref": _REF.format(model="User")}
# Success bodies of the core endpoints that have a fixed shape; others are "any JSON".
_RESPONSES: dict[str, dict[str, Any]] = {
    "get_session": {"type": ["object", "null"],
                    "properties": {"session": _SESSION_REF, "user": _USER_REF},
                    "required": ["session", "user"]},
    "sign_in_email": {"type": "object", "properties": {
        "redirect": {"type": "boolean"}, "token": {"type": "string"},
        "url": {"type": "string"}, "user": _USER_REF},
        "required": ["redirect", "token", "user"]},
    "sign_up_email": {"type": "object", "properties": {
        "token": {"type": ["string", "null"]}, "user": _USER_REF},
        "required": ["token", "user"]},
    "sign_out": {"type": "object", "properties": {"success": {"type": "boolean"}},
                 "required": ["success"]},
    "ok": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
}
_GET_SESSION_QUERY = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
     "description": text}
    for name, text in (("disableCookieCache", "Read the database, not the cookie cache"),
                       ("disableRefresh", "Do not slide the session's expiry"))
]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    kind: dict[str, dict[str, Any]] = {"string": {"type": "string"}, "number": {"type": "number"},
            "boolean": {"type": "boolean"}, "date": dict(_DATE),
            "string[]": {"type": "array", "items": {"type": "string"}},
            "number[]": {"type": "array", "items": {"type": "number"}}}
    schema: dict[str, Any] = dict(kind[spec.type])
    if not spec.required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    if not spec.input:
        schema["readOnly"] = True
    return schema


def _model_schema(core: dict[str, Any], required: list[str],
                  fields: Sequence[FieldSpec]) -> dict[str, Any]:
    properties = dict(core)
    for spec in fields:
        if spec.returned:
            properties[spec.name] = _field_schema(spec)
    return {"type": "object", "properties": properties, "required": required}


def components(auth: AuthKit) -> dict[str, Any]:
    """``User`` and ``Session`` as authkit serialises them (configured extra fields too)."""
    nullable_str = {"type": ["string", "null"]}
    user = _model_schema({
        "id": {"type": "string", "readOnly": True}, "name": {"type": "string"},
        "email": {"type": "string"}, "emailVerified": {"type": "boolean"},
        "image": nullable_str, "createdAt": _DATE, "updatedAt": _DATE,
    }, ["id", "name", "email", "emailVerified", "createdAt", "updatedAt"], auth.user_fields)
    session = _model_schema({
        "id": {"type": "string", "readOnly": True}, "token": {"type": "string"},
        "userId": {"type": "string"}, "expiresAt": _DATE, "createdAt": _DATE,
        "updatedAt": _DATE, "ipAddress": nullable_str, "userAgent": nullable_str,
    }, ["id", "token", "userId", "expiresAt", "createdAt", "updatedAt"], auth.session_fields)
    return {"User": user, "Session": session}


def _json_schema(model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF)
    defs.update(schema.pop("$defs", {}))
    return schema


def _parameters(ep: Endpoint, defs: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if ep.query is not None:
        schema = _json_schema(ep.query, defs)
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": prop})
    elif ep.name == "get_session":
        params.extend(_GET_SESSION_QUERY)
    for segment in (ep.path or "").split("/"):
        if segment.startswith(":"):
            params.append({"name": segment[1:], "in": "path", "required": True,
                           "schema": {"type": "string"}})
    return params


def _responses(ep: Endpoint) -> dict[str, Any]:
    body = _RESPONSES.get(ep.name, {})
    ok: dict[str, Any] = {"description": "Success",
                          "content": {"application/json": {"schema": body}}}
    if ep.name == "error":
        ok = {"description": "HTML error page", "content": {"text/html": {"schema": {}}}}
    out: dict[str, Any] = {"200": ok}
    if ep.method == "GET" and ep.path and ("callback" in ep.path or ":" in ep.path
                                          or ep.path.startswith("/verify")):
        out["302"] = {"description": "Redirect to the callback URL"}
    for status, text in _ERROR_STATUSES.items():
        out[status] = {"description": text,
                       "content": {"application/json": {"schema": _ERROR}}}
    if ep.error_codes:
        listed = "; ".join(f"`{c}`" for c in ep.error_codes)
        out["400"]["description"] += f" Endpoint error codes: {listed}."
    return out


def generate(auth: AuthKit, request_base_url: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``auth``'s routed endpoints."""
    codes = dict(BASE_ERROR_CODES)
    for plugin in auth.plugins:
        codes.update(getattr(plugin, "error_codes", {}) or {})
    defs: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    tags = [{"name": "Default", "description": "Endpoints of the authkit core (Better Auth's "
                                               "default endpoints)."}]
    seen_tags = {"Default"}
    for ep in auth.registry:
        if ep.path is None or ep.path in auth.disabled_paths or ep.plugin == "open-api":
            continue
        tag = "Default" if ep.plugin is None else ep.plugin[:1].upper() + ep.plugin[1:]
        if tag not in seen_tags:
            seen_tags.add(tag)
            tags.append({"name": tag, "description": f"Endpoints of the {ep.plugin} plugin."})
        path = "/".join(f"{{{s[1:]}}}" if s.startswith(":") else s for s in ep.path.split("/"))
        op: dict[str, Any] = {
            "tags": [tag],
            "summary": ep.summary or f"{ep.method} {ep.path}",
            "operationId": _camel(ep.name),
            "security": [{"bearerAuth": []}, {"apiKeyCookie": []}, {}],
            "parameters": _parameters(ep, defs),
            "responses": _responses(ep),
        }
        if ep.error_codes:
            op["x-error-codes"] = {c: codes.get(c, "") for c in ep.error_codes}
        if ep.body is not None:
            schema = _json_schema(ep.body, defs)
            content: dict[str, Any] = {"application/json": {"schema": schema}}
            if ep.allow_form:
                content["application/x-www-form-urlencoded"] = {"schema": schema}
            op["requestBody"] = {"required": True, "content": content}
        elif ep.method in ("POST", "PUT", "PATCH"):
            op["requestBody"] = {"required": False, "content": {
                "application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(path, {})[ep.method.lower()] = op
    base = auth.base_url or request_base_url or "http://localhost:3000"
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": auth.app_name, "version": "1.7.25",
                 "description": "API reference of this authkit (Better Auth 1.7.25 wire "
                                "contract) instance"},
        "servers": [{"url": base.rstrip("/") + auth.base_path}],
        "tags": tags,
        "components": {
            "schemas": {**defs, **components(auth)},
            "securitySchemes": {
                "apiKeyCookie": {"type": "apiKey", "in": "cookie",
                                 "name": auth.cookies.session_token.name,
                                 "description": "The signed session cookie"},
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "Bearer token (with the bearer plugin)"},
            },
        },
        "paths": paths,
    }


def reference_html(document: dict[str, Any]) -> str:
    """A readable, script-free page listing every operation of ``document``."""
    esc = html.escape
    rows = []
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            params = ", ".join(f"{p['name']} ({p['in']})" for p in op.get("parameters", []))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            props = ", ".join(body.get("schema", {}).get("properties", {}))
            codes = ", ".join(op.get("x-error-codes", {}))
            rows.append(
                f"<tr><td><code>{esc(method.upper())}</code></td><td><code>{esc(path)}</code>"
                f"</td><td>{esc(op.get('summary', ''))}</td><td>{esc(params)}</td>"
                f"<td>{esc(props)}</td><td>{esc(codes)}</td></tr>")
    server = esc(document["servers"][0]["url"])
    title = esc(document["info"]["title"])
    return (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<title>{title} API reference</title><style>body{{font-family:sans-serif;"
        "margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;"
        "vertical-align:top}table{border-collapse:collapse}</style></head><body>"
        f"<h1>{title} API reference</h1><p>Base URL <code>{server}</code>; the OpenAPI "
        "document is at <a href=\"open-api/generate-schema\">open-api/generate-schema</a>."
        "</p><table><tr><th>Method</th><th>Path</th><th>Summary</th><th>Parameters</th>"
        f"<th>Body</th><th>Error codes</th></tr>{''.join(rows)}</table></body></html>")


class OpenAPIPlugin(Plugin):
    """See ``open_api()``."""

    id = "open-api"

    def __init__(self, *, path: str = "/reference", disable_default_reference: bool = False,
                 viewer: str = "table") -> None:
        if viewer not in ("table", "swagger-ui"):
            raise ConfigError(f"open_api(viewer=...) must be 'table' or 'swagger-ui', not "
                              f"{viewer!r}")
        if viewer == "swagger-ui":
            from .openapi_viewer import assets_dir

            assets_dir()  # a missing package fails here, at construction
        self.path = path
        self.disable_default_reference = disable_default_reference
        self.viewer = viewer

    def endpoints(self) -> Sequence[Endpoint]:
        from .endpoints.registry import endpoint

        out = [endpoint("generate_open_api_schema", "/open-api/generate-schema", "GET",
                        _generate_endpoint, summary="The OpenAPI 3.1 document",
                        plugin=self.id)]
        if self.disable_default_reference:
            return out
        if self.viewer == "swagger-ui":
            from .openapi_viewer import asset_response, document_30_response, page_response

            path = self.path

            def swagger_page(ctx: Context) -> Response:
                return page_response(ctx, path)

            out.append(endpoint("open_api_reference", path, "GET", swagger_page,
                                summary="Interactive API reference (Swagger UI)",
                                plugin=self.id))
            def document_30(ctx: Context) -> Response:
                return document_30_response(
                    generate(ctx.auth, ctx.request.origin if ctx.request is not None else None))

            out.append(endpoint("open_api_document_30", f"{path}/openapi-3.0.json", "GET",
                                document_30,
                                summary="The OpenAPI document as 3.0, for Swagger UI",
                                plugin=self.id))
            out.append(endpoint("open_api_reference_asset", f"{path}/assets/:file", "GET",
                                asset_response, summary="Swagger UI's files",
                                plugin=self.id))
        else:
            out.append(endpoint("open_api_reference", self.path, "GET", _reference_endpoint,
                                summary="HTML API reference", plugin=self.id))
        return out


def open_api(*, path: str = "/reference", disable_default_reference: bool = False,
             viewer: str = "table") -> OpenAPIPlugin:
    """Better Auth's ``openAPI()`` plugin: the document and a reference page.

    ``viewer="swagger-ui"`` serves Swagger UI (from the ``swagger-ui-bundle`` package,
    offline) instead of the script-free table: it renders the schemas with examples and
    can send requests.
    """
    return OpenAPIPlugin(path=path, disable_default_reference=disable_default_reference,
                         viewer=viewer)


def _generate_endpoint(ctx: Context) -> dict[str, Any]:
    return generate(ctx.auth, ctx.request.origin if ctx.request is not None else None)


def _reference_endpoint(ctx: Context) -> Response:
    page = reference_html(generate(ctx.auth, ctx.request.origin if ctx.request else None))
    return Response(200, [("Content-Type", "text/html; charset=utf-8"),
                          ("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'"),
                          ("X-Content-Type-Options", "nosniff")], page.encode("utf-8"))


__all__ = ["OpenAPIPlugin", "components", "generate", "open_api", "reference_html"]
