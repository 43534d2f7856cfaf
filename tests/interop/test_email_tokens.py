"""Email tokens shared with Node Better Auth 1.7.25 (issue 4: "a token minted by either verifies
in the other with the same secret").

The reference server (../shared/better-auth-ref) and an in-process authkit use one SQLite file
and one secret. A verification JWT that Node mailed is accepted by authkit's GET /verify-email,
and tokens authkit mints (plain verification and the change-email step) are accepted by Node's.
Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..support.live_servers import Server, reference_dir, reference_server, require_node

SECRET = "interop-email-secret-0123456789-interop-email-secret"


@pytest.fixture(scope="module", autouse=True)
def node_reference() -> Path:
    require_node()
    return reference_dir()


def post(server: Server, path: str, body: dict[str, Any], cookie: str | None = None
         ) -> httpx.Response:
    headers = {"origin": server.base_url}
    if cookie:
        headers["cookie"] = cookie
    return httpx.post(server.base_url + "/api/auth" + path, json=body, headers=headers,
                      timeout=30)


def node_sign_up(server: Server, email: str) -> tuple[str, str]:
    res = post(server, "/sign-up/email", {"email": email, "password": "interop-pass-1",
                                          "name": email.split("@")[0]})
    assert res.status_code == 200, (res.status_code, res.text, server.log_tail())
    cookie = next(line.split(";", 1)[0] for line in res.headers.get_list("set-cookie")
                  if line.startswith("better-auth.session_token="))
    return res.json()["user"]["id"], cookie


def verified(db: Path, email: str) -> bool:
    with sqlite3.connect(db) as conn:
        row = conn.execute('SELECT "emailVerified" FROM "user" WHERE email = ?', (email,)).fetchone()
    return bool(row[0])


def test_verification_tokens_work_in_both_directions(tmp_path, make_auth):
    db = tmp_path / "shared.db"
    outbox = tmp_path / "node-outbox.jsonl"
    minted: list[str] = []
    with reference_server(tmp_path, db_path=db, secret=SECRET, keep_db=False,
                          outbox=outbox) as node:
        # The real clock: Node stamps its tokens with the real time.
        auth = make_auth(secret=SECRET, database=f"sqlite:///{db}", base_url=node.base_url,
                         clock=time.time, secondary_storage=None, email_verification={
                             "send_verification_email":
                                 lambda *, user, url, token: minted.append(token)})

        # Node mints, authkit verifies.
        _, bob_cookie = node_sign_up(node, "bob@example.com")
        res = post(node, "/send-verification-email", {"email": "bob@example.com"}, bob_cookie)
        assert res.status_code == 200, res.text
        node_token = json.loads(outbox.read_text().splitlines()[-1])["token"]
        result = auth.api.verify_email(query={"token": node_token})
        assert result.to_json() == {"status": True, "user": None}
        assert verified(db, "bob@example.com")

        # authkit mints, Node verifies.
        alice_id, alice_cookie = node_sign_up(node, "alice@example.com")
        auth.api.send_verification_email(body={"email": "alice@example.com"},
                                         headers={"cookie": alice_cookie})
        res = httpx.get(node.base_url + "/api/auth/verify-email",
                        params={"token": minted[-1]}, timeout=30)
        assert res.status_code == 200 and res.json() == {"status": True, "user": None}
        assert verified(db, "alice@example.com")

        # authkit's change-email step is understood by Node too (same claims, same purpose).
        from authkit.email_verification import create_email_token

        token = create_email_token(auth, "alice@example.com", alice_id,
                                   update_to="alice.new@example.com",
                                   request_type="change-email-verification")
        res = httpx.get(node.base_url + "/api/auth/verify-email", params={"token": token},
                        timeout=30)
        assert res.status_code == 200, res.text
        assert res.json()["user"]["email"] == "alice.new@example.com"

        # A token signed with another secret is refused by both.
        other = make_auth(secret="another-secret-0123456789-another-secret-0123",
                          clock=time.time, secondary_storage=None)
        forged = create_email_token(other, "bob@example.com", "x")
        res = httpx.get(node.base_url + "/api/auth/verify-email", params={"token": forged},
                        timeout=30)
        assert res.status_code == 401 and res.json()["code"] == "INVALID_TOKEN"
