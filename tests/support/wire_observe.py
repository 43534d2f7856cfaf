"""What a differential test compares of one HTTP answer: status, Location (path and query,
random values masked), Set-Cookie names and attributes (values ignored), and the JSON error
(code and message) or the JSON shape (keys in order, value types) of a success."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import httpx

RANDOM_QUERY = {"state", "code_challenge", "nonce", "code", "token", "id_token_hint"}


class Target(Protocol):
    """Anything with the base URL of the server that answered."""

    @property
    def base_url(self) -> str: ...


def shape(value: Any) -> Any:
    """Keys in order and value types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list", shape(value[0])] if value else ["list"]
    return type(value).__name__


def _location(loc: str, target: Target) -> Any:
    base = target.base_url
    if loc.startswith(base):
        loc = "BASE" + loc[len(base):]
    parts = urlsplit(loc)
    query = [(k, "*" if k in RANDOM_QUERY else v.replace(base, "BASE"))
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return {"at": f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path,
            "query": query}


def _cookies(res: httpx.Response) -> list[Any]:
    found = []
    for line in res.headers.get_list("set-cookie"):
        pair, *attrs = line.split(";")
        name, _, value = pair.partition("=")
        norm = sorted(a.strip().lower() if not a.strip().lower().startswith("expires")
                      else "expires" for a in attrs if a.strip())
        found.append((name.strip(), "empty" if value.strip() == "" else "value", norm))
    return sorted(found)


def observe(res: httpx.Response, target: Target) -> dict[str, Any]:
    obs: dict[str, Any] = {"status": res.status_code, "cookies": _cookies(res)}
    loc = res.headers.get("location")
    obs["location"] = _location(loc, target) if loc is not None else None
    if res.content:
        try:
            body = res.json()
        except ValueError:
            obs["body"] = "non-json"
        else:
            if isinstance(body, dict) and res.status_code >= 400:
                obs["body"] = {"code": body.get("code"), "message": body.get("message")}
            else:
                obs["body"] = shape(body)
    else:
        obs["body"] = None
    return obs




def differences(node: Any, authkit: Any, at: str = "") -> list[str]:
    """Where two observations differ, for a readable failure."""
    if isinstance(node, list) and isinstance(authkit, list) and len(node) == len(authkit):
        return [d for i, (a, b) in enumerate(zip(node, authkit, strict=True))
                for d in differences(a, b, f"{at}[{i}]")]
    if isinstance(node, dict) and isinstance(authkit, dict) and node.keys() == authkit.keys():
        return [d for k in node for d in differences(node[k], authkit[k], f"{at}.{k}")]
    return [] if node == authkit else [f"{at}: node {node!r} != authkit {authkit!r}"]
