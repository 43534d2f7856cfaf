"""One HTTP test client over WSGI (webtest) or ASGI (httpx), with a browser-like cookie jar.

Every HTTP test runs against both interfaces through this class, so the two cannot diverge.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import webtest

from authkit import AuthKit


@dataclass
class Result:
    """A response as the tests see it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """First value of a header."""
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of a header."""
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def set_cookies(self) -> list[str]:
        """The Set-Cookie header values."""
        return self.header_all("set-cookie")

    def cookie(self, name: str) -> str | None:
        """The Set-Cookie line of one cookie name."""
        for line in self.set_cookies:
            if line.split("=", 1)[0] == name:
                return line
        return None

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.body)


@dataclass
class HTTPClient:
    """Requests against one app, keeping cookies like a browser (Max-Age=0 deletes)."""

    kind: str
    app: Any
    origin: str = "http://localhost:3000"
    jar: dict[str, str] = field(default_factory=dict)
    peer: str = "127.0.0.1"

    def cookie_header(self) -> str:
        """The Cookie header the jar would send."""
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())

    def request(self, method: str, path: str, *, json: Any = None, data: dict[str, str] | None
                = None, body: bytes | None = None, headers: dict[str, str] | None = None,
                query: dict[str, str] | None = None, use_jar: bool = True,
                origin: bool = True) -> Result:
        """Send one request. POSTs carry the client's Origin unless ``origin=False``."""
        hdrs: dict[str, str] = {}
        if origin and method not in ("GET", "HEAD"):
            hdrs["Origin"] = self.origin
        if use_jar and self.jar:
            hdrs["Cookie"] = self.cookie_header()
        payload = body
        if json is not None:
            payload = jsonlib.dumps(json).encode()
            hdrs["Content-Type"] = "application/json"
        elif data is not None:
            payload = urlencode(data).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        if query:
            path = f"{path}?{urlencode(query)}"
        result = (self._wsgi if self.kind == "wsgi" else self._asgi)(method, path, payload, hdrs)
        if use_jar:
            self._store(result)
        return result

    def get(self, path: str, **kw: Any) -> Result:
        """GET."""
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Result:
        """POST."""
        return self.request("POST", path, **kw)

    def _store(self, result: Result) -> None:
        for line in result.set_cookies:
            pair, _, attrs = line.partition(";")
            name, _, value = pair.partition("=")
            expired = value == "" or "max-age=0" in attrs.lower().replace(" ", "")
            if expired:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value

    def _wsgi(self, method: str, path: str, body: bytes | None,
              headers: dict[str, str]) -> Result:
        app = webtest.TestApp(self.app, extra_environ={"REMOTE_ADDR": self.peer})
        req = webtest.TestRequest.blank(path, method=method, headers=headers)
        req.environ["REMOTE_ADDR"] = self.peer
        if body is not None:
            req.body = body
        resp = app.do_request(req, status="*", expect_errors=True)
        return Result(resp.status_int, list(resp.headerlist), resp.body)

    def _asgi(self, method: str, path: str, body: bytes | None,
              headers: dict[str, str]) -> Result:
        async def go() -> Result:
            transport = httpx.ASGITransport(app=self.app, client=(self.peer, 50000))
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://localhost:3000") as client:
                resp = await client.request(method, path, content=body, headers=headers)
                return Result(resp.status_code, list(resp.headers.multi_items()), resp.content)

        return asyncio.run(go())


def make_client(kind: str, auth: AuthKit, **kw: Any) -> HTTPClient:
    """A client for ``auth``'s WSGI or ASGI app."""
    app = auth.wsgi_app() if kind == "wsgi" else auth.asgi_app()
    return HTTPClient(kind, app, **kw)


def parse_set_cookie(line: str) -> dict[str, str]:
    """Attributes of one Set-Cookie line, lower-cased keys (for assertions)."""
    name, _, value = line.split(";", 1)[0].partition("=")
    out = {"name": name, "value": value}
    for part in line.split(";")[1:]:
        key, _, val = part.strip().partition("=")
        out[key.lower()] = val
    return out
