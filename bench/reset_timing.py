"""POST /request-password-reset: how long a known address takes compared with an unknown one
(docs/security.md#account-enumeration: the answers are identical; this reports how close the timing
is).

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
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inprocess_timing import report, timed_post

from authkit import AuthKit
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
    return timed_post(auth, "/request-password-reset", {"email": email}, 200)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="authkit-reset-bench-"))
    database = args.database or f"sqlite:///{folder}/bench.db"
    outbox = folder / "outbox.jsonl"
    report("outbox file (synchronous)", UNKNOWN,
           run(lambda: OutboxSender(outbox, "reset-password"), database, args.rounds))
    mail = mail_callbacks(SlowSender(0.02))
    report("mail_callbacks, 20 ms sender (bg)", UNKNOWN,
           run(lambda: mail.send_reset_password, database, args.rounds))
    mail.close()


if __name__ == "__main__":
    main()
