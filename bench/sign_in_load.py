"""Sign-in under load does not stall reads: authkit serve vs. the Node reference, one run.

    python bench/sign_in_load.py                       # 2 rounds, 6 s per phase
    python bench/sign_in_load.py --rounds 3 --duration 8 --signers 10

Per server (interleaved: authkit, reference, authkit, ...): get-session p99 with wrk at 10
connections while idle, then the same while ``--signers`` Python threads sign in back to
back (keep-alive connections, the real password hash: Better Auth's scrypt N=16384, r=16,
p=1 on both). Reports sign-ins per second, the idle and loaded p99, and their ratio
(targets: sign-in rate >= 1.0x the reference; loaded p99 <= 2x idle p99). Loopback only;
every phase stops after ``--duration`` seconds. Never run from a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pytest  # the server helpers skip with pytest.skip
from get_session import SECRET, load, sign_up

from tests.support.live_servers import Server, authkit_server, reference_server, require_node

PASSWORD = "bench-password-1"


def signers(server: Server, email: str, threads: int, duration: float) -> int:
    """Sign ``email`` in from ``threads`` threads until ``duration`` passes; how many 200s."""
    host, port = server.base_url.removeprefix("http://").split(":")
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    headers = {"content-type": "application/json", "origin": server.base_url}
    stop = time.monotonic() + duration
    done: list[int] = []
    failed: list[int] = []

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        ok = bad = 0
        while time.monotonic() < stop:
            conn.request("POST", "/api/auth/sign-in/email", body=body, headers=headers)
            res = conn.getresponse()
            res.read()
            if res.status == 200:
                ok += 1
            else:
                bad += 1
        conn.close()
        done.append(ok)
        failed.append(bad)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if sum(failed):
        print(f"    {server.name}: {sum(failed)} sign-ins answered other than 200")
    return sum(done)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6.0, help="seconds per phase (6)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (2)")
    parser.add_argument("--signers", type=int, default=10, help="signing-in clients (10)")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average before the run: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows: dict[str, list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="authkit-signin-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        servers = [("authkit", stack.enter_context(authkit_server(
            work, database_url=f"sqlite:///{work}/authkit.db", secret=SECRET)))]
        try:
            require_node()
            servers.append(("reference", stack.enter_context(reference_server(
                work, db_path=work / "ref.db", secret=SECRET, keep_db=False))))
        except pytest.skip.Exception as exc:
            print(f"  reference skipped: {exc}")
        users = {label: sign_up(server) for label, server in servers}
        for r in range(args.rounds):
            for label, server in servers:
                cookie, email = users[label]
                idle = load(server, cookie, 10, args.duration)
                box: list[int] = []
                thread = threading.Thread(target=lambda s=server, e=email, b=box: b.append(
                    signers(s, e, args.signers, args.duration + 1)))
                thread.start()
                time.sleep(0.5)  # the signers are running before reads are measured
                busy = load(server, cookie, 10, args.duration)
                thread.join()
                rate = box[0] / (args.duration + 1)
                rows.setdefault(label, []).append((rate, idle.p99_ms or 0, busy.p99_ms or 0))
                print(f"  round {r + 1} {label:<10} sign-in {rate:6.1f}/s   get-session p99 "
                      f"idle {idle.p99_ms:7.2f} ms, during sign-ins {busy.p99_ms:7.2f} ms "
                      f"({busy.rate:7.1f} req/s)   errors {idle.errors + busy.errors}",
                      flush=True)
    print(f"  load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    medians = {label: tuple(statistics.median(v[i] for v in found) for i in range(3))
               for label, found in rows.items()}
    for label, (rate, idle, busy) in medians.items():
        print(f"  median {label:<10} sign-in {rate:6.1f}/s   p99 idle {idle:7.2f} ms, loaded "
              f"{busy:7.2f} ms: {busy / idle:5.2f}x idle (target <= 2x)")
    if "reference" in medians:
        ratio = medians["authkit"][0] / medians["reference"][0]
        print(f"  sign-in rate authkit/reference = {ratio:4.2f}x (target >= 1.0x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
