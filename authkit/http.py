"""Sans-IO HTTP values: ``Headers``, ``Request`` in, ``Response`` out.

The WSGI and ASGI modules translate to and from these; nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Union
from urllib.parse import parse_qsl

from .errors import APIError

HeaderInput = Union["Headers", Mapping[str, str], Iterable[tuple[str, str]], Any]


class Headers:
    """A case-insensitive multi-map of header names to values, in arrival order."""

    __slots__ = ("_items",)

    def __init__(self, items: HeaderInput = None) -> None:
        self._items: list[tuple[str, str]] = []
        if items is None:
            return
        if isinstance(items, Headers):
            self._items = list(items._items)
            return
        # Werkzeug/Starlette/Flask header objects and plain dicts all offer items();
        # multi-valued objects yield one pair per value.
        pairs: Iterable[Any]
        if hasattr(items, "items") and callable(items.items):
            multi = getattr(items, "multi_items", None)
            pairs = multi() if callable(multi) else items.items()
        else:
            pairs = items
        pair: Any
        for pair in pairs:
            name, value = pair
            if isinstance(name, bytes):
                name = name.decode("latin-1")
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            self._items.append((str(name), str(value)))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        lname = name.lower()
        for key, value in self._items:
            if key.lower() == lname:
                return value
        return default

    def cookie(self) -> str | None:
        """The ``Cookie`` header; several of them (HTTP/2 may split cookies over separate
        fields, RFC 9113 §8.2.3) are joined with ``"; "`` in arrival order."""
        values = self.get_all("cookie")
        if not values:
            return None
        return values[0] if len(values) == 1 else "; ".join(values)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        lname = name.lower()
        return [v for k, v in self._items if k.lower() == lname]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def set(self, name: str, value: str) -> None:
        """Replace every value of ``name`` with one."""
        self.remove(name)
        self._items.append((name, value))

    def add(self, name: str, value: str) -> None:
        """Append a value (Set-Cookie needs several)."""
        self._items.append((name, value))

    def remove(self, name: str) -> None:
        """Drop every value of ``name``."""
        lname = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lname]

    def items(self) -> list[tuple[str, str]]:
        """All ``(name, value)`` pairs."""
        return list(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        # Cookie and Authorization values are credentials: never print them.
        shown = [(k, "***" if k.lower() in _SECRET_HEADERS else v) for k, v in self._items]
        return f"Headers({shown!r})"


_SECRET_HEADERS = frozenset({"cookie", "authorization", "set-cookie", "set-auth-token"})


@dataclass(frozen=True)
class Request:
    """One HTTP request as a value.

    ``path`` is the decoded path below the server root (``/api/auth/sign-in/email``);
    ``client`` is the socket peer address, ``None`` when unknown.
    """

    method: str
    path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    client: str | None = None
    scheme: str = "http"
    # A path whose raw form had a doubled or encoded slash; routing refuses it
    # (docs/wire-compatibility.md#routing).
    raw_path: str | None = None

    @property
    def query(self) -> dict[str, str | list[str]]:
        """Query parameters; a repeated key becomes a list (docs/wire-compatibility.md#routing)."""
        out: dict[str, str | list[str]] = {}
        for key, value in parse_qsl(self.query_string, keep_blank_values=True):
            prev = out.get(key)
            if prev is None:
                out[key] = value
            elif isinstance(prev, list):
                prev.append(value)
            else:
                out[key] = [prev, value]
        return out

    @property
    def host(self) -> str:
        """The ``Host`` header, or ``localhost``."""
        return self.headers.get("host") or "localhost"

    @property
    def origin(self) -> str:
        """``scheme://host`` of this request as the client addressed it."""
        return f"{self.scheme}://{self.host}"


@dataclass
class Response:
    """One HTTP response as a value; ``headers`` keeps repeats (Set-Cookie)."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
    ) -> Response:
        """A JSON response with compact separators, like ``JSON.stringify``."""
        return cls(
            status,
            [("Content-Type", "application/json"), *headers],
            dumps(data).encode("utf-8"),
        )

    def header(self, name: str) -> str | None:
        """The first value of a response header."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        """Every value of a response header."""
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    def json_body(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None


def dumps(data: Any) -> str:
    """JSON text as ``JSON.stringify`` writes it: no spaces, non-ASCII kept."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def error_response(exc: APIError) -> Response:
    """The wire form of an ``APIError``: the JSON envelope (or an empty body for a redirect
    without one), with the error's own headers."""
    body = exc.body
    if body is None:
        headers = list(exc.headers)
        if exc.status == 302:
            headers.append(("Content-Type", "application/json"))
        return Response(exc.status, headers, b"")
    return Response(exc.status, [("Content-Type", "application/json"), *exc.headers],
                    dumps(body).encode("utf-8"))
