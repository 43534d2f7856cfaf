"""Two-factor and passkeys with Node Better Auth 1.7.25 and authkit on one SQLite file.

Both servers run at once on the same database with the same secret, the reference with
PLUGINS=two-factor,passkey and authkit with AUTHKIT_PLUGINS=two-factor,passkey; one browser
(one cookie jar, as a browser shares cookies across ports of one host) talks to both. TOTP set
up on one server is verified on the other, backup codes are spent once across both, a
challenge cookie and a trust cookie issued by one are honoured by the other, a lock set on
one holds on the other, and a passkey registered on either signs in on the other. Skipped with
a reason where `node`/`npm` or the reference folder is missing.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authkit.plugins.two_factor import totp
from tests.plugins.passkey.soft_authenticator import SoftAuthenticator

from ..support.live_servers import (
    Server,
    authkit_server,
    reference_dir,
    reference_server,
    require_node,
)

SECRET = "interop-shared-secret-0123456789-interop-shared-secret"
PASSWORD = "interop-pass-123"
PLUGINS = "two-factor,passkey"


class Browser:
    """One cookie jar used against both servers, with each server's Origin on POSTs."""

    def __init__(self) -> None:
        self.jar: dict[str, str] = {}

    def call(self, server: Server, method: str, path: str,
             body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"cookie": "; ".join(f"{k}={v}" for k, v in self.jar.items())}
        if method == "POST":
            headers["origin"] = server.base_url
        res = httpx.request(method, server.base_url + "/api/auth" + path, json=body,
                            headers=headers, timeout=30)
        for line in res.headers.get_list("set-cookie"):
            pair, _, attrs = line.partition(";")
            name, _, value = pair.partition("=")
            if value == "" or "max-age=0" in attrs.lower().replace(" ", ""):
                self.jar.pop(name.strip(), None)
            else:
                self.jar[name.strip()] = value
        return res

    def post(self, server: Server, path: str, body: dict[str, Any] | None = None
             ) -> httpx.Response:
        return self.call(server, "POST", path, body if body is not None else {})


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("second-factor-interop")
    db = work / "shared.db"
    # Node creates the schema (its own migration of both plugins); authkit joins it.
    with reference_server(work, db_path=db, secret=SECRET, keep_db=False,
                          plugins=PLUGINS) as node, \
            authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET,
                           extra_env={"AUTHKIT_PLUGINS": PLUGINS}) as py:
        yield node, py


def _secret(uri: str) -> str:
    b32 = parse_qs(urlsplit(uri).query)["secret"][0]
    return base64.b32decode(b32 + "=" * (-len(b32) % 8)).decode()


def _code(secret: str) -> str:
    return totp.code_at(secret, time.time())


def setup_totp(server: Server, email: str) -> tuple[str, list[str]]:
    """Sign up on ``server`` and turn TOTP on there; the secret and backup codes."""
    b = Browser()
    assert b.post(server, "/sign-up/email", {"email": email, "password": PASSWORD,
                                              "name": "U"}).status_code == 200
    res = b.post(server, "/two-factor/enable", {"password": PASSWORD})
    assert res.status_code == 200, res.text
    secret = _secret(res.json()["totpURI"])
    done = b.post(server, "/two-factor/verify-totp", {"code": _code(secret)})
    assert done.status_code == 200, done.text
    return secret, res.json()["backupCodes"]


def challenge(server: Server, email: str, browser: Browser | None = None) -> Browser:
    b = browser or Browser()
    res = b.post(server, "/sign-in/email", {"email": email, "password": PASSWORD})
    assert res.status_code == 200 and res.json().get("twoFactorRedirect") is True, res.text
    return b


@pytest.mark.parametrize("direction", ["node-to-authkit", "authkit-to-node"])
def test_totp_set_up_on_one_is_verified_on_the_other(servers: tuple[Server, Server],
                                                     direction: str) -> None:
    node, py = servers
    first, second = (node, py) if direction == "node-to-authkit" else (py, node)
    email = f"totp-{direction}@example.com"
    secret, _ = setup_totp(first, email)
    b = challenge(second, email)
    res = b.post(second, "/two-factor/verify-totp", {"code": "000000"})
    assert res.status_code == 401
    res = b.post(second, "/two-factor/verify-totp", {"code": _code(secret)})
    assert res.status_code == 200, res.text
    for server in (node, py):
        session = b.call(server, "GET", "/get-session").json()
        assert session["user"]["email"] == email and session["user"]["twoFactorEnabled"]


def test_backup_codes_are_spent_once_across_both(servers: tuple[Server, Server]) -> None:
    node, py = servers
    _, codes = setup_totp(node, "codes@example.com")
    assert challenge(py, "codes@example.com").post(
        py, "/two-factor/verify-backup-code", {"code": codes[0]}).status_code == 200
    assert challenge(node, "codes@example.com").post(
        node, "/two-factor/verify-backup-code", {"code": codes[0]}).status_code == 401
    assert challenge(node, "codes@example.com").post(
        node, "/two-factor/verify-backup-code", {"code": codes[1]}).status_code == 200
    for server in (py, node):
        res = challenge(server, "codes@example.com").post(
            server, "/two-factor/verify-backup-code", {"code": codes[1]})
        assert res.json()["code"] == "INVALID_BACKUP_CODE"


@pytest.mark.parametrize("direction", ["node-to-authkit", "authkit-to-node"])
def test_challenge_and_trust_cookies_are_honoured_across(servers: tuple[Server, Server],
                                                         direction: str) -> None:
    node, py = servers
    first, second = (node, py) if direction == "node-to-authkit" else (py, node)
    email = f"cookies-{direction}@example.com"
    secret, _ = setup_totp(node, email)
    # The challenge started on one server is answered on the other, once.
    b = challenge(first, email)
    res = b.post(second, "/two-factor/verify-totp", {"code": _code(secret), "trustDevice": True})
    assert res.status_code == 200, res.text
    assert "better-auth.trust_device" in b.jar
    # The trust cookie set by that server skips 2FA on the first one (and is rotated there).
    before = b.jar["better-auth.trust_device"]
    res = b.post(first, "/sign-in/email", {"email": email, "password": PASSWORD})
    assert "token" in res.json() and "twoFactorRedirect" not in res.json(), res.text
    assert b.jar["better-auth.trust_device"] != before


def test_a_lock_set_on_one_holds_on_the_other(servers: tuple[Server, Server]) -> None:
    node, py = servers
    secret, _ = setup_totp(py, "locked@example.com")
    for server in (node, py):
        b = challenge(server, "locked@example.com")
        for _ in range(5):
            assert b.post(server, "/two-factor/verify-totp", {"code": "000000"}).status_code == 401
    for server in (node, py):
        res = challenge(server, "locked@example.com").post(
            server, "/two-factor/verify-totp", {"code": _code(secret)})
        assert (res.status_code, res.json()["code"]) == (429, "ACCOUNT_TEMPORARILY_LOCKED")


@pytest.mark.parametrize("direction", ["node-to-authkit", "authkit-to-node"])
def test_a_passkey_registered_on_one_signs_in_on_the_other(servers: tuple[Server, Server],
                                                           direction: str) -> None:
    node, py = servers
    first, second = (node, py) if direction == "node-to-authkit" else (py, node)
    email = f"passkey-{direction}@example.com"
    b = Browser()
    assert b.post(first, "/sign-up/email", {"email": email, "password": PASSWORD,
                                             "name": "P"}).status_code == 200
    device = SoftAuthenticator(first.base_url)
    options = b.call(first, "GET", "/passkey/generate-register-options").json()
    res = b.post(first, "/passkey/verify-registration",
                 {"response": device.register(options), "name": "laptop"})
    assert res.status_code == 200, res.text
    passkey_id = res.json()["id"]
    for server, count in ((second, 1), (first, 2), (second, 3)):
        device.origin = server.base_url
        other = Browser()
        options = other.call(server, "GET", "/passkey/generate-authenticate-options").json()
        res = other.post(server, "/passkey/verify-authentication",
                         {"response": device.assert_(options)})
        assert res.status_code == 200, (server.name, res.text)
        assert res.json()["user"]["email"] == email
        listed = other.call(node, "GET", "/passkey/list-user-passkeys").json()
        assert [(p["id"], p["counter"]) for p in listed] == [(passkey_id, count)]
    # A replayed counter is refused by both.
    for server in (node, py):
        device.origin = server.base_url
        other = Browser()
        options = other.call(server, "GET", "/passkey/generate-authenticate-options").json()
        res = other.post(server, "/passkey/verify-authentication",
                         {"response": device.assert_(options, counter=3)})
        assert res.status_code in (400, 401), (server.name, res.text)


def test_passkey_challenges_cross_over_and_deletes_are_shared(
        servers: tuple[Server, Server]) -> None:
    node, py = servers
    email = "passkey-cross@example.com"
    b = Browser()
    assert b.post(py, "/sign-up/email", {"email": email, "password": PASSWORD,
                                          "name": "X"}).status_code == 200
    device = SoftAuthenticator(py.base_url)
    # Registration options (and challenge) from Node, the answer verified by authkit.
    options = b.call(node, "GET", "/passkey/generate-register-options").json()
    res = b.post(py, "/passkey/verify-registration", {"response": device.register(options)})
    assert res.status_code == 200, res.text
    passkey_id = res.json()["id"]
    # Sign-in options from authkit, the assertion verified by Node.
    other = Browser()
    options = other.call(py, "GET", "/passkey/generate-authenticate-options").json()
    device.origin = node.base_url
    res = other.post(node, "/passkey/verify-authentication",
                     {"response": device.assert_(options)})
    assert res.status_code == 200, res.text
    # Deleted on Node: gone for authkit too.
    assert b.post(node, "/passkey/delete-passkey", {"id": passkey_id}).json() == {"status": True}
    assert b.call(py, "GET", "/passkey/list-user-passkeys").json() == []


def test_authkit_creates_the_schema_and_node_joins(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The other migration order: authkit makes twoFactor and passkey, Node migrates after it
    (KEEP_DB) and both read each other's rows."""
    require_node()
    work = tmp_path_factory.mktemp("second-factor-interop-reverse")
    db = work / "shared.db"
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env={"AUTHKIT_PLUGINS": PLUGINS}) as py, \
            reference_server(work, db_path=db, secret=SECRET, keep_db=True,
                             plugins=PLUGINS) as node:
        secret, codes = setup_totp(py, "reverse@example.com")
        b = challenge(node, "reverse@example.com")
        assert b.post(node, "/two-factor/verify-totp", {"code": _code(secret)}).status_code == 200
        res = challenge(node, "reverse@example.com").post(
            node, "/two-factor/verify-backup-code", {"code": codes[0]})
        assert res.status_code == 200, res.text
        device = SoftAuthenticator(node.base_url)
        options = b.call(node, "GET", "/passkey/generate-register-options").json()
        res = b.post(node, "/passkey/verify-registration", {"response": device.register(options)})
        assert res.status_code == 200, res.text
        device.origin = py.base_url
        other = Browser()
        options = other.call(py, "GET", "/passkey/generate-authenticate-options").json()
        res = other.post(py, "/passkey/verify-authentication",
                         {"response": device.assert_(options)})
        assert res.status_code == 200, res.text
