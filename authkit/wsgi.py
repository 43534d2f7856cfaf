"""WSGI translation: the auth handler as a WSGI application.

Only translation lives here: environ → ``Request``, ``Response`` → start_response. The body is
read with a cap so an oversized upload is refused before it is read whole
(docs/security.md#input-validation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .errors import APIError
from .http import Headers, Request, Response, error_response

if TYPE_CHECKING:
    from .core import AuthKit

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def reason(status: int) -> str:
    """``"401 Unauthorized"``: the standard phrase, as the Node server sends it."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def environ_headers(environ: Environ) -> Headers:
    """Request headers from a WSGI environ."""
    items: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            items.append((key[5:].replace("_", "-").lower(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            items.append((key.replace("_", "-").lower(), value))
    return Headers(items)


def read_body(environ: Environ, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes; more raises a 413 ``APIError``."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        try:
            length = int(length_text)
        except ValueError:
            raise APIError(400, "BAD_REQUEST", "Invalid Content-Length") from None
        if length > limit:
            raise APIError(413, "PAYLOAD_TOO_LARGE")
        return bytes(stream.read(length)) if length > 0 else b""
    if environ.get("wsgi.input_terminated") or "chunked" in environ.get(
            "HTTP_TRANSFER_ENCODING", "").lower():
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise APIError(413, "PAYLOAD_TOO_LARGE")
        return bytes(data)
    return b""


def wsgi_text(value: str) -> str:
    """The UTF-8 text of a PEP 3333 environ string (latin-1 wrapped bytes); a value that is not
    such a wrapping stays as it is."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def wsgi_path(environ: Environ) -> tuple[str, str | None]:
    """The decoded path (SCRIPT_NAME + PATH_INFO) and the raw request path when known."""
    path = wsgi_text((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/")
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    return path, (raw.split("?", 1)[0] if raw else None)


def to_request(environ: Environ, body: bytes) -> Request:
    """A ``Request`` value from a WSGI environ."""
    path, raw = wsgi_path(environ)
    return Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=path,
        query_string=environ.get("QUERY_STRING", ""),
        headers=environ_headers(environ),
        body=body,
        client=environ.get("REMOTE_ADDR"),
        scheme=environ.get("wsgi.url_scheme", "http"),
        raw_path=raw,
    )


def send(response: Response, start_response: StartResponse,
         exc_info: Any = None) -> Iterable[bytes]:
    """Hand a ``Response`` to the WSGI server (``exc_info`` when answering an exception the
    app raised, as PEP 3333 asks)."""
    headers = [*response.headers, ("Content-Length", str(len(response.body)))]
    if exc_info is not None:
        start_response(reason(response.status), headers, exc_info)
    else:
        start_response(reason(response.status), headers)
    return [response.body]


class WSGIHandler:
    """The auth endpoints as a WSGI app (mount it at the server root or under a prefix)."""

    def __init__(self, auth: AuthKit) -> None:
        self.auth = auth

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = read_body(environ, self.auth.options.advanced.max_body_size)
        except APIError as exc:
            return send(error_response(exc), start_response)
        return send(self.auth.handle(to_request(environ, body)), start_response)
