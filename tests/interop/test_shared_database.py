"""Node Better Auth 1.7.25 and authkit on one SQLite file with one secret (issue 2, "Done when").

A Better Auth database and authkit are interchangeable: a user who signed up on either server
signs in on the other, and a session cookie issued by either is accepted by the other's
get-session. The reference server (../shared/better-auth-ref/server.mjs) runs with the admin
plugin, so the file also has user.role, banned, banReason, banExpires and
session.impersonatedBy, which authkit without that plugin must leave alone. Both migration
orders are covered: Node creates the schema and authkit migrates after it, and the reverse.
Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..support.live_http import session_cookie
from ..support.live_servers import (
    Server,
    authkit_cli,
    authkit_env,
    authkit_server,
    free_port,
    reference_dir,
    reference_server,
    require_node,
)

SECRET = "interop-shared-secret-0123456789-interop-shared-secret"


@pytest.fixture(scope="module", autouse=True)
def node_reference() -> Path:
    require_node()
    return reference_dir()


def post(server: Server, path: str, body: dict[str, Any],
         cookie: str | None = None) -> httpx.Response:
    # A browser's same-origin POST carries Origin; Better Auth refuses cookie-bearing POSTs without.
    headers = {"origin": server.base_url}
    if cookie:
        headers["cookie"] = cookie
    return httpx.post(server.base_url + "/api/auth" + path, json=body, headers=headers, timeout=30)


def get_session(server: Server, cookie: str) -> Any:
    res = httpx.get(server.base_url + "/api/auth/get-session", headers={"cookie": cookie},
                    timeout=30)
    assert res.status_code == 200, (server.name, res.status_code, res.text)
    return res.json()


def sign_up(server: Server, email: str, password: str, name: str) -> tuple[dict[str, Any], str]:
    res = post(server, "/sign-up/email", {"email": email, "password": password, "name": name})
    assert res.status_code == 200, (server.name, res.status_code, res.text, server.log_tail())
    return res.json(), session_cookie(res)


def sign_in(server: Server, email: str, password: str) -> tuple[dict[str, Any], str]:
    res = post(server, "/sign-in/email", {"email": email, "password": password})
    assert res.status_code == 200, (server.name, res.status_code, res.text, server.log_tail())
    return res.json(), session_cookie(res)


def columns(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {(t, r[1]) for t in tables for r in conn.execute(f'PRAGMA table_info("{t}")')}


def assert_same_view(node: Server, authkit: Server, cookie: str) -> None:
    """Both get-session answers describe the same session and user, field by field.

    Node's user also has the admin plugin's fields (role, banned, ...), which authkit
    without that plugin does not return; every field authkit returns must match Node's.
    """
    theirs, ours = get_session(node, cookie), get_session(authkit, cookie)
    assert theirs is not None and ours is not None, (theirs, ours)
    for part in ("session", "user"):
        extra = set(ours[part]) - set(theirs[part])
        assert not extra, f"authkit's {part} has fields Node's has not: {extra}"
        differ = {k: (ours[part][k], theirs[part][k]) for k in ours[part]
                  if ours[part][k] != theirs[part][k]}
        assert differ == {}, f"{part} fields differ (authkit, node): {differ}"


def cross_check(node: Server, authkit: Server, run: str) -> None:
    """Users and sessions created on either server work on the other."""
    # A user who signed up on Node signs in on authkit (Better Auth's scrypt hash verifies).
    n_body, n_cookie = sign_up(node, f"node-{run}@example.com", "node-password-1", "Nora")
    a_body, a_cookie = sign_in(authkit, f"node-{run}@example.com", "node-password-1")
    assert a_body["user"]["id"] == n_body["user"]["id"]
    wrong = post(authkit, "/sign-in/email",
                 {"email": f"node-{run}@example.com", "password": "nope-nope-1"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_EMAIL_OR_PASSWORD")

    # Node's cookie on authkit, authkit's cookie on Node: same signature scheme, same rows.
    seen = get_session(authkit, n_cookie)
    assert seen is not None, f"authkit refused Node's cookie; log:\n{authkit.log_tail()}"
    assert (seen["user"]["id"], seen["session"]["token"]) == (n_body["user"]["id"], n_body["token"])
    seen = get_session(node, a_cookie)
    assert seen is not None, f"Node refused authkit's cookie; log:\n{node.log_tail()}"
    assert (seen["user"]["id"], seen["session"]["token"]) == (n_body["user"]["id"], a_body["token"])
    assert_same_view(node, authkit, n_cookie)
    assert_same_view(node, authkit, a_cookie)

    # The reverse sign-up direction: authkit's account row and hash work on Node.
    u_body, u_cookie = sign_up(authkit, f"authkit-{run}@example.com", "authkit-password-1", "Otto")
    v_body, _ = sign_in(node, f"authkit-{run}@example.com", "authkit-password-1")
    assert v_body["user"]["id"] == u_body["user"]["id"]
    assert v_body["user"]["email"] == f"authkit-{run}@example.com"
    seen = get_session(node, u_cookie)
    assert seen is not None and seen["user"]["id"] == u_body["user"]["id"], seen
    assert_same_view(node, authkit, u_cookie)

    # Signing out on one server ends the session for both (it is one row).
    out = post(authkit, "/sign-out", {}, cookie=n_cookie)
    assert out.status_code == 200, out.text
    assert get_session(node, n_cookie) is None


def test_node_creates_the_database_then_authkit_joins(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with reference_server(tmp_path, db_path=db, secret=SECRET, keep_db=False) as node:
        # A user exists before authkit ever opens the file.
        early, _ = sign_up(node, "early@example.com", "early-password-1", "Early")
        before = columns(db)
        env = authkit_env(port=free_port(), database_url=f"sqlite:///{db}", secret=SECRET)
        migrated = authkit_cli(["migrate"], env, tmp_path)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        assert before <= columns(db), f"authkit migrate dropped {before - columns(db)}"
        again = authkit_cli(["migrate"], env, tmp_path)
        assert (again.returncode, again.stdout.strip()) == (0, "nothing to do"), (
            again.stdout + again.stderr)
        with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET) as authkit:
            body, _ = sign_in(authkit, "early@example.com", "early-password-1")
            assert body["user"]["id"] == early["user"]["id"]
            cross_check(node, authkit, "node-first")
        # Node still works on the file authkit migrated.
        sign_in(node, "early@example.com", "early-password-1")


def test_authkit_creates_the_database_then_node_joins(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    env = authkit_env(port=free_port(), database_url=f"sqlite:///{db}", secret=SECRET)
    migrated = authkit_cli(["migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET) as authkit:
        early, _ = sign_up(authkit, "early@example.com", "early-password-1", "Early")
        # KEEP_DB=1: Node plans its migrations against authkit's schema and adds the admin
        # plugin's columns to it, with authkit running on the same file.
        with reference_server(tmp_path, db_path=db, secret=SECRET, keep_db=True) as node:
            body, _ = sign_in(node, "early@example.com", "early-password-1")
            assert body["user"]["id"] == early["user"]["id"]
            assert ("user", "role") in columns(db) and ("session", "impersonatedBy") in columns(db)
            cross_check(node, authkit, "authkit-first")
    # authkit restarts fine on the file Node altered.
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET) as authkit:
        sign_in(authkit, "early@example.com", "early-password-1")
