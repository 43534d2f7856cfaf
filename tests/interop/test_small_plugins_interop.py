"""The small plugins on one SQLite file shared by Node Better Auth 1.7.25 and authkit.

Both servers run username, one-time-token, anonymous, multi-session and last-login-method
with one secret. What one writes, the other honours: usernames collide in any casing across
the two, a one-time token issued by either is consumed once by the other, a guest created on
one is linked (and deleted) by a sign-up on the other, the multi cookies one mints are listed
by the other, and the last login method one records is read by the other. Skipped with a
reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..support.live_servers import (
    Server,
    authkit_server,
    reference_dir,
    reference_server,
    require_node,
)

SECRET = "interop-small-plugins-secret-0123456789-interop"
PLUGINS = "username,one-time-token,anonymous,multi-session,last-login-method"
PASSWORD = "interop-pass-123"


class Browser:
    """A cookie jar shared across both servers (same host: cookies ignore the port)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def call(self, server: Server, method: str, path: str,
             body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"origin": server.base_url}
        if self.cookies:
            headers["cookie"] = self.header()
        res = httpx.request(method, server.base_url + "/api/auth" + path, json=body,
                            headers=headers, timeout=30)
        for line in res.headers.get_list("set-cookie"):
            pair, _, attrs = line.partition(";")
            name, _, value = pair.partition("=")
            if "Max-Age=0" in attrs or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return res


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Path]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("small-interop")
    db = work / "shared.db"
    with reference_server(work, db_path=db, secret=SECRET, keep_db=False,
                          plugins=PLUGINS) as node, \
            authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET,
                           extra_env={"AUTHKIT_PLUGINS": PLUGINS}) as authkit:
        yield node, authkit, db


def ok(res: httpx.Response) -> Any:
    assert res.status_code == 200, (res.status_code, res.text)
    return res.json()


def sign_up(server: Server, browser: Browser, email: str, **extra: Any) -> Any:
    return ok(browser.call(server, "POST", "/sign-up/email",
                           {"email": email, "password": PASSWORD, "name": "N", **extra}))


@pytest.mark.parametrize("first", [0, 1], ids=["node-first", "authkit-first"])
def test_usernames_collide_in_any_casing_across_servers(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b = servers[first], servers[1 - first]
    name = f"Shared_{first}x"
    made = sign_up(a, Browser(), f"un-{first}@example.com", username=name)
    assert made["user"]["username"] == name.lower()
    signed = ok(Browser().call(b, "POST", "/sign-in/username",
                               {"username": name.upper(), "password": PASSWORD}))
    assert signed["user"]["id"] == made["user"]["id"]
    assert ok(Browser().call(b, "POST", "/is-username-available",
                             {"username": name}))["available"] is False
    taken = Browser().call(b, "POST", "/sign-up/email", {
        "email": f"un-{first}-2@example.com", "password": PASSWORD, "name": "N",
        "username": name.swapcase()})
    assert taken.status_code == 400 and taken.json()["code"] == "USERNAME_IS_ALREADY_TAKEN"


@pytest.mark.parametrize("first", [0, 1], ids=["node-issues", "authkit-issues"])
def test_one_time_token_is_consumed_once_across_servers(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b = servers[first], servers[1 - first]
    owner = Browser()
    session_token = sign_up(a, owner, f"ott-{first}@example.com")["token"]
    token = ok(owner.call(a, "GET", "/one-time-token/generate"))["token"]
    used = ok(Browser().call(b, "POST", "/one-time-token/verify", {"token": token}))
    assert used["session"]["token"] == session_token
    again = Browser().call(a, "POST", "/one-time-token/verify", {"token": token})
    assert (again.status_code, again.json()) == (400, {"message": "Invalid token"})


@pytest.mark.parametrize("first", [0, 1], ids=["node-guest", "authkit-guest"])
def test_a_guest_made_on_one_server_is_linked_by_the_other(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b, db = servers[first], servers[1 - first], servers[2]
    browser = Browser()
    guest = ok(browser.call(a, "POST", "/sign-in/anonymous"))["user"]
    assert guest["isAnonymous"] is True
    real = sign_up(b, browser, f"guest-{first}@example.com")["user"]
    assert real["isAnonymous"] is False
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from user where id = ?",
                            (guest["id"],)).fetchone() == (0,)
        assert conn.execute("select isAnonymous from user where id = ?",
                            (real["id"],)).fetchone() == (0,)


@pytest.mark.parametrize("first", [0, 1], ids=["node-mints", "authkit-mints"])
def test_multi_session_cookies_from_one_are_listed_and_revoked_by_the_other(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b = servers[first], servers[1 - first]
    browser = Browser()
    emails = [f"ms-{first}-{i}@example.com" for i in range(2)]
    for email in emails:
        sign_up(a, Browser(), email)
        ok(browser.call(a, "POST", "/sign-in/email", {"email": email, "password": PASSWORD}))
    listed = ok(browser.call(b, "GET", "/multi-session/list-device-sessions"))
    assert sorted(x["user"]["email"] for x in listed) == emails
    first_token = next(x["session"]["token"] for x in listed if x["user"]["email"] == emails[0])
    assert ok(browser.call(b, "POST", "/multi-session/revoke",
                           {"sessionToken": first_token})) == {"status": True}
    left = ok(browser.call(a, "GET", "/multi-session/list-device-sessions"))
    assert [x["user"]["email"] for x in left] == [emails[1]]


@pytest.mark.parametrize("first", [0, 1], ids=["node-records", "authkit-records"])
def test_last_login_method_written_by_one_is_read_by_the_other(
        servers: tuple[Server, Server, Path], first: int) -> None:
    a, b = servers[first], servers[1 - first]
    browser = Browser()
    sign_up(a, browser, f"llm-{first}@example.com")
    session = ok(browser.call(b, "GET", "/get-session"))
    assert session["user"]["lastLoginMethod"] == "email"
