"""Run the real Better Auth reference server (``shared/better-auth-ref``) on a given SQLite file.

Used by the interop tests, and as a script to regenerate the committed vectors::

    python -m tests.storage.ref_server /path/to/writable/better-auth-ref

The reference server needs its ``node_modules`` (``npm install`` in a writable copy, see its
README). It is found through ``$BETTER_AUTH_REF`` or ``.ref/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..support.live_servers import free_port

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
DUMP = VECTORS / "better_auth_1_7_25.sql"
PASSWORD = "correct horse battery staple"
START_TIMEOUT = 30.0  # seconds for "listening on": migrations on a cold node start


def find_ref() -> Path | None:
    """A reference server directory with its dependencies installed, or ``None``."""
    if shutil.which("node") is None:
        return None
    candidates = [os.environ.get("BETTER_AUTH_REF", ""), str(ROOT / ".ref"),
                  str(ROOT / ".ref" / "better-auth-ref")]
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate)
        if (path / "server.mjs").is_file() and (path / "node_modules" / "better-auth").is_dir():
            return path
    return None


class RefServer:
    """A running reference server: ``post``/``get`` JSON against ``/api/auth``."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}/api/auth"

    def request(self, method: str, path: str, body: Any = None,
                cookie: str | None = None) -> tuple[int, Any, list[str]]:
        """Send one request; return status, parsed JSON body and the Set-Cookie values."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if cookie:
            req.add_header("Cookie", cookie)
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                status, raw, headers = res.status, res.read(), res.headers
        except urllib.error.HTTPError as err:
            status, raw, headers = err.code, err.read(), err.headers
        cookies = headers.get_all("Set-Cookie") or []
        return status, json.loads(raw) if raw else None, cookies


def session_cookie(set_cookies: list[str]) -> str:
    """The ``Cookie`` header value for the session cookie among ``Set-Cookie`` values."""
    for value in set_cookies:
        pair = value.split(";", 1)[0]
        if pair.startswith("better-auth.session_token=") and pair.split("=", 1)[1]:
            return pair
    raise AssertionError(f"no session cookie in {set_cookies}")


@contextmanager
def running(ref: Path, db_path: Path, *, keep_db: bool) -> Iterator[RefServer]:
    """Start ``node server.mjs`` on ``db_path``; stop it (by its pid) when the block ends."""
    port = free_port()
    outbox = db_path.with_suffix(".outbox.jsonl")
    env = {**os.environ, "PORT": str(port), "DB_PATH": str(db_path), "OUTBOX": str(outbox),
           "RATE_LIMIT": "off", "KEEP_DB": "1" if keep_db else "0"}
    proc = subprocess.Popen(["node", "server.mjs"], cwd=ref, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        # Keeps reading until exit so a chatty server never blocks on a full pipe.
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.append(raw.decode(errors="replace"))
            if lines[-1].startswith(f"listening on {port}"):
                ready.set()
        ready.set()  # exited: stop waiting

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not ready.wait(START_TIMEOUT) or proc.poll() is not None:
            raise RuntimeError("reference server did not start:\n" + "".join(lines))
        yield RefServer(port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def populate(server: RefServer) -> dict[str, Any]:
    """Sign up two users, sign one in again and ask for a reset: rows in every table."""
    status, alice, cookies = server.request("POST", "/sign-up/email", {
        "email": "alice@example.com", "password": PASSWORD, "name": "Alice"})
    assert status == 200, alice
    status, again, _ = server.request("POST", "/sign-in/email", {
        "email": "alice@example.com", "password": PASSWORD})
    assert status == 200, again
    status, body, _ = server.request("POST", "/request-password-reset", {
        "email": "alice@example.com", "redirectTo": "/reset"})
    assert status == 200, body
    status, robert, _ = server.request("POST", "/sign-up/email", {
        "email": "o'hara@example.com", "password": PASSWORD,
        "name": "Robert'); DROP TABLE \"user\";--"})
    assert status == 200, robert
    return {"alice": alice, "robert": robert, "alice_cookie": session_cookie(cookies)}


def main(argv: list[str]) -> int:
    """Regenerate ``tests/vectors/better_auth_1_7_25.sql`` from a live reference server."""
    ref = Path(argv[1]) if len(argv) > 1 else find_ref()
    if ref is None:
        print("usage: python -m tests.storage.ref_server REF_DIR (with node_modules)")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "ref.db"
        with running(ref, db_path, keep_db=False) as server:
            populate(server)
        conn = sqlite3.connect(db_path)
        try:
            DUMP.write_text("\n".join(conn.iterdump()) + "\n", encoding="utf-8")
        finally:
            conn.close()
    print(f"wrote {DUMP}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
