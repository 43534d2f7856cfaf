"""Differential testing: the same raw HTTP requests to the Node reference and to authkit.

A `Pair` holds one `Side` per server. A case is a function of a `Side` (it may keep per-server
values such as key ids in ``side.vars``, since each server mints its own); it runs on both sides
and `compare` checks that the answers agree on what a client can rely on: the status, the JSON
body with its random values (ids, tokens, dates) masked, and the Set-Cookie names and attributes
(values masked, but an empty value, i.e. a clearing cookie, stays visible).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .live_servers import Server, authkit_server, reference_dir, reference_server, require_node

SECRET = "wire-diff-secret-0123456789-wire-diff-secret"
DEFAULT_PASSWORD = "wire-diff-pass-123"

# Values that differ between two correct servers: dates, ids, tokens, hashes.
_RANDOM = [
    re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"),
    re.compile(r"^[A-Za-z0-9_\-.~+/=]{16,}$"),
    re.compile(r"^(temp-)?[a-z0-9]{32}@"),  # the anonymous plugin's placeholder addresses
]


class Side:
    """One server and a cookie jar; ``vars`` keeps what a case minted on this server."""

    def __init__(self, name: str, server: Server) -> None:
        self.name = name
        self.server = server
        self.cookies: dict[str, str] = {}
        self.vars: dict[str, Any] = {}

    @property
    def base(self) -> str:
        return self.server.base_url

    def call(self, method: str, path: str, body: Any = None, *,
             headers: Mapping[str, str] | None = None, cookies: bool | dict[str, str] = True,
             origin: bool = True, raw: bytes | None = None, params: Any = None,
             jar: dict[str, str] | None = None) -> httpx.Response:
        """``method /api/auth<path>``; JSON ``body`` (or ``raw`` bytes); the jar's cookies unless
        told otherwise; an Origin of the server itself unless ``origin=False``."""
        sent: dict[str, str] = {}
        if origin:
            sent["origin"] = self.base
        own = self.cookies if jar is None else jar
        use = own if cookies is True else (cookies or {})
        if use:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in use.items())
        sent.update(headers or {})
        kwargs: dict[str, Any] = {"headers": sent, "timeout": 30, "params": params}
        if raw is not None:
            kwargs["content"] = raw
            sent.setdefault("content-type", "application/json")
        elif body is not None:
            kwargs["json"] = body
        res = httpx.request(method, self.base + "/api/auth" + path, **kwargs)
        if cookies is True:
            absorb(own, res)
        return res

    def sign_up(self, email: str, *, name: str = "Wire", password: str = DEFAULT_PASSWORD,
                jar: dict[str, str] | None = None, **extra: Any) -> Any:
        res = self.call("POST", "/sign-up/email",
                        {"email": email, "password": password, "name": name, **extra}, jar=jar)
        assert res.status_code == 200, (self.name, res.status_code, res.text)
        return res.json()


def absorb(jar: dict[str, str], res: httpx.Response) -> None:
    for line in res.headers.get_list("set-cookie"):
        pair, _, attrs = line.partition(";")
        name, _, value = pair.partition("=")
        if "max-age=0" in attrs.lower() or not value:
            jar.pop(name.strip(), None)
        else:
            jar[name.strip()] = value


# Error codes (VALIDATION_ERROR) look random to the pattern above but must be compared.
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")

# Keys whose values each server mints for itself (a short `start` escapes the pattern above).
RANDOM_KEYS = frozenset({"id", "token", "key", "start", "userId", "referenceId", "createdAt",
                         "updatedAt", "expiresAt", "lastRequest", "lastRefillAt", "ipAddress"})


def mask(value: Any, ignore: frozenset[str] = frozenset()) -> Any:
    """The body with its random leaves replaced by a marker (structure and key order kept);
    ``ignore`` names keys whose values are known to differ (a deliberate deviation)."""
    if isinstance(value, dict):
        return [(k, "<ignored>" if k in ignore else
                 "<random>" if k in RANDOM_KEYS and v is not None
                 and not isinstance(v, (dict, list)) else mask(v, ignore))
                for k, v in value.items()]
    if isinstance(value, list):
        return [mask(v, ignore) for v in value]
    if (isinstance(value, str) and not _CODE.match(value)
            and any(p.match(value) for p in _RANDOM)):
        return "<random>"
    return value


def cookie_shape(res: httpx.Response) -> list[tuple[str, bool, tuple[str, ...]]]:
    """(name, has a value, attributes) per Set-Cookie, Expires dates dropped, sorted by name."""
    shapes = []
    for line in res.headers.get_list("set-cookie"):
        pair, *attrs = [p.strip() for p in line.split(";")]
        name, _, value = pair.partition("=")
        # multi-session cookies carry the session token in their name
        name = re.sub(r"_multi-.*$", "_multi-<token>", name)
        kept = []
        for attr in attrs:
            key = attr.split("=", 1)[0].lower()
            if key == "expires" or not attr:
                continue
            kept.append(attr.lower() if key != "max-age" else f"max-age={attr.split('=', 1)[1]}")
        shapes.append((name, bool(value), tuple(sorted(kept))))
    return sorted(shapes)


@dataclass
class Answer:
    status: int
    body: Any
    cookies: list[tuple[str, bool, tuple[str, ...]]]
    text: str = ""

    @classmethod
    def of(cls, res: httpx.Response, *, ignore: frozenset[str] = frozenset()) -> Answer:
        try:
            body: Any = res.json()
        except ValueError:
            body = res.text
        return cls(res.status_code, mask(body, ignore), cookie_shape(res), res.text[:400])


@dataclass
class Pair:
    node: Side
    authkit: Side
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.node, self.authkit

    def both(self, case: Callable[[Side], httpx.Response | None], *,
             ignore: frozenset[str] = frozenset()) -> tuple[Answer, Answer]:
        answers = []
        for side in self.sides:
            res = case(side)
            assert res is not None
            answers.append(Answer.of(res, ignore=ignore))
        return answers[0], answers[1]

    def compare(self, case: Callable[[Side], httpx.Response | None], *,
                body: bool = True, cookies: bool = True,
                ignore: frozenset[str] = frozenset()) -> tuple[Answer, Answer]:
        """Run ``case`` on both servers and assert that the answers agree."""
        node, ours = self.both(case, ignore=ignore)
        detail = f"\nnode:    {node.status} {node.text}\nauthkit: {ours.status} {ours.text}"
        assert node.status == ours.status, "status differs" + detail
        if body:
            assert node.body == ours.body, "body differs" + first_difference(node.body, ours.body) + detail
        if cookies:
            assert node.cookies == ours.cookies, (
                f"cookies differ\nnode:    {node.cookies}\nauthkit: {ours.cookies}" + detail)
        return node, ours


def first_difference(node: Any, ours: Any, where: str = "") -> str:
    """Where two masked bodies first part ways, for a readable failure."""
    if isinstance(node, list) and isinstance(ours, list):
        for i, (a, b) in enumerate(zip(node, ours)):
            if a != b:
                return first_difference(a, b, f"{where}[{i}]")
        if len(node) != len(ours):
            return f" at {where}: lengths {len(node)} != {len(ours)}: {node[len(ours):] or ours[len(node):]}"
    return f" at {where}: node {node!r} != authkit {ours!r}"


def error_only(res: httpx.Response) -> Any:
    """An error answer reduced to its code and message (for bodies that carry extra detail)."""
    body = res.json()
    return {"code": body.get("code"), "message": body.get("message")}


@contextmanager
def server_pair(work: Path, *, plugins: str, knobs: Mapping[str, str] | None = None,
                authkit_knobs: Mapping[str, str] | None = None) -> Iterator[Pair]:
    """The reference with ``PLUGINS=plugins`` and ``knobs``, and authkit serve with the same
    plugins and the knobs under their AUTHKIT_ names; each on its own fresh SQLite file."""
    require_node()
    reference_dir()
    knobs = dict(knobs or {})
    ours = {"AUTHKIT_PLUGINS": plugins, **{f"AUTHKIT_{k}": v for k, v in knobs.items()},
            **(authkit_knobs or {})}
    with ExitStack() as stack:
        node = stack.enter_context(reference_server(
            work, db_path=work / "node.db", secret=SECRET, keep_db=False, plugins=plugins,
            outbox=work / "node-outbox.jsonl", extra_env=knobs))
        authkit = stack.enter_context(authkit_server(
            work, database_url=f"sqlite:///{work / 'authkit.db'}", secret=SECRET,
            outbox=work / "authkit-outbox.jsonl", extra_env=ours))
        pair = Pair(Side("node", node), Side("authkit", authkit))
        pair.node.vars["outbox"] = work / "node-outbox.jsonl"
        pair.authkit.vars["outbox"] = work / "authkit-outbox.jsonl"
        yield pair
