"""GET /api/auth/get-session with a valid cookie: authkit serve vs. the Node reference server.

    python bench/get_session.py                 # both servers, 10 and 50 connections, 10 s each
    python bench/get_session.py --duration 5 --connections 10 --no-reference

Both servers run on this machine, on a fresh SQLite file each, with rate limiting off (with
it on the limiter's 429s would be measured). One user signs up; its session cookie is sent
on every request. The load comes from wrk (`apt-get install -y wrk`, one thread as in the
reference's bench.sh); without wrk a Python asyncio load generator is used instead and the
output says so (it needs CPU itself, so its numbers are lower for both servers). The
reference server is ../shared/better-auth-ref/server.mjs installed in tests/interop/.ref
(the interop tests' cached copy); it is skipped with the reason when node is missing.
Finally the in-process cost of ``auth.api.get_session`` per call is measured, without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the checkout's authkit and the test suite's server helpers

import pytest  # the helpers skip with pytest.skip; main() turns that into a message

from tests.support.live_servers import (
    Server,
    authkit_env,
    authkit_server,
    reference_server,
    require_node,
)

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
PATH = "/api/auth/get-session"
TARGET_RATIO = 3.0
TARGET_CACHE_RATIO = 10.0  # with the cookie cache on both


@dataclass
class Run:
    """One load run's outcome."""

    server: str
    connections: int
    rate: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int


def sign_up(server: Server) -> tuple[str, str]:
    """Create the bench user; its cookies (one Cookie header) and e-mail."""
    email = f"bench-{time.time_ns()}@example.com"
    body = json.dumps({"email": email, "password": "bench-password-1", "name": "Bench"}).encode()
    req = urllib.request.Request(server.base_url + "/api/auth/sign-up/email", data=body, headers={
        "content-type": "application/json", "origin": server.base_url}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as res:
        cookies = res.headers.get_all("set-cookie") or []
    # Every cookie it was given: with the cookie cache on, session_data rides along.
    pairs = [c.split(";", 1)[0] for c in cookies]
    cookie = "; ".join(p for p in pairs if not p.endswith("="))
    req = urllib.request.Request(server.base_url + PATH, headers={"cookie": cookie})
    with urllib.request.urlopen(req, timeout=30) as res:
        got = json.loads(res.read())
    if not got or got["user"]["email"] != email:
        raise RuntimeError(f"{server.name}: the cookie does not give a session: {got}")
    return cookie, email


def ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, cookie: str, connections: int,
        duration: float) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, non-2xx + socket errors) from one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "--latency",
         "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    p50, p99 = (ms(*re.fullmatch(r"([\d.]+)(\w+)", pct[k]).groups())  # type: ignore[union-attr]
                for k in ("50", "99"))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return rate, p50, p99, errors


async def read_body(reader: asyncio.StreamReader, head: bytes) -> None:
    """Consume one response body: Content-Length (uvicorn) or chunked (Node's http)."""
    found = re.search(rb"(?i)content-length:\s*(\d+)", head)
    if found is not None:
        await reader.readexactly(int(found.group(1)))
        return
    while True:  # Transfer-Encoding: chunked
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        await reader.readexactly(size + 2)  # the chunk and its CRLF
        if size == 0:
            return


async def pyload(host: str, port: int, cookie: str, connections: int,
                 duration: float) -> tuple[float, float, float, int]:
    """The wrk fallback: keep-alive connections in one asyncio loop, same figures."""
    request = (f"GET {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n").encode()
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < stop:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            await read_body(reader, head)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return len(latencies) / elapsed, pick(0.50), pick(0.99), errors


def load(server: Server, cookie: str, connections: int, duration: float) -> Run:
    if shutil.which("wrk"):
        rate, p50, p99, errors = wrk(server.base_url + PATH, cookie, connections, duration)
    else:
        host, port = server.base_url.removeprefix("http://").split(":")
        rate, p50, p99, errors = asyncio.run(pyload(host, int(port), cookie, connections, duration))
    return Run(server.name, connections, rate, p50, p99, errors)


@dataclass
class Target:
    """One server under load: its label, the running server and the bench user's cookies."""

    label: str
    server: Server
    cookie: str


def interleaved(targets: list[Target], conns: list[int], rounds: int, duration: float,
                warmup: float) -> dict[tuple[str, int], Run]:
    """Rounds of (every connection count x every server), the median round per pair.

    Interleaving (authkit, reference, authkit, reference, ...) makes load from other
    processes on a shared machine fall on every server alike, so the ratios stay meaningful
    when the absolute numbers do not.
    """
    if warmup:
        for t in targets:
            load(t.server, t.cookie, conns[0], warmup)  # JIT, caches and pools settle
    runs: dict[tuple[str, int], list[Run]] = {}
    for r in range(rounds):
        for c in conns:
            for t in targets:
                run = load(t.server, t.cookie, c, duration)
                run.server = t.label
                runs.setdefault((t.label, c), []).append(run)
                print(f"  round {r + 1} {t.label:<18} c={c:<3} {run.rate:9.1f} req/s   "
                      f"p50 {run.p50_ms:7.2f} ms   p99 {run.p99_ms:7.2f} ms   errors "
                      f"{run.errors}", flush=True)
    for (label, c), found in runs.items():
        ref = runs.get(("reference", c))
        if ref is not None and label != "reference":
            # Each round's pair ran back to back: their ratio is what the load left alone.
            paired = sorted(a.rate / b.rate for a, b in zip(found, ref, strict=True))
            print(f"  paired ratios c={c:<3} {label}/reference: "
                  f"{', '.join(f'{x:.2f}' for x in paired)} (median "
                  f"{paired[len(paired) // 2]:.2f}x)")
    return {key: sorted(found, key=lambda x: x.rate)[len(found) // 2]
            for key, found in runs.items()}


def in_process(workdir: Path, calls: int) -> tuple[float, float]:
    """Seconds per ``auth.api.get_session`` call with a valid cookie: (with cookie, without)."""
    from authkit import AuthKit
    from authkit.settings import from_env

    # The same configuration `authkit serve` builds from its environment.
    env = authkit_env(port=3000, database_url=f"sqlite:///{workdir}/inproc.db", secret=SECRET)
    auth = AuthKit(**from_env(env))
    auth.migrate()
    signed = auth.api.sign_up_email(
        body={"email": "inproc@example.com", "password": "bench-password-1", "name": "Bench"},
        headers={"origin": "http://127.0.0.1:3000"}, return_headers=True)
    cookie = next(v.split(";", 1)[0] for v in signed.headers.get_all("set-cookie")
                  if v.startswith("better-auth.session_token="))
    headers = {"cookie": cookie}
    assert auth.api.get_session(headers=headers) is not None
    per_call = []
    for hdrs in (headers, {}):
        for _ in range(min(200, calls)):  # warm-up
            auth.api.get_session(headers=hdrs)
        start = time.perf_counter()
        for _ in range(calls):
            auth.api.get_session(headers=hdrs)
        per_call.append((time.perf_counter() - start) / calls)
    return per_call[0], per_call[1]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throw-away database on the local PostgreSQL (127.0.0.1:5432, trust), dropped after."""
    import psycopg

    name = f"authkit_bench_{os.getpid()}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run (5)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unreported warm-up seconds")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--connections", default="10,50", help="comma list (10,50)")
    parser.add_argument("--cookie-cache", default="off", choices=["off", "compact", "jwt", "jwe"],
                        help="the session cookie cache on both servers (off)")
    parser.add_argument("--no-reference", action="store_true", help="authkit only")
    parser.add_argument("--workers", type=int, default=0,
                        help="also `authkit serve --workers N`")
    parser.add_argument("--postgres", action="store_true",
                        help="also authkit on PostgreSQL (127.0.0.1:5432; the reference server "
                             "runs on SQLite only)")
    parser.add_argument("--calls", type=int, default=3000, help="in-process get_session calls")
    args = parser.parse_args(argv)
    conns = [int(c) for c in args.connections.split(",")]
    tool = "wrk -t1" if shutil.which("wrk") else "Python asyncio load generator (wrk not found)"
    print(f"GET {PATH} with a valid session cookie, cookie cache {args.cookie_cache}, "
          f"{args.rounds} interleaved rounds of {args.duration:g} s, load: {tool}")
    # Every server shares the machine with the load generator (and anything else running):
    # the load average says how quiet it was.
    print(f"{os.cpu_count()} cores, load average before the run: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    cache_env = {} if args.cookie_cache == "off" else {"AUTHKIT_COOKIE_CACHE": args.cookie_cache}

    with tempfile.TemporaryDirectory(prefix="authkit-bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        targets: list[Target] = []

        def add(label: str, server: Server) -> None:
            targets.append(Target(label, server, sign_up(server)[0]))

        add("authkit", stack.enter_context(authkit_server(
            work, database_url=f"sqlite:///{work}/authkit.db", secret=SECRET,
            extra_env=cache_env)))
        if args.workers:
            add(f"authkit-w{args.workers}", stack.enter_context(authkit_server(
                work, database_url=f"sqlite:///{work}/authkit-w.db", secret=SECRET,
                extra_env=cache_env, serve_args=("--workers", str(args.workers)))))
        if args.postgres:
            url = stack.enter_context(postgres_database())
            add("authkit-pg", stack.enter_context(authkit_server(
                work, database_url=url, secret=SECRET, extra_env=cache_env)))
        if not args.no_reference:
            try:
                require_node()
                ref_env = {} if args.cookie_cache == "off" else {
                    "COOKIE_CACHE": args.cookie_cache}
                add("reference", stack.enter_context(reference_server(
                    work, db_path=work / "ref.db", secret=SECRET, keep_db=False,
                    extra_env=ref_env)))
            except pytest.skip.Exception as exc:
                print(f"  reference  skipped: {exc}")
        results = interleaved(targets, conns, args.rounds, args.duration, args.warmup)
        print(f"  load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for (label, c), run in results.items():
            print(f"  median {label:<18} c={c:<3} {run.rate:9.1f} req/s   p50 "
                  f"{run.p50_ms:7.2f} ms   p99 {run.p99_ms:7.2f} ms")
        for (label, c), run in results.items():
            ref = results.get(("reference", c))
            if ref is None or label == "reference":
                continue
            ratio = run.rate / ref.rate
            target = TARGET_RATIO if args.cookie_cache == "off" else TARGET_CACHE_RATIO
            verdict = "meets" if ratio >= target else "below"
            print(f"  ratio c={c:<3} {label}/reference = {ratio:5.2f}x "
                  f"({verdict} the {target:g}x target)")
    if args.calls:
        with tempfile.TemporaryDirectory(prefix="authkit-bench-") as tmp:
            with_cookie, without = in_process(Path(tmp), args.calls)
        print(f"  in-process auth.api.get_session: {with_cookie * 1e6:8.1f} us/call with a "
              f"valid cookie ({1 / with_cookie:,.0f}/s), {without * 1e6:6.1f} us/call without")
    return 0


if __name__ == "__main__":
    sys.exit(main())
