"""In-process cost of ``auth.api.get_session`` with a valid cookie, and where it goes.

    python bench/inprocess_get_session.py                 # SQLite: database path and cache hit
    python bench/inprocess_get_session.py --profile 20    # and cProfile's top 20 of each
    python bench/inprocess_get_session.py --database postgresql://postgres@127.0.0.1/test

One thread, no HTTP: the configuration `authkit serve` builds from its environment
(``AuthKit.from_env``), one signed-up user, then ``auth.api.get_session(headers=...)`` in
interleaved rounds (database path, cache hit, database path, ...) so that load from other
processes falls on both alike; the median round of the thread's CPU time per call is reported
(wall time would count the time other processes held the core). The ASGI cases
call ``auth.asgi_app()`` as a server would, answering on the event loop and with the thread
hand-off forced (the path every request took before).. Never run from a test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from authkit import AuthKit

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
TARGETS_US = {"database": 60.0, "cache hit": 25.0}


def make_auth(database: str, *, cookie_cache: bool) -> tuple[AuthKit, dict[str, str]]:
    """An AuthKit as `authkit serve` configures it, with one user; its Cookie header."""
    env = {"AUTHKIT_SECRET": SECRET, "AUTHKIT_DATABASE_URL": database,
           "AUTHKIT_BASE_URL": "http://127.0.0.1:3000", "AUTHKIT_RATE_LIMIT": "off"}
    if cookie_cache:
        env["AUTHKIT_COOKIE_CACHE"] = "compact"
    auth = AuthKit.from_env(env)
    auth.migrate()
    signed = auth.api.sign_up_email(
        body={"email": f"inproc-{uuid.uuid4().hex[:10]}@example.com",
              "password": "bench-password-1", "name": "Bench"},
        headers={"origin": "http://127.0.0.1:3000"}, return_headers=True)
    cookies = [v.split(";", 1)[0] for v in signed.headers.get_all("set-cookie")]
    cookie = "; ".join(c for c in cookies if not c.endswith("="))
    headers = {"cookie": cookie}
    found = auth.api.get_session(headers=headers)
    assert found is not None, "the bench cookie does not give a session"
    return auth, headers


def per_call(call: Callable[[], Any], n: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call.

    CPU time of this process (every thread: the ASGI hand-off runs in a worker) is the
    figure reported: on a shared machine the wall clock also counts the time other
    processes held the core, which is not this code's cost (with a database server the wall
    time also holds the round trip, so both are printed).
    """
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        call()
    return (time.process_time() - cpu) / n, (time.perf_counter() - wall) / n


def asgi_call(auth: AuthKit, headers: dict[str, str], loop: asyncio.AbstractEventLoop, *,
              hand_off: bool = False) -> Callable[[], Any]:
    """One GET /get-session through ``auth.asgi_app()`` on ``loop``; ``hand_off`` forces the
    worker-thread path (as if a hook were configured)."""
    app = auth.asgi_app()
    scope = {"type": "http", "method": "GET", "path": "/api/auth/get-session", "root_path": "",
             "query_string": b"", "scheme": "http", "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"127.0.0.1:3000"),
                         (b"cookie", headers["cookie"].encode("latin-1"))]}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    def call() -> None:
        if hand_off:
            with mock.patch("authkit.asgi.may_answer_from_cache", return_value=False):
                loop.run_until_complete(app(dict(scope), receive, send))
        else:
            loop.run_until_complete(app(dict(scope), receive, send))

    call()
    assert statuses[-1] == 200, statuses
    return call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    parser.add_argument("--calls", type=int, default=2000, help="calls per round (2000)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (7)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also print cProfile's top N functions (by own time) per case")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="authkit-inproc-") as tmp:
        database = args.database or f"sqlite:///{tmp}/inproc.db"
        loop = asyncio.new_event_loop()
        plain, plain_headers = make_auth(database, cookie_cache=False)
        cached, cached_headers = make_auth(database, cookie_cache=True)
        cases: dict[str, Callable[[], Any]] = {
            "database": lambda: plain.api.get_session(headers=plain_headers),
            "cache hit": lambda: cached.api.get_session(headers=cached_headers),
            "no cookie": lambda: plain.api.get_session(headers={}),
            "asgi cache hit, on the loop": asgi_call(cached, cached_headers, loop),
            "asgi cache hit, thread hand-off": asgi_call(cached, cached_headers, loop,
                                                         hand_off=True),
            "asgi database path": asgi_call(plain, plain_headers, loop),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for call in cases.values():
            per_call(call, 200)  # warm-up: pools, caches, first-call imports
        for _ in range(args.rounds):
            for name, call in cases.items():
                times[name].append(per_call(call, args.calls))
        for name, values in times.items():
            median = statistics.median(cpu for cpu, _ in values) * 1e6
            wall = statistics.median(w for _, w in values) * 1e6
            target = TARGETS_US.get(name)
            verdict = "" if target is None else (
                f"   target <= {target:g} us: {'met' if median <= target else 'missed'}")
            print(f"  {name:<32} median CPU {median:7.1f} us/call, wall {wall:7.1f} (CPU by "
                  f"round: {', '.join(f'{v * 1e6:.0f}' for v, _ in values)}){verdict}")
        if args.profile:
            for name in ("database", "cache hit"):
                profiler = cProfile.Profile(time.thread_time)  # CPU time, as above
                profiler.enable()
                per_call(cases[name], args.calls)
                profiler.disable()
                print(f"\n--- cProfile, {name}, {args.calls} calls (tottime = own time) ---")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        for auth in (plain, cached):
            auth.storage.close()
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
