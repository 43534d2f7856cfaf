"""Construction-time checks of ``AuthKit``'s top-level keywords, each failing with one line.

A new user's first mistakes are Better Auth's camelCase spellings (``emailAndPassword=``), a
single origin given as a string, and a ``base_url`` that carries the mount path. Each is
caught here with the fix in the message, instead of a ``TypeError`` or a silent change.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import inspect
import logging
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from .errors import ConfigError

log = logging.getLogger("authkit")

DEFAULT_BASE_PATH = "/api/auth"
# Better Auth warns below 32 characters or about 120 bits of estimated entropy.
WEAK_SECRET_LENGTH = 32
WEAK_SECRET_BITS = 120.0

P = ParamSpec("P")
R = TypeVar("R")


def snake_case(name: str) -> str:
    """``emailAndPassword`` → ``email_and_password``, ``baseURL`` → ``base_url``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced).lower()


def suggestion(name: str, valid: Iterable[str]) -> str | None:
    """The valid name ``name`` most likely meant, or ``None``."""
    options = list(valid)
    snake = snake_case(name)
    if snake in options:
        return snake
    close = difflib.get_close_matches(snake, options, n=1, cutoff=0.7)
    return close[0] if close else None


def unknown_keywords_message(owner: str, unknown: Iterable[str], valid: Iterable[str]) -> str:
    """``unknown keyword 'x' (did you mean 'y'?)`` for every name, then the valid ones."""
    options = sorted(valid)
    parts = []
    for name in unknown:
        guess = suggestion(name, options)
        parts.append(f"{name!r}" + (f" (did you mean {guess!r}?)" if guess else ""))
    return (f"{owner}: unknown keyword(s) {', '.join(parts)}; valid keywords are "
            f"{', '.join(options)}")


def checked_keywords(init: Callable[P, R]) -> Callable[P, R]:
    """Wrap an ``__init__`` taking keyword-only options so that a misspelt keyword raises
    ``ConfigError`` with a "did you mean" instead of Python's bare ``TypeError``."""
    params = inspect.signature(init).parameters
    valid = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    owner = init.__qualname__.split(".")[0]

    @functools.wraps(init)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        unknown = [k for k in kwargs if k not in valid]
        if unknown:
            raise ConfigError(unknown_keywords_message(owner, unknown, valid))
        if len(args) > 1:
            raise ConfigError(f"{owner} takes keyword arguments only, e.g. "
                              f"{owner}(secret=..., database='sqlite:///app.db')")
        return init(*args, **kwargs)

    return wrapper


def check_trusted_origins(value: Any) -> None:
    """A list of origins (or a callable); a bare string would be read letter by letter."""
    if callable(value):
        return
    if isinstance(value, str | bytes):
        raise ConfigError(f"trusted_origins must be a list of origins, not a string: write "
                          f"trusted_origins=[{value!r}]")
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"trusted_origins holds {item!r}; every entry must be a string "
                              "such as 'https://app.example.com'")


def split_base_url(value: str | None, base_path: str | None,
                   production: bool) -> tuple[str | None, str]:
    """The origin of ``base_url`` and the base path.

    A path in ``base_url`` (``https://a.example/auth``) is honoured as the base path, as
    Better Auth does, unless ``base_path`` says otherwise: then the two disagree and
    construction fails rather than one being silently dropped.
    """
    if not value:
        if production:
            # Without it every emailed link would follow the Host header.
            raise ConfigError(
                "base_url is required in production: pass AuthKit(base_url="
                "'https://auth.example.com') or set AUTHKIT_BASE_URL"
            )
        return None, base_path or DEFAULT_BASE_PATH
    if not isinstance(value, str):
        raise ConfigError(f"base_url must be a string such as 'https://auth.example.com', "
                          f"not {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"base_url {value!r} must be an absolute http(s) URL such as "
                          "'https://auth.example.com'")
    if parts.query or parts.fragment:
        raise ConfigError(f"base_url {value!r} must not carry a query or fragment")
    origin = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if path:
        if base_path is not None and base_path != path:
            raise ConfigError(
                f"base_url {value!r} ends in the path {path!r} but base_path is "
                f"{base_path!r}: give base_url={origin!r} and base_path={base_path!r} (or "
                "leave base_path out to use the path of base_url)"
            )
        base_path = path
    return origin, base_path or DEFAULT_BASE_PATH


def entropy_bits(value: str) -> float:
    """Better Auth's estimate: length × log2(distinct characters)."""
    distinct = len(set(value))
    return len(value) * math.log2(distinct) if distinct > 1 else 0.0


_warned: set[str] = set()


def warn_weak_secrets(values: Iterable[Any]) -> None:
    """Log one warning per weak-looking secret (outside production; production refuses
    short ones). The secret itself is never logged."""
    for value in values:
        if not isinstance(value, str):
            continue
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
        if digest in _warned:
            continue
        if len(value) < WEAK_SECRET_LENGTH:
            reason = f"shorter than {WEAK_SECRET_LENGTH} characters"
        elif entropy_bits(value) < WEAK_SECRET_BITS:
            reason = "low in entropy (too few distinct characters)"
        else:
            continue
        _warned.add(digest)
        log.warning("authkit: the secret looks weak (%s); generate one with `authkit secret` "
                    "before deploying", reason, extra={"event": "config.weak_secret"})
