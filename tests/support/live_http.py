"""HTTP calls against a live server (`authkit serve` or the Node reference) with httpx."""

from __future__ import annotations

from typing import Any

import httpx

from .live_servers import Server

COOKIE = "better-auth.session_token"


def post(http: httpx.Client, server: Server, path: str, body: dict[str, Any],
         cookie: str | None = None) -> httpx.Response:
    """``POST {base}/api/auth{path}`` as a browser's same-origin request would be sent."""
    headers = {"origin": server.base_url}
    if cookie:
        headers["cookie"] = cookie
    return http.post(server.base_url + "/api/auth" + path, json=body, headers=headers)


def session_cookie(res: httpx.Response) -> str:
    """``better-auth.session_token=<value>`` from a response's Set-Cookie headers."""
    for line in res.headers.get_list("set-cookie"):
        pair = line.split(";", 1)[0]
        if pair.startswith(COOKIE + "=") and pair != COOKIE + "=":
            return pair
    raise AssertionError(f"no {COOKIE} cookie in {res.headers.get_list('set-cookie')}")
