"""Nothing authkit issues is refused by authkit: the cookie cache is bounded, sign-out works
whatever the request carries, and every cookie set authkit produces is accepted back (by
authkit and within what nginx and Apache accept by default)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from authkit import AuthKit
from authkit.cookie_cache import MAX_CACHE_HEADER_BYTES
from tests.support.clients import HTTPClient, make_client
from tests.support.fixtures import MakeAuth

DATA = "better-auth.session_data"
TOKEN = "better-auth.session_token"
GS = "/api/auth/get-session"
# nginx (large_client_header_buffers 8k) and Apache (LimitRequestFieldSize 8190) refuse one
# header line longer than this by default; "Cookie: " counts too.
PROXY_LINE_LIMIT = 8190


def _auth(make_auth: MakeAuth, strategy: str = "compact", **kw: Any) -> AuthKit:
    return make_auth(session={"cookie_cache": {"enabled": True, "strategy": strategy}}, **kw)


def _sign_up(client: HTTPClient, **extra: Any) -> Any:
    res = client.post("/api/auth/sign-up/email",
                      json={"email": "alice@example.com", "password": "correct-horse-1",
                            "name": "Alice", **extra})
    assert res.status == 200, res.body
    return res


def _data_cookies(client: HTTPClient) -> list[str]:
    return [k for k in client.jar if k.startswith(DATA)]


@pytest.mark.parametrize("strategy", ["compact", "jwt", "jwe"])
@pytest.mark.parametrize("remember", [True, False])
@pytest.mark.parametrize("image_length", [0, 3000, 4500, 20_000, 65_535])
def test_every_cookie_set_is_accepted_back(make_auth: MakeAuth, kind: str, strategy: str,
                                           remember: bool, image_length: int) -> None:
    """Sign-up, sign-in, a refresh and update-user with the user's fields at their largest:
    the cookies the browser then holds fit one proxy header line and authkit's own limit,
    and authkit answers them (no 431), sign-out included."""
    auth = _auth(make_auth, strategy)
    client = make_client(kind, auth)
    image = "i" * image_length
    _sign_up(client, image=image, name="N" * 255)
    res = client.post("/api/auth/sign-in/email",
                      json={"email": "alice@example.com", "password": "correct-horse-1",
                            "rememberMe": remember})
    assert res.status == 200, res.body
    steps = [lambda: client.get(GS, query={"disableCookieCache": "true"}),
             lambda: client.post("/api/auth/update-user", json={"image": image + "x"}
                                 if image_length < 65_535 else {"name": "M" * 255}),
             lambda: client.get(GS)]
    for step in steps:
        res = step()
        assert res.status == 200, res.body
        header = client.cookie_header()
        assert len("Cookie: " + header) <= PROXY_LINE_LIMIT, (len(header), list(client.jar))
        assert len(header) <= auth.options.advanced.max_cookie_header_size
        answer = client.get(GS)
        assert answer.status == 200 and answer.json["user"]["email"] == "alice@example.com"
    cache_bytes = sum(len(k) + len(v) + 3 for k, v in client.jar.items() if k.startswith(DATA))
    assert cache_bytes <= MAX_CACHE_HEADER_BYTES
    if image_length <= 3000:
        assert _data_cookies(client), "a small cache is still issued"
    out = client.post("/api/auth/sign-out")
    assert out.status == 200 and client.jar == {}


@pytest.mark.parametrize("strategy", ["compact", "jwe"])
def test_large_user_gets_no_cache_and_a_log_line(make_auth: MakeAuth, kind: str,
                                                 strategy: str,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    auth = _auth(make_auth, strategy)
    client = make_client(kind, auth)
    with caplog.at_level(logging.WARNING, logger="authkit"):
        _sign_up(client, image="i" * 20_000)
    assert _data_cookies(client) == []
    record = next(r for r in caplog.records if "cookie cache skipped" in r.getMessage())
    assert f"over the {MAX_CACHE_HEADER_BYTES} allowed" in record.getMessage()
    assert "8 KB" in record.getMessage()  # says why
    assert client.get(GS).json["user"]["image"] == "i" * 20_000  # from the database


def test_long_image_set_by_update_user_locks_nobody_out(make_auth: MakeAuth, db_url: str,
                                                        kind: str) -> None:
    """The reported lockout: a 20,000-character profile field made 7 cache chunks, a 28 KB
    Cookie header, and 431 on every request, sign-out included, after every sign-in."""
    auth = _auth(make_auth, database=db_url)
    client = make_client(kind, auth)
    _sign_up(client)
    assert client.post("/api/auth/update-user", json={"image": "i" * 20_000}).status == 200
    for _ in range(2):
        assert client.get(GS).status == 200
        assert client.get("/api/auth/list-sessions").status == 200
        assert client.post("/api/auth/sign-out").status == 200
        res = client.post("/api/auth/sign-in/email",
                          json={"email": "alice@example.com", "password": "correct-horse-1"})
        assert res.status == 200
        assert len(client.cookie_header()) < 1000


def test_sign_out_works_whatever_the_cookies(make_auth: MakeAuth, kind: str) -> None:
    """A browser holding more than the limit (cache chunks from an older version) is never
    locked out: sign-out answers, ends the session and deletes every chunk; any other route
    answers 431 and deletes the chunks too, so the next request works."""
    auth = _auth(make_auth)
    client = make_client(kind, auth)
    token = _sign_up(client).json["token"]
    for i in range(7):
        client.jar[f"{DATA}.{i}"] = "x" * 4000
    assert len(client.cookie_header()) > auth.options.advanced.max_cookie_header_size
    held = dict(client.jar)
    refused = client.get(GS)
    assert refused.status == 431
    assert _data_cookies(client) == [] and TOKEN in client.jar  # healed, still signed in
    assert client.get(GS).json["session"]["token"] == token
    client.jar = held
    out = client.post("/api/auth/sign-out")
    assert out.status == 200 and out.json == {"success": True}
    assert client.jar == {}
    assert auth.storage.get_session(token) is None


@pytest.mark.parametrize("strategy", ["compact", "jwe"])
def test_every_plugin_cookie_set_is_accepted_back(make_auth: MakeAuth, kind: str,
                                                  strategy: str) -> None:
    """Every shipped plugin on (multi-session keeps a cookie per account, last-login-method
    its own …): five accounts with the longest name and a large image signed in on one
    browser still send a Cookie header authkit and common proxies accept."""
    from tests.support.all_plugins import shipped_plugins

    auth = _auth(make_auth, strategy, plugins=shipped_plugins())
    client = make_client(kind, auth)
    for i in range(5):
        res = client.post("/api/auth/sign-up/email",
                          json={"email": f"user{i}@example.com", "password": "correct-horse-1",
                                "name": "N" * 255, "image": "i" * (1000 * i)})
        assert res.status == 200, res.body
        header = client.cookie_header()
        assert len("Cookie: " + header) <= PROXY_LINE_LIMIT, (i, len(header), list(client.jar))
        answer = client.get(GS)
        assert answer.status == 200 and answer.json["user"]["email"] == f"user{i}@example.com"
    assert len([k for k in client.jar if "_multi-" in k]) == 5
    assert client.post("/api/auth/sign-out").status == 200
