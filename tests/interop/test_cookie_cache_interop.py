"""Cookie caches cross between Node Better Auth 1.7.25 and authkit
(docs/wire-compatibility.md#cookie-cache, issue 6).

For each strategy, with one secret: a ``session_data`` cookie issued by Node answers
authkit's get-session, and one issued by authkit answers Node's. Each side is given a
session its own database does not hold, so only a verified cache can produce the answer.
Skipped with a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from authkit import AuthKit

from ..support.clients import make_client
from ..support.cookie_cache_ref import cookie_cache_reference
from ..support.fixtures import FastScrypt
from ..support.live_servers import require_node

SECRET = "interop-cache-secret-0123456789-interop-cache-secret"


@pytest.fixture(scope="module", autouse=True)
def _node() -> None:
    require_node()


def _jar(res: httpx.Response) -> dict[str, str]:
    out = {}
    for line in res.headers.get_list("set-cookie"):
        name, _, value = line.split(";", 1)[0].partition("=")
        if value:
            out[name] = value
    return out


def _authkit(tmp_path: Path, strategy: str) -> AuthKit:
    auth = AuthKit(secret=SECRET, database=f"sqlite:///{tmp_path}/authkit.db",
                   base_url="http://localhost:3000",
                   email_and_password={"enabled": True, "password_hasher": FastScrypt()},
                   # A budget above the default 6000 bytes, so the chunked (.0, .1, .2) form
                   # Node must join can still be produced here.
                   session={"cookie_cache": {"enabled": True, "strategy": strategy,
                                             "max_header_bytes": 12000}},
                   advanced={"max_cookie_header_size": 16384})
    auth.migrate()
    return auth


@pytest.mark.parametrize("strategy", ["compact", "jwt", "jwe"])
def test_caches_cross_both_ways(tmp_path: Path, strategy: str) -> None:
    auth = _authkit(tmp_path, strategy)
    try:
        with cookie_cache_reference(tmp_path, secret=SECRET, strategy=strategy) as node:
            base = node.base_url
            res = httpx.post(f"{base}/api/auth/sign-up/email", headers={"Origin": base},
                             json={"email": "node@example.com", "password": "correct-horse-1",
                                   "name": "Nöde"}, timeout=30)
            res.raise_for_status()
            node_jar = _jar(res)
            assert "better-auth.session_data" in node_jar

            # Node's cache answers authkit, whose database has never seen this user.
            client = make_client("wsgi", auth)
            client.jar.update(node_jar)
            body: Any = client.get("/api/auth/get-session").json
            assert body is not None, "authkit rejected the Node cache"
            assert body["user"]["email"] == "node@example.com"
            assert body["session"]["token"] == res.json()["token"]

            # authkit's cache answers Node, whose database has never seen this user.
            ours = make_client("wsgi", auth)
            signed = ours.post("/api/auth/sign-up/email", json={
                "email": "py@example.com", "password": "correct-horse-1", "name": "Py ✓"})
            assert signed.status == 200
            cookie = "; ".join(f"{k}={v}" for k, v in ours.jar.items())
            answer = httpx.get(f"{base}/api/auth/get-session", headers={"Cookie": cookie},
                               timeout=30)
            assert answer.status_code == 200
            assert answer.json() is not None, f"Node rejected the authkit cache: {node.log_tail()}"
            assert answer.json()["user"]["email"] == "py@example.com"
            assert answer.json()["user"]["name"] == "Py ✓"
            assert answer.json()["session"]["token"] == signed.json["token"]

            # A chunked authkit cache (.0, .1, .2) is joined and verified by Node too.
            big = make_client("wsgi", auth)
            assert big.post("/api/auth/sign-up/email", json={
                "email": "big@example.com", "password": "correct-horse-1", "name": "Big",
                # A long image URL rather than a long name: names are capped at 255.
                "image": "https://example.com/" + "i" * 6000}).status == 200
            assert "better-auth.session_data.2" in big.jar
            cookie = "; ".join(f"{k}={v}" for k, v in big.jar.items())
            answer = httpx.get(f"{base}/api/auth/get-session", headers={"Cookie": cookie},
                               timeout=30)
            assert answer.json()["user"]["image"] == "https://example.com/" + "i" * 6000
    finally:
        auth.storage.engine.dispose()
