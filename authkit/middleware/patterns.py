"""The path pattern language of the middleware rules, compiled once.

Path patterns come in two forms, freely mixed:

* Next.js matcher form: ``/dashboard/:path*`` (the path and everything below it),
  ``/u/:id`` (one segment), ``/u/:id?`` (zero or one), ``/docs/:rest+`` (one or more);
* glob form: ``/admin/*`` (a *trailing* ``*`` covers ``/admin`` and everything below it, so a
  protected section cannot be reached one level deeper), ``/a/*/b`` (one segment), ``/a/**``
  (any depth), ``*.png`` inside a segment.

Every request path has two readings, the decoded path the app router sees and a canonical
one (``canonical_path``: percent-decoded until stable, ``\\`` read as ``/``, ``;params``
dropped, dot segments resolved, repeated slashes merged); ``AuthRules`` decides with both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from ..errors import ConfigError

# -- paths ---------------------------------------------------------------------------------

_PARAM = re.compile(r"^:[A-Za-z_][A-Za-z0-9_]*([*+?]?)$")
_NEEDS_CANONICALIZING = re.compile(r"[%\\;]|//|/\.")
_FORBIDDEN_IN_PATTERN = re.compile(r"[()\[\]{}?#\\:+]")
# Probes for "this pattern matches every path": the root, shallow, deep, odd characters.
_PROBES = ("/", "/a", "/a/b", "/zz-probe/x/y.html", "/sign-in", "/%7E;x/..")


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """A regular expression for one Next.js-style or glob path pattern (see module doc)."""
    if not isinstance(pattern, str) or not pattern.startswith("/"):
        raise ConfigError(f"path pattern {pattern!r} must start with '/', e.g. '/dashboard/*'")
    segments = [s for s in pattern.split("/") if s]
    for seg in segments:
        if _PARAM.match(seg) is None and _FORBIDDEN_IN_PATTERN.search(seg):
            raise ConfigError(
                f"path pattern {pattern!r}: only ':name', ':name*', ':name+', ':name?', '*' "
                "and '**' are supported (no regular expressions or query strings)"
            )
    out = ["^"]
    for index, seg in enumerate(segments):
        last = index == len(segments) - 1
        param = _PARAM.match(seg)
        if seg == "**" or (seg == "*" and last) or (param and param.group(1) == "*"):
            out.append(r"(?:/.*)?")
        elif param and param.group(1) == "+":
            out.append(r"/[^/]+(?:/.*)?")
        elif param and param.group(1) == "?":
            out.append(r"(?:/[^/]+)?")
        elif param or seg == "*":
            out.append(r"/[^/]+")
        elif seg.startswith(":"):
            raise ConfigError(f"path pattern {pattern!r}: bad parameter {seg!r}")
        else:
            out.append("/" + "[^/]*".join(re.escape(part) for part in seg.split("*")))
    out.append("/?$")
    return re.compile("".join(out), re.IGNORECASE if ignore_case else 0)


def canonical_path(path: str) -> str:
    """The path as the most lenient server would read it (docs/security.md#middleware).

    Percent-decoded until stable (``/adm%2569n`` is ``/admin`` to a server that decodes
    twice), backslashes as slashes, ``;params`` dropped, dot segments resolved, empty
    segments merged, no trailing slash.
    """
    if not _NEEDS_CANONICALIZING.search(path):
        return path.rstrip("/") or "/"  # the common case, without the segment walk
    for _ in range(4):
        if "%" not in path:
            break
        decoded = unquote(path, errors="replace")
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


class PathSet:
    """A compiled list of patterns."""

    __slots__ = ("_regexes", "patterns")

    def __init__(self, patterns: Iterable[str], *, ignore_case: bool) -> None:
        self.patterns = tuple(patterns)
        self._regexes = tuple(compile_pattern(p, ignore_case=ignore_case)
                              for p in self.patterns)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def match(self, path: str) -> bool:
        """Does any pattern match ``path``?"""
        return any(r.match(path) for r in self._regexes)

    def match_all(self) -> list[str]:
        """The patterns that match every path (for the configuration warning)."""
        return [p for p, r in zip(self.patterns, self._regexes, strict=True)
                if all(r.match(probe) for probe in _PROBES)]
