"""POST /request-password-reset: how long a known address takes compared with an unknown one
(SEC-56: the answers are identical; this reports how close the timing is).

    python bench/reset_timing.py                    # 300 rounds per mode, in-process
    python bench/reset_timing.py --rounds 1000 --database postgresql://postgres@127.0.0.1/test

Each round sends one request for a known and one for an unknown address, in alternating order,
through the full HTTP pipeline in-process (``auth.handle``, no network), with a fresh token each
time. Modes: the JSON-lines outbox (a synchronous file append, what `authkit serve` uses for
tests), and ``mail_callbacks`` over a sender that takes 20 ms (a fast SMTP relay), sent in the
background as by default. Prints the median and p90 per address kind and their ratio; 1.00
means no difference. The known path writes a row and calls the sender; the unknown path reads
the table once, so some gap on a slow database is expected.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from authkit import AuthKit
from authkit.http import Headers, Request
from authkit.mail import Mail, mail_callbacks
from authkit.outbox import OutboxSender

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
KNOWN, UNKNOWN = "known@example.com", "unknown@example.com"


class SlowSender:
    """A sender that takes ``delay`` seconds, like a relay on the local network."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def send(self, mail: Mail) -> None:
        time.sleep(self.delay)


def request(auth: AuthKit, email: str) -> float:
    body = json.dumps({"email": email}).encode()
    req = Request("POST", "/api/auth/request-password-reset",
                  headers=Headers({"content-type": "application/json"}), body=body,
                  client="127.0.0.1")
    started = time.perf_counter()
    res = auth.handle(req)
    elapsed = time.perf_counter() - started
    assert res.status == 200, res.body
    return elapsed


def run(make_sender: Callable[[], Any], database: str, rounds: int) -> dict[str, list[float]]:
    auth = AuthKit(secret=SECRET, database=database, base_url="http://localhost:3000",
                   email_and_password={"enabled": True, "send_reset_password": make_sender()})
    auth.migrate()
    if auth.db.get_user_by_email(KNOWN) is None:
        auth.api.sign_up_email(body={"email": KNOWN, "password": "bench-password-1",
                                     "name": "Known"})
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for _ in range(20):  # warm-up: connections, caches
        request(auth, KNOWN), request(auth, UNKNOWN)
    for i in range(rounds):
        order = (KNOWN, UNKNOWN) if i % 2 == 0 else (UNKNOWN, KNOWN)
        for email in order:
            times[email].append(request(auth, email))
    auth.storage.engine.dispose()
    return times


def report(name: str, times: dict[str, list[float]]) -> None:
    def stats(values: list[float]) -> tuple[float, float]:
        ordered = sorted(values)
        return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.9)] * 1000

    k50, k90 = stats(times[KNOWN])
    u50, u90 = stats(times[UNKNOWN])
    print(f"{name:<34} known p50 {k50:6.2f} ms p90 {k90:6.2f} ms | unknown p50 {u50:6.2f} ms "
          f"p90 {u90:6.2f} ms | ratio p50 {k50 / u50:4.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="authkit-reset-bench-"))
    database = args.database or f"sqlite:///{folder}/bench.db"
    outbox = folder / "outbox.jsonl"
    report("outbox file (synchronous)",
           run(lambda: OutboxSender(outbox, "reset-password"), database, args.rounds))
    mail = mail_callbacks(SlowSender(0.02))
    report("mail_callbacks, 20 ms sender (bg)",
           run(lambda: mail.send_reset_password, database, args.rounds))
    mail.close()


if __name__ == "__main__":
    main()
