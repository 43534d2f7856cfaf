"""POST /sign-in/email failures: how long each failure path takes (docs/security.md#credentials).

The four failures of docs/security.md#credentials answer byte-identical 401s
(tests/endpoints/test_sign_in.py
checks that, and that each path runs the hasher exactly once); this reports how close their
timing is, measured in one run:

* an unknown email (a dummy hash is verified),
* a known user with a wrong password (the real hash is verified),
* a user created by ``admin/create-user`` without a password (no credential account),
* that user with ``password: ""``.

    python bench/sign_in_timing.py                   # 40 rounds, scrypt (the default)
    python bench/sign_in_timing.py --hasher bcrypt --rounds 60

Each round sends one request per case, in a rotating order, in-process (``auth.handle``, no
network). Rate limiting is off so every request reaches the endpoint. The ratio is each
case's median over the wrong-password median (target of docs/security.md#credentials: 0.9-1.1).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inprocess_timing import report, timed_post

from authkit import AuthKit
from authkit.plugins import admin
from authkit.plugins.admin import admin_emails_hooks

SECRET = "bench-secret-0123456789-bench-secret-0123456789"
ADMIN, KNOWN, NO_PASSWORD = "root@example.com", "known@example.com", "nopass@example.com"
WRONG = "wrong password (known user)"
CASES = {
    "unknown email": {"email": "unknown@example.com", "password": "not-the-password-1"},
    WRONG: {"email": KNOWN, "password": "not-the-password-1"},
    "user without a password": {"email": NO_PASSWORD, "password": "not-the-password-1"},
    "user without a password, empty one": {"email": NO_PASSWORD, "password": ""},
}


def make_auth(database: str, hasher: str) -> AuthKit:
    auth = AuthKit(secret=SECRET, database=database, base_url="http://localhost:3000",
                   email_and_password={"enabled": True, "password_hasher": hasher},
                   rate_limit={"enabled": False}, plugins=[admin()],
                   database_hooks=admin_emails_hooks([ADMIN]))
    auth.migrate()
    auth.api.sign_up_email(body={"email": KNOWN, "password": "bench-password-1",
                                 "name": "Known"})
    root = auth.api.sign_up_email(body={"email": ADMIN, "password": "bench-password-1",
                                        "name": "Root"}, return_headers=True)
    cookie = "; ".join(line.split(";", 1)[0] for line in root.headers.get_all("set-cookie"))
    auth.api.create_user(body={"email": NO_PASSWORD, "name": "No Password"},
                         headers={"cookie": cookie})
    return auth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--hasher", default="scrypt", choices=["scrypt", "bcrypt"])
    parser.add_argument("--database", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    # Each failure is a WARNING log event; hundreds of them on stderr would bury the report.
    logging.getLogger("authkit").setLevel(logging.ERROR)
    folder = Path(tempfile.mkdtemp(prefix="authkit-sign-in-bench-"))
    auth = make_auth(args.database or f"sqlite:///{folder}/bench.db", args.hasher)
    names = list(CASES)
    for name in names:  # warm-up: connections, the dummy hash
        timed_post(auth, "/sign-in/email", CASES[name], 401)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(args.rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(timed_post(auth, "/sign-in/email", CASES[name], 401))
    auth.storage.engine.dispose()
    report(f"sign-in failures, {args.hasher}, {args.rounds} rounds", WRONG, times)


if __name__ == "__main__":
    main()
