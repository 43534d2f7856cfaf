"""Email codes across the Node reference and ``authkit serve`` on one SQLite file: a code sent
by either is accepted by the other and then refused by both, wrong attempts counted on one
count on the other, and plain, hashed and encrypted rows written by one verify on the other."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from authkit.crypto import symmetric_decrypt
from authkit.plugins.email_otp.store import hash_code

from ...support.live_servers import Server
from ...support.ref_scenarios import Pair, shared_database_pair
from .conftest import wrong

SECRET = "email-otp-interop-secret-0123456789abcdef"


@pytest.fixture(scope="module", params=["plain", "hashed", "encrypted"])
def pair(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    store = str(request.param)
    work = tmp_path_factory.mktemp(f"email-otp-interop-{store}")
    with shared_database_pair(
            work, secret=SECRET,
            node_env={"PLUGINS": "email-otp", "EMAIL_OTP_STORE": store},
            authkit_env={"AUTHKIT_PLUGINS": "email-otp", "AUTHKIT_EMAIL_OTP_STORE": store,
                         "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off"}) as both:
        yield both


def post(server: Server, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/auth{path}", json=body,
                      headers={"origin": server.base_url}, timeout=30)


def send(pair: Pair, server: Server, email: str, otp_type: str = "sign-in") -> str:
    before = len(pair.mails(server, "email-otp"))
    res = post(server, "/email-otp/send-verification-otp", {"email": email, "type": otp_type})
    assert (res.status_code, res.json()) == (200, {"success": True}), res.text
    mails = pair.mails(server, "email-otp")
    assert len(mails) == before + 1, mails
    assert (mails[-1]["email"], mails[-1]["otpType"], mails[-1]["url"]) == (email, otp_type, None)
    return str(mails[-1]["otp"])


def sign_in(server: Server, email: str, code: str) -> tuple[int, Any]:
    res = post(server, "/sign-in/email-otp", {"email": email, "otp": code})
    return res.status_code, res.json()


def stored_value(pair: Pair, identifier: str) -> str | None:
    with sqlite3.connect(pair.db) as conn:
        row = conn.execute("SELECT value FROM verification WHERE identifier = ?",
                           (identifier,)).fetchone()
    return None if row is None else str(row[0])


def sides(issuer: str, pair: Pair) -> tuple[Server, Server]:
    return (pair.node, pair.authkit) if issuer == "node" else (pair.authkit, pair.node)


@pytest.mark.parametrize("issuer", ["node", "authkit"])
def test_a_code_from_one_signs_in_on_the_other_once(pair: Pair, issuer: str) -> None:
    issue, use = sides(issuer, pair)
    email = f"{issuer}-{pair.db.parent.name}@example.com".lower()
    code = send(pair, issue, email)
    mode = pair.node.env["EMAIL_OTP_STORE"]
    value = stored_value(pair, f"sign-in-otp-{email}")
    assert value is not None and value.endswith(":0")
    if mode == "encrypted":  # the same secret decrypts what either server wrote
        assert symmetric_decrypt(SECRET, value[:-2]) == code
    else:
        assert value == f"{hash_code(code) if mode == 'hashed' else code}:0"
    status, body = sign_in(use, email, code)
    assert status == 200 and body["user"]["email"] == email, (body, use.log_tail())
    assert stored_value(pair, f"sign-in-otp-{email}") is None
    for server in (pair.node, pair.authkit):
        assert sign_in(server, email, code) == (400, {"code": "INVALID_OTP",
                                                      "message": "Invalid OTP"}), server.name


@pytest.mark.parametrize("issuer", ["node", "authkit"])
def test_attempts_count_across_both(pair: Pair, issuer: str) -> None:
    issue, other = sides(issuer, pair)
    email = f"tries-{issuer}-{pair.db.parent.name}@example.com".lower()
    code = send(pair, issue, email)
    ident = f"sign-in-otp-{email}"
    for attempt, server in enumerate((other, issue, other), start=1):
        assert sign_in(server, email, wrong(code))[0] == 400
        value = stored_value(pair, ident)
        assert value is not None and value.endswith(f":{attempt}"), value
    # The right code on either is now refused: three wrong ones were spent across both.
    status, body = sign_in(issue, email, code)
    assert (status, body["code"]) == (403, "TOO_MANY_ATTEMPTS")
    assert sign_in(other, email, code)[1]["code"] == "INVALID_OTP"


@pytest.mark.parametrize("issuer", ["node", "authkit"])
def test_password_reset_code_across_both(pair: Pair, issuer: str) -> None:
    issue, use = sides(issuer, pair)
    email = f"reset-{issuer}-{pair.db.parent.name}@example.com".lower()
    res = post(use, "/sign-up/email", {"email": email, "password": "first-password-1",
                                       "name": "Pat"})
    assert res.status_code == 200, res.text
    code = send(pair, issue, email, "forget-password")
    res = post(use, "/email-otp/check-verification-otp",
               {"email": email, "type": "forget-password", "otp": code})
    assert res.status_code == 200, res.text
    res = post(use, "/email-otp/reset-password",
               {"email": email, "otp": code, "password": "second-password-2"})
    assert (res.status_code, res.json()) == (200, {"success": True}), res.text
    for server in (pair.node, pair.authkit):
        res = post(server, "/sign-in/email", {"email": email, "password": "second-password-2"})
        assert res.status_code == 200, (server.name, res.text)
        res = post(server, "/email-otp/reset-password",
                   {"email": email, "otp": code, "password": "third-password-3"})
        assert res.json()["code"] == "INVALID_OTP"
