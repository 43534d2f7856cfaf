"""`authkit serve` email settings: AUTHKIT_SMTP_URL, AUTHKIT_EMAIL_FROM, AUTHKIT_EMAIL_OUTBOX,
AUTHKIT_CHANGE_EMAIL and AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET."""

import json
from types import SimpleNamespace

import pytest

from authkit import settings
from authkit.errors import ConfigError
from authkit.mail.callbacks import MailCallbacks
from authkit.mail.env import callbacks_from_env
from authkit.outbox import OutboxSender

from .smtp_server import smtp_server

USER = SimpleNamespace(id="u1", name="A", email="alice@example.com")
BASE = {"AUTHKIT_SECRET": "env-secret-0123456789-env-secret-0123456789"}


def test_no_mail_configured():
    assert callbacks_from_env({}) == {}


def test_smtp_url_and_from_address():
    found = callbacks_from_env({"AUTHKIT_SMTP_URL": "smtp://u:p@mail.example.com:587",
                                "AUTHKIT_EMAIL_FROM": "Acme <auth@acme.test>"})
    assert set(found) == {"send_verification_email", "send_reset_password",
                          "send_change_email_confirmation", "send_delete_account_verification"}
    mail = found["send_reset_password"].__self__
    assert isinstance(mail, MailCallbacks)
    assert (mail.sender.host, mail.sender.port, mail.sender.security) == \
        ("mail.example.com", 587, "starttls")
    assert mail.sender.from_address == "Acme <auth@acme.test>"


@pytest.mark.parametrize("env, match", [
    ({"AUTHKIT_SMTP_URL": "smtp://h"}, "AUTHKIT_EMAIL_FROM"),
    ({"AUTHKIT_EMAIL_FROM": "a@b.co"}, "AUTHKIT_SMTP_URL"),
    ({"AUTHKIT_SMTP_URL": "http://u:hunter2@h", "AUTHKIT_EMAIL_FROM": "a@b.co"},
     "AUTHKIT_SMTP_URL"),
])
def test_mistakes_are_refused(env, match):
    with pytest.raises(ConfigError, match=match) as info:
        callbacks_from_env(env)
    assert "hunter2" not in str(info.value)


def test_outbox_writes_the_reference_format(tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    found = callbacks_from_env({"AUTHKIT_EMAIL_OUTBOX": str(outbox)})
    assert isinstance(found["send_verification_email"], OutboxSender)
    found["send_reset_password"](user=USER, url="http://x/r/T", token="T")
    found["send_change_email_confirmation"](user=USER, url="http://x/v", token="J",
                                            new_email="n@example.com")
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert lines == [
        {"type": "reset-password", "email": USER.email, "url": "http://x/r/T", "token": "T"},
        {"type": "change-email-confirmation", "email": USER.email, "url": "http://x/v",
         "token": "J"},
    ]


def test_smtp_and_outbox_together(tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    with smtp_server() as (inbox, port):
        found = callbacks_from_env({
            "AUTHKIT_SMTP_URL": f"smtp://127.0.0.1:{port}?security=none",
            "AUTHKIT_EMAIL_FROM": "auth@acme.test", "AUTHKIT_EMAIL_OUTBOX": str(outbox)})
        found["send_verification_email"](user=USER, url="http://x/v?token=J", token="J")
        (received,) = inbox.wait(1)
    assert received.rcpt_tos == [USER.email] and "http://x/v?token=J" in received.text
    assert json.loads(outbox.read_text())["type"] == "verify-email"


def test_from_env_wires_the_options(tmp_path):
    env = {**BASE, "AUTHKIT_EMAIL_OUTBOX": str(tmp_path / "o.jsonl"),
           "AUTHKIT_CHANGE_EMAIL": "on", "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off",
           "AUTHKIT_SMTP_URL": "smtps://u:p@mail.example.com", "AUTHKIT_EMAIL_FROM": "a@b.co"}
    kw = settings.from_env(env)
    assert kw["email_and_password"]["revoke_sessions_on_password_reset"] is False
    assert kw["email_and_password"]["send_reset_password"] is not None
    assert kw["email_verification"]["send_verification_email"] is not None
    assert kw["user"]["change_email_enabled"] is True
    assert kw["user"]["send_change_email_confirmation"] is not None


def test_from_env_defaults(tmp_path):
    kw = settings.from_env(dict(BASE))
    assert "revoke_sessions_on_password_reset" not in kw["email_and_password"]  # stays True
    assert "send_reset_password" not in kw["email_and_password"]
    assert not kw.get("user", {}).get("change_email_enabled")
    assert not {"AUTHKIT_SMTP_URL", "AUTHKIT_EMAIL_FROM", "AUTHKIT_CHANGE_EMAIL"} & \
        settings.NOT_YET
    with pytest.raises(ConfigError):
        settings.from_env({**BASE, "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "maybe"})
