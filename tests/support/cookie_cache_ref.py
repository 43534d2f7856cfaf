"""The reference Better Auth server with ``session.cookieCache`` switched on.

The shared ``server.mjs`` has no cookie-cache switch, so a variant is derived from it at run
time (one option inserted next to ``rateLimit``) and written beside it in the git-ignored
``tests/interop/.ref``, where its ``node_modules`` resolve. Used by the cookie-cache interop
test, the vector generator (``tests/vectors/cookie_cache_gen.py``) and ``bench/``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .live_servers import Server, free_port, reference_dir, wait_ok

VARIANT = "server-cookie-cache.mjs"
_ANCHOR = "  rateLimit,\n"
_OPTION = (
    "  session: process.env.COOKIE_CACHE ? { cookieCache: { enabled: true,"
    " strategy: process.env.COOKIE_CACHE,"
    " maxAge: Number(process.env.COOKIE_CACHE_MAX_AGE || 300),"
    " version: process.env.COOKIE_CACHE_VERSION || \"1\" } } : undefined,\n"
)


def variant_source(server_mjs: str) -> str:
    """``server.mjs`` with the cookie cache configurable through ``COOKIE_CACHE*`` env."""
    if _ANCHOR not in server_mjs:
        raise RuntimeError("server.mjs changed: cannot find where to add session.cookieCache")
    return server_mjs.replace(_ANCHOR, _ANCHOR + _OPTION, 1)


def variant_dir() -> Path:
    """The installed reference folder, with the variant written next to ``server.mjs``."""
    folder = reference_dir()
    source = variant_source((folder / "server.mjs").read_text(encoding="utf-8"))
    target = folder / VARIANT
    if not target.is_file() or target.read_text(encoding="utf-8") != source:
        target.write_text(source, encoding="utf-8")
    return folder


@contextmanager
def cookie_cache_reference(workdir: Path, *, secret: str, strategy: str | None,
                           max_age: int = 300, version: str = "1",
                           db_path: Path | None = None) -> Iterator[Server]:
    """The Node reference server with the cookie cache (``strategy=None``: cache off)."""
    folder = variant_dir()
    port = free_port()
    env = dict(os.environ)
    env.update({
        "PORT": str(port), "HOST": "127.0.0.1", "BASE_URL": f"http://127.0.0.1:{port}",
        "DB_PATH": str(db_path or workdir / f"ref-cc-{port}.db"),
        "OUTBOX": str(workdir / f"ref-cc-outbox-{port}.jsonl"),
        "BETTER_AUTH_SECRET": secret, "RATE_LIMIT": "off", "KEEP_DB": "0",
        "COOKIE_CACHE_MAX_AGE": str(max_age), "COOKIE_CACHE_VERSION": version,
    })
    env.pop("COOKIE_CACHE", None)
    if strategy is not None:
        env["COOKIE_CACHE"] = strategy
    log = workdir / f"ref-cc-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["node", VARIANT], env=env, cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server(f"reference Better Auth ({VARIANT}, cache {strategy})",
                    f"http://127.0.0.1:{port}", proc, log, env)
    try:
        wait_ok(server)
        yield server
    finally:
        server.stop()
