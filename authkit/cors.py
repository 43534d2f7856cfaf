"""CORS for the auth handler, off unless configured (``AuthKit(cors=...)``).

Better Auth itself answers ``OPTIONS`` with 404 (docs/wire-compatibility.md#corrections) and leaves
CORS to the host
framework; authkit serves the auth handler on its own (``authkit serve``), so it offers the
equivalent of the seed's ``cors({origin: [...], credentials: true})`` in front of routing:

* a preflight (``OPTIONS`` + ``Access-Control-Request-Method``) on a covered path answers
  204: for an allowed origin with the origin echoed, ``Allow-Credentials``, the allowed
  methods and the requested headers that are allowed; for any other origin (``null``
  included) with no ``Access-Control-Allow-*`` header at all;
* other responses on covered paths get the same origin headers, and ``Vary: Origin``;
* ``*`` is never sent with credentials (refused at construction), and
  ``Access-Control-Allow-Private-Network`` only when ``allow_private_network`` is set
  (Flask-CORS CVE-2024-6221);
* ``paths`` match the decoded path with dot segments resolved, case-sensitively, ``+`` as
  a plain character (Flask-CORS CVE-2024-6866/6844): the same path the router sees.

The allowed origins default to the trusted origins (base URL + ``trusted_origins``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import coerce
from .errors import ConfigError
from .http import Request, Response

if TYPE_CHECKING:
    from .core import AuthKit


@dataclass(frozen=True, kw_only=True)
class CORSOptions:
    """``cors``: ``origins`` (None: the trusted origins; ``["*"]`` only without
    credentials), ``credentials``, ``methods``, ``allow_headers``, ``expose_headers``,
    ``max_age`` (preflight cache, seconds), ``allow_private_network`` and ``paths``
    (patterns, ``*`` at the end matches the rest; None: everything below ``base_path``)."""

    origins: Sequence[str] | None = None
    credentials: bool = True
    methods: Sequence[str] = ("GET", "POST", "OPTIONS")
    allow_headers: Sequence[str] = ("Content-Type", "Authorization")
    expose_headers: Sequence[str] = ("set-auth-token",)
    max_age: int = 600
    allow_private_network: bool = False
    paths: Sequence[str] | None = None

    def __post_init__(self) -> None:
        for name in ("origins", "methods", "allow_headers", "expose_headers", "paths"):
            if isinstance(getattr(self, name), str):
                raise ConfigError(f"cors.{name} must be a list of strings, not one string")
        if self.origins is not None and "*" in self.origins and self.credentials:
            raise ConfigError(
                "cors: origins=['*'] with credentials=True would let every site read signed-in "
                "responses; list the origins, or set credentials=False"
            )
        if isinstance(self.max_age, bool) or not isinstance(self.max_age, int) \
                or self.max_age < 0:
            raise ConfigError("cors.max_age must be a non-negative whole number of seconds")


@dataclass
class _Rule:
    pattern: str
    prefix: bool = field(init=False)
    text: str = field(init=False)

    def __post_init__(self) -> None:
        if not self.pattern.startswith("/"):
            raise ConfigError(f"cors.paths entry {self.pattern!r} must start with '/'")
        self.prefix = self.pattern.endswith("*")
        self.text = self.pattern[:-1] if self.prefix else self.pattern

    def matches(self, path: str) -> bool:
        return path.startswith(self.text) if self.prefix else path == self.text


def normalize_path(path: str) -> str:
    """The decoded path with ``.``/``..`` segments resolved; case and ``+`` untouched."""
    if "/." not in path:
        return path
    resolved = posixpath.normpath(path)
    if path.endswith("/") and not resolved.endswith("/"):
        resolved += "/"
    return "/" + resolved.lstrip("/")  # normpath keeps a leading "//"


class CORS:
    """The CORS decisions of one ``AuthKit`` (configured once)."""

    def __init__(self, auth: AuthKit | None, options: CORSOptions, *,
                 base_path: str = "/api/auth",
                 is_trusted_origin: Callable[[str, Request], bool] | None = None) -> None:
        """``CORS(None, options, base_path=..., is_trusted_origin=...)`` with what it uses;
        ``CORS(auth, options)`` takes them from an ``AuthKit``."""
        if auth is not None:
            base_path, is_trusted_origin = auth.base_path, auth.origins.is_trusted_origin
        self._is_trusted_origin = is_trusted_origin or (lambda origin, request: False)
        self.options = options
        self._origins = None if options.origins is None else frozenset(options.origins)
        self._any_origin = self._origins is not None and "*" in self._origins
        paths = options.paths if options.paths is not None else [base_path + "/*"]
        self._rules = [_Rule(p) for p in paths]
        self._methods = ", ".join(m.upper() for m in options.methods)
        self._method_set = frozenset(m.upper() for m in options.methods)
        self._headers = {h.lower(): h for h in options.allow_headers}
        self._expose = ", ".join(options.expose_headers)

    @staticmethod
    def options_of(option: CORSOptions | Mapping[str, Any] | bool | None) -> CORSOptions | None:
        """The validated options of ``AuthKit(cors=...)``: ``None`` (off) for
        ``None``/``False``; ``True`` means the defaults."""
        if option is None or option is False:
            return None
        if option is True:
            return CORSOptions()
        return coerce(CORSOptions, option, "cors")

    @classmethod
    def build(cls, auth: AuthKit, option: CORSOptions | Mapping[str, Any] | bool | None
              ) -> CORS | None:
        """The CORS of ``auth`` for ``AuthKit(cors=...)``, or ``None`` when off."""
        options = cls.options_of(option)
        return None if options is None else cls(auth, options)

    def covers(self, request: Request) -> bool:
        """Do the CORS rules apply to this request's path?"""
        path = normalize_path(request.path)
        return any(rule.matches(path) for rule in self._rules)

    def allowed(self, origin: str | None, request: Request) -> bool:
        """Is ``origin`` one the responses may be shared with?"""
        if not origin or origin == "null":
            return False
        if self._origins is None:
            return self._is_trusted_origin(origin, request) and "/" not in \
                origin.partition("://")[2]
        return self._any_origin or origin in self._origins

    def handle(self, request: Request, inner: Callable[[Request], Response]) -> Response:
        """Answer a preflight, or run ``inner`` and add the CORS headers to its response."""
        if not self.covers(request):
            return inner(request)
        origin = request.headers.get("origin")
        if request.method == "OPTIONS" and request.headers.get("access-control-request-method"):
            return self._preflight(request, origin)
        response = inner(request)
        response.headers = [*response.headers, *self._vary(response, ["Origin"])]
        if self.allowed(origin, request):
            response.headers.extend(self._origin_headers(origin))
            if self._expose and not any(k.lower() == "access-control-expose-headers"
                                        for k, _ in response.headers):
                response.headers.append(("Access-Control-Expose-Headers", self._expose))
        return response

    def _origin_headers(self, origin: str | None) -> list[tuple[str, str]]:
        if self._any_origin and not self.options.credentials:
            return [("Access-Control-Allow-Origin", "*")]
        out = [("Access-Control-Allow-Origin", origin or "")]
        if self.options.credentials:
            out.append(("Access-Control-Allow-Credentials", "true"))
        return out

    def _preflight(self, request: Request, origin: str | None) -> Response:
        vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        headers = [("Vary", vary)]
        method = (request.headers.get("access-control-request-method") or "").upper()
        if not self.allowed(origin, request) or method not in self._method_set:
            return Response(204, headers, b"")
        headers.extend(self._origin_headers(origin))
        headers.append(("Access-Control-Allow-Methods", self._methods))
        requested = [h.strip().lower() for h in
                     (request.headers.get("access-control-request-headers") or "").split(",")
                     if h.strip()]
        granted = [self._headers[h] for h in requested if h in self._headers]
        if granted:
            headers.append(("Access-Control-Allow-Headers", ", ".join(granted)))
        headers.append(("Access-Control-Max-Age", str(self.options.max_age)))
        if (self.options.allow_private_network and
                (request.headers.get("access-control-request-private-network") or "").lower()
                == "true"):
            headers.append(("Access-Control-Allow-Private-Network", "true"))
        return Response(204, headers, b"")

    @staticmethod
    def _vary(response: Response, names: list[str]) -> list[tuple[str, str]]:
        present = {v.strip().lower() for k, value in response.headers if k.lower() == "vary"
                   for v in value.split(",")}
        missing = [n for n in names if n.lower() not in present and "*" not in present]
        return [("Vary", ", ".join(missing))] if missing else []
