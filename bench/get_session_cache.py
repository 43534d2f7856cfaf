"""GET /api/auth/get-session with the cookie cache off and on: authkit serve vs. Better Auth.

    python bench/get_session_cache.py                        # off, compact, jwe; c=10; 10 s
    python bench/get_session_cache.py --modes off,compact --connections 10,50 --duration 5

For each mode both servers run with the same settings (``session.cookieCache`` with
``maxAge`` 300, rate limiting off, a fresh SQLite file): `authkit serve` with
``AUTHKIT_COOKIE_CACHE=<mode>``, and the reference server variant of
``tests/support/cookie_cache_ref.py`` with ``COOKIE_CACHE=<mode>``. One user signs up; its
``session_token`` *and* ``session_data`` cookies go with every request, so with the cache on
each answer comes from the cookie, without a database read. The load generator and figures
are ``get_session.py``'s (wrk when installed). Prints a row per run and the authkit/reference
ratio per mode.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path

import pytest  # the server helpers skip with pytest.skip

sys.path.insert(0, str(Path(__file__).resolve().parent))
from get_session import PATH, SECRET, Run, load

from tests.support.cookie_cache_ref import cookie_cache_reference
from tests.support.live_servers import Server, authkit_server, require_node


def sign_up_all_cookies(server: Server) -> str:
    """Sign the bench user up; every cookie it was given, as one Cookie header."""
    email = f"bench-{time.time_ns()}@example.com"
    body = json.dumps({"email": email, "password": "bench-password-1", "name": "Bench"}).encode()
    req = urllib.request.Request(server.base_url + "/api/auth/sign-up/email", data=body,
                                 headers={"content-type": "application/json",
                                          "origin": server.base_url}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as res:
        lines = res.headers.get_all("set-cookie") or []
    pairs = [line.split(";", 1)[0] for line in lines]
    cookie = "; ".join(p for p in pairs if not p.endswith("="))
    req = urllib.request.Request(server.base_url + PATH, headers={"cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as res:
        got = json.loads(res.read())
    if not got or got["user"]["email"] != email:
        raise RuntimeError(f"{server.name}: the cookies do not give a session: {got}")
    return cookie


def measure(label: str, start: Callable[[], AbstractContextManager[Server]],
            conns: list[int], duration: float, warmup: float) -> list[Run]:
    with start() as server:
        cookie = sign_up_all_cookies(server)
        if warmup:
            load(server, cookie, conns[0], warmup)
        runs = []
        for c in conns:
            run = load(server, cookie, c, duration)
            run.server = label
            runs.append(run)
            print(f"  {label:<20} c={c:<3} {run.rate:9.1f} req/s   p50 {run.p50_ms:7.2f} ms   "
                  f"p99 {run.p99_ms:7.2f} ms   errors {run.errors}", flush=True)
        return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default="off,compact,jwe", help="off,compact,jwt,jwe")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", default="10")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args(argv)
    conns = [int(c) for c in args.connections.split(",")]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    print(f"GET {PATH}, cookie cache {'/'.join(modes)}, {args.duration:g} s per run; "
          f"{os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: dict[tuple[str, str, int], Run] = {}
    with tempfile.TemporaryDirectory(prefix="authkit-bench-cache-") as tmp:
        work = Path(tmp)
        for mode in modes:
            env = {"AUTHKIT_COOKIE_CACHE": mode}
            db = work / f"authkit-{mode}.db"
            start = partial(authkit_server, work, database_url=f"sqlite:///{db}",
                            secret=SECRET, extra_env=env)
            for run in measure(f"authkit cache={mode}", start, conns, args.duration,
                               args.warmup):
                results[("authkit", mode, run.connections)] = run
            if args.no_reference:
                continue
            try:
                require_node()
            except pytest.skip.Exception as exc:  # the test helpers skip; here we print
                print(f"  reference skipped: {exc}")
                args.no_reference = True
                continue
            strategy = None if mode == "off" else mode
            start = partial(cookie_cache_reference, work, secret=SECRET, strategy=strategy,
                            db_path=work / f"ref-{mode}.db")
            for run in measure(f"reference cache={mode}", start, conns, args.duration,
                               args.warmup):
                results[("reference", mode, run.connections)] = run
    for mode in modes:
        for c in conns:
            ours, ref = results.get(("authkit", mode, c)), results.get(("reference", mode, c))
            if ours and ref:
                print(f"  ratio cache={mode:<8} c={c:<3} authkit/reference = "
                      f"{ours.rate / ref.rate:5.2f}x")
        off, on = results.get(("authkit", "off", conns[0])), results.get(("authkit", mode,
                                                                          conns[0]))
        if mode != "off" and off and on:
            print(f"  authkit cache={mode} vs off (c={conns[0]}): {on.rate / off.rate:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
