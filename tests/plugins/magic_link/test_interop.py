"""Magic links across the Node reference and ``authkit serve`` on one SQLite file: a link
issued by either signs in on the other, once; with ``hashed`` tokens on both the rows one
writes are found by the other."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from authkit.plugins.magic_link.routes import hash_token

from ...support.live_http import session_cookie
from ...support.live_servers import Server
from ...support.ref_scenarios import Pair, shared_database_pair

SECRET = "magic-link-interop-secret-0123456789abcdef"


@pytest.fixture(scope="module", params=["plain", "hashed"])
def pair(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    store = str(request.param)
    work = tmp_path_factory.mktemp(f"magic-link-interop-{store}")
    with shared_database_pair(
            work, secret=SECRET,
            node_env={"PLUGINS": "magic-link", "MAGIC_LINK_STORE_TOKEN": store},
            authkit_env={"AUTHKIT_PLUGINS": "magic-link",
                         "AUTHKIT_MAGIC_LINK_STORE_TOKEN": store}) as both:
        yield both


def request_link(pair: Pair, server: Server, email: str) -> dict[str, str]:
    before = len(pair.mails(server, "magic-link"))
    res = httpx.post(f"{server.base_url}/api/auth/sign-in/magic-link",
                     json={"email": email, "callbackURL": "/dash", "errorCallbackURL": "/oops"},
                     headers={"origin": server.base_url}, timeout=30)
    assert (res.status_code, res.json()) == (200, {"status": True}), res.text
    mails = pair.mails(server, "magic-link")
    assert len(mails) == before + 1
    return mails[-1]


def follow(server: Server, token: str) -> httpx.Response:
    """The link's query on ``server`` (its own origin, so the redirect targets stay local)."""
    return httpx.get(f"{server.base_url}/api/auth/magic-link/verify",
                     params={"token": token, "callbackURL": "/dash", "errorCallbackURL": "/oops"},
                     timeout=30)


def identifiers(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT identifier FROM verification")}


def whoami(server: Server, cookie: str) -> str:
    res = httpx.get(f"{server.base_url}/api/auth/get-session", headers={"cookie": cookie},
                    timeout=30)
    body = res.json()
    assert body is not None, res.text
    return str(body["user"]["email"])


@pytest.mark.parametrize("issuer", ["node", "authkit"])
def test_a_link_from_one_signs_in_on_the_other_once(pair: Pair, issuer: str) -> None:
    issue, use = (pair.node, pair.authkit) if issuer == "node" else (pair.authkit, pair.node)
    email = f"{issuer}-{pair.db.parent.name}@example.com"
    mail = request_link(pair, issue, email)
    assert urlsplit(mail["url"]).netloc == urlsplit(issue.base_url).netloc
    hashed = pair.node.env["MAGIC_LINK_STORE_TOKEN"] == "hashed"
    stored = hash_token(mail["token"]) if hashed else mail["token"]
    assert identifiers(pair.db) >= {f"magic-link:{stored}"}
    assert f"magic-link:{mail['token']}" not in identifiers(pair.db) or not hashed
    res = follow(use, mail["token"])
    assert (res.status_code, res.headers["location"]) == (302, f"{use.base_url}/dash"), (
        res.text, use.log_tail())
    cookie = session_cookie(res)
    # The session is one row: both servers see it.
    assert whoami(use, cookie) == whoami(issue, cookie) == email
    for server in (pair.node, pair.authkit):
        again = follow(server, mail["token"])
        assert again.headers["location"] == f"{server.base_url}/oops?error=INVALID_TOKEN", (
            server.name, again.status_code, again.text)
