"""The cookie state strategy against a live ``authkit serve``: the ``oauth_state`` cookie
is encrypted under a key derived for that purpose; a forged, foreign, expired or missing
cookie ends the flow with Better Auth's codes (``state_invalid`` / ``state_mismatch``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest

from authkit.crypto import purpose_key, symmetric_decrypt, symmetric_encrypt
from tests.support.live_servers import Server, authkit_server

from .live import SECRET, Browser, idp_server, idp_user, query_of

COOKIE = "better-auth.oauth_state"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    workdir = tmp_path_factory.mktemp("social-cookie-state")
    with idp_server(workdir) as idp:
        extra = {"AUTHKIT_PLUGINS": "social", "AUTHKIT_SOCIAL_FAKE_IDP": idp.base_url,
                 "AUTHKIT_SOCIAL_STATE_STRATEGY": "cookie"}
        with authkit_server(workdir, database_url=f"sqlite:///{workdir / 's.db'}",
                            secret=SECRET, extra_env=extra) as server:
            yield server, idp


@pytest.fixture
def browser(servers: tuple[Server, Server]) -> Iterator[Browser]:
    b = Browser(servers[0].base_url, servers[1].base_url)
    yield b
    b.close()


def _flow(b: Browser, idp: Server, **body: Any) -> str:
    user = idp_user(idp.base_url, "ck")
    res = b.post("/sign-in/social", {"provider": "github", "errorCallbackURL": "/oops", **body})
    assert res.status_code == 200
    assert "better-auth.state" not in b.jar
    url = b.authorize(res.json()["url"], user["login"], stop_at_callback=True)
    assert isinstance(url, str)
    return url


def _location(b: Browser, url: str) -> str | None:
    res = b.request("GET", url)
    assert res.status_code == 302
    location: str | None = res.headers.get("location")
    return location


def _decrypt(value: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(symmetric_decrypt(
        purpose_key(SECRET, "oauth-state-cookie"), unquote(value)))
    return data


def test_the_cookie_holds_the_flow_encrypted(servers: Any, browser: Browser) -> None:
    url = _flow(browser, servers[1], callbackURL="/dash")
    data = _decrypt(browser.jar[COOKIE])
    assert data["oauthState"] == query_of(url)["state"]
    assert data["callbackURL"] == "/dash" and len(data["codeVerifier"]) == 128
    assert _location(browser, url) == "/dash"
    assert COOKIE not in browser.jar


def test_undecryptable_cookie_is_state_invalid(servers: Any, browser: Browser) -> None:
    url = _flow(browser, servers[1])
    real = browser.jar[COOKIE]
    browser.jar[COOKIE] = real[:-4] + ("0000" if not real.endswith("0000") else "1111")
    assert _location(browser, url) == f"{browser.api}/error?error=state_invalid"
    # Encrypted with another secret: the same.
    browser.jar[COOKIE] = symmetric_encrypt(purpose_key("another-secret-" + "x" * 32,
                                                        "oauth-state-cookie"),
                                            json.dumps(_decrypt(real)))
    assert _location(browser, url) == f"{browser.api}/error?error=state_invalid"
    # The app secret itself (no purpose key) does not open the state either.
    browser.jar[COOKIE] = symmetric_encrypt(SECRET, json.dumps(_decrypt(real)))
    assert _location(browser, url) == f"{browser.api}/error?error=state_invalid"


def test_cookie_of_another_flow_is_state_mismatch(servers: Any, browser: Browser) -> None:
    url = _flow(browser, servers[1])
    _flow(browser, servers[1], errorCallbackURL="/second")  # overwrites the cookie
    assert _location(browser, url) == "/second?error=state_mismatch"


def test_expired_cookie_is_state_mismatch(servers: Any, browser: Browser) -> None:
    url = _flow(browser, servers[1])
    data = _decrypt(browser.jar[COOKIE])
    data["expiresAt"] = int(time.time() * 1000) - 1000
    browser.jar[COOKIE] = quote(symmetric_encrypt(purpose_key(SECRET, "oauth-state-cookie"),
                                                  json.dumps(data)))
    assert _location(browser, url) == "/oops?error=state_mismatch"
    assert "better-auth.session_token" not in browser.jar


def test_missing_cookie_is_state_mismatch(servers: Any, browser: Browser) -> None:
    url = _flow(browser, servers[1])
    del browser.jar[COOKIE]
    assert _location(browser, url) == f"{browser.api}/error?error=state_mismatch"
