"""The provider HTTP client against real sockets: the test-provider host rewrite, refused
redirects for token requests, timeouts, and non-JSON answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from authkit.plugins.social.http_client import OAuthHTTP, OAuthHTTPError
from tests.support.live_servers import Server

from .live import idp_server


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with idp_server(tmp_path_factory.mktemp("idp")) as server:
        yield server


def test_rewrite_sends_fixed_hosts_to_the_test_provider(idp: Server) -> None:
    http = OAuthHTTP(rewrite_hosts=(idp.base_url, ["www.googleapis.com"]))
    try:
        keys = http.get_json("https://www.googleapis.com/oauth2/v3/certs")
        assert keys["keys"][0]["kid"] == "idp-google-rs256-1"
    finally:
        http.close()


def test_token_requests_refuse_redirects(idp: Server) -> None:
    http = OAuthHTTP()
    try:
        # The authorize endpoint answers a valid request with a 302.
        with pytest.raises(OAuthHTTPError, match="redirect"):
            http.post_form(f"{idp.base_url}/github.com/login/oauth/authorize", {
                "client_id": "ba-github-client", "login": "alice", "password": "password",
                "redirect_uri": "http://127.0.0.1/api/auth/callback/github"})
        with pytest.raises(OAuthHTTPError, match="not JSON"):
            # The login page: 200, HTML.
            http.get_json(f"{idp.base_url}/github.com/login/oauth/authorize?client_id="
                          "ba-github-client&redirect_uri=http%3A%2F%2F127.0.0.1%2Fapi%2Fauth"
                          "%2Fcallback%2Fgithub")
        with pytest.raises(OAuthHTTPError, match="401"):
            http.get_json(f"{idp.base_url}/api.github.com/user")
    finally:
        http.close()


def test_timeouts() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        port = listener.getsockname()[1]
        http = OAuthHTTP(timeout=0.5)
        try:
            with pytest.raises(OAuthHTTPError, match="Timeout"):
                http.post_form(f"http://127.0.0.1:{port}/token", {"a": "b"})
        finally:
            http.close()


def test_no_cookie_is_kept_between_calls(idp: Server) -> None:
    http = OAuthHTTP()
    try:
        with pytest.raises(OAuthHTTPError, match="redirect"):
            # A successful login at the fake GitHub sets its session cookie...
            http.post_form(f"{idp.base_url}/github.com/login/oauth/authorize", {
                "client_id": "ba-github-client", "login": "alice", "password": "password",
                "redirect_uri": "http://127.0.0.1/api/auth/callback/github"})
        # ...which must not sign the next caller in: the login page shows again.
        with pytest.raises(OAuthHTTPError, match="not JSON"):
            http.get_json(f"{idp.base_url}/github.com/login/oauth/authorize?client_id="
                          "ba-github-client&redirect_uri=http%3A%2F%2F127.0.0.1%2Fapi%2Fauth"
                          "%2Fcallback%2Fgithub")
    finally:
        http.close()
