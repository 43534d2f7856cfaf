"""Whole account flows through a real SMTP server (aiosmtpd) over WSGI and ASGI: the test
receives each message, takes the link out of it and follows it (issue 4;
docs/security.md#emailed-tokens, docs/security.md#account-enumeration,
docs/security.md#outages). Log records of every flow are captured and must never hold a token."""

import logging
import re
from urllib.parse import urlsplit

import pytest

from authkit.mail import SMTPSender, mail_callbacks

from ..support.clients import make_client
from ..support.fixtures import sign_up
from .smtp_server import silent_server, smtp_server

ALICE = "alice@example.com"
OLD_PW, NEW_PW = "correct-horse-1", "brand-new-pass-2"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def link_in(received, path_part: str) -> str:
    """The first link in the plain text that goes to ``path_part``, below the origin."""
    for url in LINK.findall(received.text):
        if path_part in url:
            assert url.startswith("http://localhost:3000/api/auth/")  # docs/security.md#emailed-tokens: configured base
            parts = urlsplit(url)
            return parts.path + "?" + parts.query
    raise AssertionError(f"no {path_part} link in {received.text!r}")


def assert_no_secret_in_logs(logs, *secrets):
    # authkit's own records (the test's HTTP client and SMTP server log URLs and mail bodies
    # by design; they stand for the browser and the mail provider, not for the auth server).
    records = [r for r in logs.records if r.name.split(".")[0] == "authkit"]
    assert records, "no authkit log records were captured"
    text = "\n".join(r.getMessage() for r in records)
    for secret in secrets:
        assert secret and secret not in text, f"{secret[:8]}… leaked into the logs"


@pytest.fixture
def mail_server():
    with smtp_server() as (inbox, port):
        yield inbox, port


def wire(make_auth, port, *, background=False, **options):
    sender = SMTPSender("127.0.0.1", port, from_address="Acme <auth@acme.test>",
                        security="none", timeout=5)
    mail = mail_callbacks(sender, background=background)
    options.setdefault("email_verification", {})["send_verification_email"] = \
        mail.send_verification_email
    options.setdefault("email_and_password", {})["send_reset_password"] = \
        mail.send_reset_password
    user = options.setdefault("user", {})
    user["send_change_email_confirmation"] = mail.send_change_email_confirmation
    return make_auth(**options), mail


def test_sign_up_verify_by_following_the_emailed_link(kind, make_auth, mail_server, logs):
    inbox, port = mail_server
    auth, _mail = wire(make_auth, port,
                      email_and_password={"require_email_verification": True})
    client = make_client(kind, auth)
    res = client.post("/api/auth/sign-up/email", json={
        "email": ALICE, "password": OLD_PW, "name": "Alice", "callbackURL": "/welcome"})
    assert res.status == 200 and res.json["token"] is None
    (received,) = inbox.wait(1)
    assert received.rcpt_tos == [ALICE] and "Verify" in received.message["Subject"]
    link = link_in(received, "/verify-email")
    assert received.html and "/verify-email?token=" in received.html
    res = client.get(link)
    assert res.status == 302 and res.header("location") == "/welcome"
    assert auth.storage.get_user_by_email(ALICE).email_verified is True
    assert client.post("/api/auth/sign-in/email",
                       json={"email": ALICE, "password": OLD_PW}).status == 200
    token = link.split("token=")[1].split("&")[0]
    assert_no_secret_in_logs(logs, token)


def test_password_reset_by_following_the_emailed_link(kind, make_auth, mail_server, logs):
    inbox, port = mail_server
    auth, _mail = wire(make_auth, port)
    client = make_client(kind, auth)
    sign_up(client)
    res = client.post("/api/auth/request-password-reset",
                      json={"email": ALICE, "redirectTo": "/choose-password"})
    assert res.status == 200
    (received,) = inbox.wait(1)
    link = link_in(received, "/reset-password/")
    res = client.get(link)
    assert res.status == 302
    location = res.header("location")
    assert location.startswith("http://localhost:3000/choose-password?token=")
    token = location.split("token=")[1]
    res = client.post("/api/auth/reset-password", json={"token": token, "newPassword": NEW_PW})
    assert res.status == 200
    sign_in = "/api/auth/sign-in/email"
    assert client.post(sign_in, json={"email": ALICE, "password": NEW_PW}).status == 200
    assert client.post(sign_in, json={"email": ALICE, "password": OLD_PW}).status == 401
    assert_no_secret_in_logs(logs, token)


def test_change_email_by_following_both_links(kind, make_auth, mail_server, logs):
    inbox, port = mail_server
    auth, _mail = wire(make_auth, port, user={"change_email_enabled": True})
    client = make_client(kind, auth)
    sign_up(client)
    auth.db.update_user(None, auth.storage.get_user_by_email(ALICE).id, {"emailVerified": True})
    res = client.post("/api/auth/change-email", json={"newEmail": "new@example.com"})
    assert res.status == 200
    (confirm,) = inbox.wait(1)
    assert confirm.rcpt_tos == [ALICE] and "new@example.com" in confirm.text
    # Emailed links always carry a callback ("/" by default): each click ends in a redirect.
    res = client.get(link_in(confirm, "/verify-email"))
    assert res.status == 302 and res.header("location") == "/"
    verify = inbox.wait(2)[1]
    assert verify.rcpt_tos == ["new@example.com"]
    res = client.get(link_in(verify, "/verify-email"))
    assert res.status == 302 and res.header("location") == "/"
    assert auth.storage.get_user_by_email(ALICE) is None
    assert client.get("/api/auth/get-session").json["user"]["email"] == "new@example.com"
    tokens = [link_in(m, "/verify-email").split("token=")[1].split("&")[0]
              for m in (confirm, verify)]
    assert_no_secret_in_logs(logs, *tokens)


def test_stopped_smtp_server_changes_no_answer(kind, make_auth, logs):  # docs/security.md#account-enumeration, docs/security.md#outages
    with smtp_server() as (_inbox, port):
        pass  # stopped: connections are refused from here on
    auth, mail = wire(make_auth, port, secondary_storage=None)  # tokens read from SQL below
    client = make_client(kind, auth)
    sign_up(client)
    client.jar.clear()
    answers = set()
    for email in (ALICE, "ghost@example.com"):
        res = client.post("/api/auth/request-password-reset", json={"email": email})
        answers.add((res.status, res.body,
                     tuple(sorted((k.lower(), v) for k, v in res.headers if k.lower() != "date"))))
    assert len(answers) == 1 and answers.pop()[0] == 200
    assert mail.flush(timeout=10)
    failures = [r.getMessage() for r in logs.records if "was not sent" in r.getMessage()]
    assert len(failures) == 1 and "reset-password" in failures[0]
    assert "Connection" in failures[0] or "Errno" in failures[0]
    row_tokens = re.findall(r"reset-password:(\w+)", "\n".join(
        str(r) for r in auth.storage.engine.connect().exec_driver_sql(
            "SELECT identifier FROM verification").all()))
    assert_no_secret_in_logs(logs, *row_tokens)


def test_stalled_smtp_server_does_not_hold_the_response(kind, make_auth, logs):  # docs/security.md#outages
    with silent_server() as (port, release):
        auth, mail = wire(make_auth, port, background=True)
        client = make_client(kind, auth)
        sign_up(client)
        res = client.post("/api/auth/request-password-reset", json={"email": ALICE})
        # Answered while the server still has not said a word: nothing waited for it.
        assert res.status == 200 and not release.is_set()
        release.set()
    assert mail.flush(timeout=30)


def test_stalled_smtp_server_in_foreground_mode_is_bounded(kind, make_auth, logs):  # docs/security.md#outages
    with silent_server() as (port, release):
        sender = SMTPSender("127.0.0.1", port, from_address="a@acme.test", security="none",
                            timeout=0.5)
        mail = mail_callbacks(sender, background=False)
        auth = make_auth(email_and_password={"send_reset_password": mail.send_reset_password})
        client = make_client(kind, auth)
        sign_up(client)
        res = client.post("/api/auth/request-password-reset", json={"email": ALICE})
        assert res.status == 200 and not release.is_set()
    assert mail.flush(timeout=30)
    assert any("was not sent" in r.getMessage() or "still being sent" in r.getMessage()
               for r in logs.records)
