"""Real servers in subprocesses for the conformance and interop tests.

`authkit serve` and the Node reference server are started on free ports, waited for on
``GET /api/auth/ok`` and stopped by their own pid. Node projects are installed with
``npm ci`` once per lockfile: a stamp in ``node_modules`` records the lockfile's hash, so a
second run costs nothing (the reference server's better-sqlite3 build takes about 70 s).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The issue refers to the reference deployment as ../shared/better-auth-ref; an environment
# variable points elsewhere on machines laid out differently.
REF_SOURCE = Path(os.environ.get("BETTER_AUTH_REF_DIR")
                  or REPO.parent / "shared" / "better-auth-ref")
STAMP = ".authkit-npm-ci.sha256"


def require_node() -> None:
    """Skip the calling test unless both `node` and `npm` are on PATH."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not on PATH: "
                    "the Node interop and conformance tests need it")


def npm_ci(folder: Path, *, omit_dev: bool = True) -> None:
    """`npm ci` in ``folder`` unless node_modules already matches package-lock.json.

    Skips the calling test when the install fails (no registry access, no compiler): these
    tests check authkit against Node, not the machine's ability to install packages.
    """
    lock = folder / "package-lock.json"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = folder / "node_modules" / STAMP
    # Two pytest processes (or a test and the benchmark) must not install into one folder at once.
    # The lock file lives outside the repository, so no stray file shows up in `git status`.
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"authkit-npm-ci-{key}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return
        cmd = ["npm", "ci", "--no-audit", "--no-fund"] + (["--omit=dev"] if omit_dev else [])
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=900,
                              check=False)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-8:]
            pytest.skip(f"`npm ci` failed in {folder}: " + " | ".join(tail))
        stamp.write_text(digest + "\n")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running server process: its base URL, pid and log file."""

    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM (both servers shut down cleanly on it), SIGKILL if that does not work."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def kill(self) -> None:
        """SIGKILL the whole process group at once: a crash, with no shutdown code running.

        The group, so that ``--workers N`` children die in the same instant instead of
        outliving their master. Only a group leader's group (authkit_server starts each
        server as one): any other process shares the test's group, and gets SIGKILL alone.
        """
        if self.process.poll() is None:
            if os.getpgid(self.process.pid) == self.process.pid:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        self.process.wait(timeout=15)


def wait_ok(server: Server, timeout: float = 60.0) -> None:
    """Poll ``GET /api/auth/ok`` until it answers 200 (start-up includes migrations)."""
    deadline = time.monotonic() + timeout
    url = server.base_url + "/api/auth/ok"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode} during "
                               f"start-up; log:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as res:
                if res.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet, or Node's 503 "starting" while it migrates
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {url} within {timeout} s; "
                       f"log:\n{server.log_tail()}")


def authkit_env(*, port: int, database_url: str, secret: str, outbox: Path | None = None,
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a standalone `authkit serve` (inherited AUTHKIT_* removed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHKIT_")}
    # The checkout's authkit even when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update({
        "AUTHKIT_SECRET": secret,
        "AUTHKIT_DATABASE_URL": database_url,
        "AUTHKIT_BASE_URL": f"http://127.0.0.1:{port}",
        "AUTHKIT_RATE_LIMIT": "off",
    })
    if outbox is not None:
        env["AUTHKIT_EMAIL_OUTBOX"] = str(outbox)
    env.update(extra or {})
    return env


def authkit_cli(args: list[str], env: Mapping[str, str],
                cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``authkit <args>`` with this interpreter (the one the tests import authkit from)."""
    return subprocess.run([sys.executable, "-m", "authkit.cli", *args], env=dict(env), cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


@contextmanager
def authkit_server(workdir: Path, *, database_url: str, secret: str, outbox: Path | None = None,
                   extra_env: Mapping[str, str] | None = None,
                   serve_args: tuple[str, ...] = ()) -> Iterator[Server]:
    """`authkit serve --port <free> [serve_args]` on ``database_url``; stopped on exit."""
    port = free_port()
    env = authkit_env(port=port, database_url=database_url, secret=secret, outbox=outbox,
                      extra=extra_env)
    log = workdir / f"authkit-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "authkit.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), *serve_args],
            env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT,
            # Its own process group, so Server.kill() can SIGKILL it and its workers together.
            start_new_session=True)
    server = Server("authkit serve", f"http://127.0.0.1:{port}", proc, log, env)
    try:
        wait_ok(server)
        yield server
    finally:
        server.stop()


def reference_dir() -> Path:
    """tests/interop/.ref: a git-ignored copy of the reference server with its node_modules.

    Copied from REF_SOURCE when missing or changed, then installed with `npm ci` (cached).
    """
    if not (REF_SOURCE / "server.mjs").is_file():
        pytest.skip(f"the reference Better Auth server is not at {REF_SOURCE} "
                    "(set BETTER_AUTH_REF_DIR to its folder)")
    target = REPO / "tests" / "interop" / ".ref"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json", "server.mjs", "idp.mjs"):
        _copy_if_changed(REF_SOURCE / name, target / name)
    # The plugin modules and their official-client scenarios, for the plugin tests.
    for folder in ("plugins", "scenarios"):
        source = REF_SOURCE / folder
        if source.is_dir():
            for src in sorted(source.glob("*.mjs")):
                _copy_if_changed(src, target / folder / src.name)
    npm_ci(target)
    return target


def _copy_if_changed(src: Path, dst: Path) -> None:
    if not src.is_file():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.is_file() or dst.read_bytes() != src.read_bytes():
        dst.write_bytes(src.read_bytes())


def run_reference_scenario(name: str, *, env: Mapping[str, str],
                           timeout: float = 300) -> Steps:
    """Run ``scenarios/<name>.mjs`` of the reference folder (its node_modules hold the
    official client and the plugin clients) with ``env`` (BASE_URL, OUTBOX, DB_PATH, knobs)."""
    folder = reference_dir()
    return run_scenario(folder / "scenarios" / f"{name}.mjs", cwd=folder, env=env,
                        timeout=timeout)


@contextmanager
def reference_server(workdir: Path, *, db_path: Path, secret: str, keep_db: bool,
                     outbox: Path | None = None, plugins: str = "",
                     extra_env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """The Node Better Auth 1.7.25 reference server on ``db_path``; stopped on exit.

    With ``keep_db=False`` it deletes the file and creates its schema afresh (its default);
    with ``keep_db=True`` it migrates what it finds, as Better Auth does on an existing DB.
    """
    folder = reference_dir()
    port = free_port()
    env = dict(os.environ)
    env.update({
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "DB_PATH": str(db_path),
        "OUTBOX": str(outbox or workdir / f"ref-outbox-{port}.jsonl"),
        "BETTER_AUTH_SECRET": secret,
        "RATE_LIMIT": "off",
        "KEEP_DB": "1" if keep_db else "0",
        "PLUGINS": plugins,
    })
    env.update(extra_env or {})
    log = workdir / f"ref-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["node", "server.mjs"], env=env, cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server("reference Better Auth (node server.mjs)", f"http://127.0.0.1:{port}", proc,
                    log, env)
    try:
        wait_ok(server)
        yield server
    finally:
        server.stop()


@dataclass
class Steps:
    """The outcome of a scenario script that prints ``PASS name`` / ``FAIL name: reason``.

    ``failed`` keeps whole "name: reason" texts: step names may contain ": " themselves
    ("admin: ban user"), so a FAIL line cannot be split back into name and reason reliably.
    """

    passed: list[str]
    failed: list[str]
    output: str

    def report(self) -> str:
        return "\n".join([f"PASS {n}" for n in self.passed] + [f"FAIL {f}" for f in self.failed])


def run_scenario(script: Path, *, cwd: Path, env: Mapping[str, str], timeout: float = 300) -> Steps:
    """Run a Node scenario and collect its steps (from ``RESULT {json}`` when it prints one)."""
    done = subprocess.run(["node", str(script)], cwd=cwd, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout, check=False)
    output = done.stdout + done.stderr
    passed: list[str] = []
    failed: list[str] = []
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            return Steps(list(result["passed"]),
                         [f"{name}: {why}" for name, why in result["failed"].items()], output)
        if line.startswith("PASS "):
            passed.append(line[5:])
        elif line.startswith("FAIL "):
            failed.append(line[5:])
    if not passed and not failed:
        raise RuntimeError(f"{script.name} ran no step (exit {done.returncode}):\n{output}")
    return Steps(passed, failed, output)
