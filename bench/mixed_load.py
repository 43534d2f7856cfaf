"""`authkit serve` under a mixed load: sign-in, get-session, sign-out, for 60 seconds.

    python bench/mixed_load.py                              # 60 s, 10 connections, 20 users
    python bench/mixed_load.py --duration 20 --workers 2 --cookie-cache compact
    python bench/mixed_load.py --rate-limit on              # 429s appear, counted apart

`authkit serve` runs on a fresh SQLite file with Better Auth's scrypt parameters (what a real
deployment hashes with). Users are created first; then each connection loops over: sign in
as one of them, get-session three times with the new cookie, sign out. Every answer other than
2xx is an error, except 429 with ``--rate-limit on`` (intended; reported separately). Prints
throughput, p50/p99 per operation and overall, and the error count, which must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.live_servers import Server, authkit_env, free_port, wait_ok

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
PASSWORD = "bench-password-1"
GETS_PER_CYCLE = 3


@contextmanager
def serve(workdir: Path, workers: int, extra: dict[str, str]) -> Iterator[Server]:
    """`authkit serve --workers N` on a fresh SQLite file, stopped on exit."""
    port = free_port()
    env = authkit_env(port=port, database_url=f"sqlite:///{workdir}/mixed.db", secret=SECRET,
                      extra=extra)
    log = workdir / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "authkit.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", str(workers)],
            env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    server = Server("authkit serve", f"http://127.0.0.1:{port}", proc, log, env)
    try:
        wait_ok(server)
        yield server
    finally:
        server.stop()


class Conn:
    """One keep-alive HTTP/1.1 connection (the load generator must cost little CPU)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, list[tuple[str, str]]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        out = [(k.strip().lower(), v.strip()) for k, _, v in
               (line.partition(":") for line in lines[1:] if line)]
        length = next((int(v) for k, v in out if k == "content-length"), 0)
        await self.reader.readexactly(length)
        return status, out


def _session_cookie(headers: list[tuple[str, str]]) -> str | None:
    for key, value in headers:
        pair = value.split(";", 1)[0]
        if key == "set-cookie" and pair.startswith("better-auth.session") and \
                not pair.endswith("="):
            return pair
    return None


async def run_load(server: Server, users: list[str], connections: int, duration: float
                   ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    host, port = server.base_url.removeprefix("http://").split(":")
    latencies: dict[str, list[float]] = defaultdict(list)
    outcome: dict[str, int] = defaultdict(int)
    origin = {"Origin": server.base_url, "Content-Type": "application/json"}
    stop = time.perf_counter() + duration

    async def timed(conn: Conn, op: str, method: str, path: str, headers: dict[str, str],
                    body: bytes = b"") -> tuple[int, list[tuple[str, str]]]:
        start = time.perf_counter()
        status, hdrs = await conn.request(method, path, headers, body)
        latencies[op].append(time.perf_counter() - start)
        outcome["429" if status == 429 else "ok" if status < 300 else f"error {status}"] += 1
        return status, hdrs

    async def worker(n: int) -> None:
        conn = Conn(host, int(port))
        i = n
        while time.perf_counter() < stop:
            email = users[i % len(users)]
            i += connections
            body = json.dumps({"email": email, "password": PASSWORD}).encode()
            status, hdrs = await timed(conn, "sign-in", "POST", "/api/auth/sign-in/email",
                                       origin, body)
            # Only the session_token pair; a cookie cache would ride along in real browsers.
            cookies = [v.split(";", 1)[0] for k, v in hdrs if k == "set-cookie"
                       and not v.split(";", 1)[0].endswith("=")]
            if status != 200 or not cookies:
                continue
            jar = {"Cookie": "; ".join(cookies)}
            for _ in range(GETS_PER_CYCLE):
                await timed(conn, "get-session", "GET", "/api/auth/get-session", jar)
            await timed(conn, "sign-out", "POST", "/api/auth/sign-out", {**origin, **jar})

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    return latencies, outcome, time.perf_counter() - began


async def create_users(server: Server, count: int) -> list[str]:
    host, port = server.base_url.removeprefix("http://").split(":")
    conn = Conn(host, int(port))
    emails = []
    for n in range(count):
        email = f"mixed-{n}-{time.time_ns()}@example.com"
        body = json.dumps({"email": email, "password": PASSWORD, "name": f"U{n}"}).encode()
        status, _ = await conn.request("POST", "/api/auth/sign-up/email",
                                       {"Origin": server.base_url,
                                        "Content-Type": "application/json",
                                        "X-Forwarded-For": f"10.0.{n // 250}.{n % 250 + 1}"},
                                       body)
        if status != 200:
            raise RuntimeError(f"sign-up {n} answered {status}")
        emails.append(email)
    return emails


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate-limit", choices=("on", "off"), default="off")
    parser.add_argument("--cookie-cache", default="off", help="off, compact, jwt or jwe")
    args = parser.parse_args(argv)
    extra = {"AUTHKIT_RATE_LIMIT": args.rate_limit, "AUTHKIT_COOKIE_CACHE": args.cookie_cache,
             # Set-up sign-ups come "from" distinct addresses so the limiter lets them through;
             # the load itself comes from 127.0.0.1 and meets the limits (intended 429s).
             "AUTHKIT_TRUSTED_PROXIES": "127.0.0.1"}
    print(f"mixed load: sign-in, {GETS_PER_CYCLE}× get-session, sign-out; {args.duration:g} s, "
          f"{args.connections} connections, {args.users} users, workers={args.workers}, "
          f"rate limit {args.rate_limit}, cookie cache {args.cookie_cache}; "
          f"{os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="authkit-mixed-") as tmp, \
            serve(Path(tmp), args.workers, extra) as server:
        users = asyncio.run(create_users(server, args.users))
        latencies, outcome, elapsed = asyncio.run(
            run_load(server, users, args.connections, args.duration))
    total = sum(len(v) for v in latencies.values())
    every = [x for v in latencies.values() for x in v]
    print(f"  {'operation':<12} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for op in ("sign-in", "get-session", "sign-out"):
        vals = latencies.get(op, [])
        print(f"  {op:<12} {len(vals):>7} {len(vals) / elapsed:>8.1f} {pct(vals, .5):>8.1f} "
              f"{pct(vals, .99):>8.1f}")
    print(f"  {'all':<12} {total:>7} {total / elapsed:>8.1f} {pct(every, .5):>8.1f} "
          f"{pct(every, .99):>8.1f}")
    errors = sum(n for k, n in outcome.items() if k.startswith("error"))
    print(f"  errors {errors} {dict(outcome)}; intended 429s {outcome.get('429', 0)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
