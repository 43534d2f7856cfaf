"""``AUTHKIT_PLUGINS=magic-link,email-otp``: each knob reaches the plugin, bad values are
refused at start-up, and mail lands in the outbox in the reference's format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authkit.errors import ConfigError
from authkit.plugins.email_otp import EmailOTPPlugin
from authkit.plugins.magic_link import MagicLinkPlugin
from authkit.settings import from_env

SECRET = "s" * 40


def plugins(env: dict[str, str]) -> dict[str, Any]:
    kwargs = from_env({"AUTHKIT_SECRET": SECRET, **env})
    return {p.id: p for p in kwargs["plugins"]}


def test_knobs_reach_the_plugins() -> None:
    found = plugins({
        "AUTHKIT_PLUGINS": "magic-link,email-otp",
        "AUTHKIT_MAGIC_LINK_EXPIRES_IN": "60", "AUTHKIT_MAGIC_LINK_DISABLE_SIGN_UP": "on",
        "AUTHKIT_MAGIC_LINK_STORE_TOKEN": "hashed", "AUTHKIT_MAGIC_LINK_RATE_WINDOW": "30",
        "AUTHKIT_MAGIC_LINK_RATE_MAX": "9",
        "AUTHKIT_EMAIL_OTP_LENGTH": "8", "AUTHKIT_EMAIL_OTP_EXPIRES_IN": "120",
        "AUTHKIT_EMAIL_OTP_ALLOWED_ATTEMPTS": "5", "AUTHKIT_EMAIL_OTP_STORE": "encrypted",
        "AUTHKIT_EMAIL_OTP_RESEND": "reuse", "AUTHKIT_EMAIL_OTP_DISABLE_SIGN_UP": "on",
        "AUTHKIT_EMAIL_OTP_SEND_ON_SIGN_UP": "on",
        "AUTHKIT_EMAIL_OTP_OVERRIDE_EMAIL_VERIFICATION": "on",
        "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL": "on", "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL_VERIFY_CURRENT": "on",
        "AUTHKIT_EMAIL_OTP_RATE_WINDOW": "20", "AUTHKIT_EMAIL_OTP_RATE_MAX": "4"})
    ml = found["magic-link"]
    assert isinstance(ml, MagicLinkPlugin)
    o = ml.options
    assert (o.expires_in, o.disable_sign_up, o.store_token, o.rate_limit_window,
            o.rate_limit_max) == (60, True, "hashed", 30, 9)
    eo = found["email-otp"]
    assert isinstance(eo, EmailOTPPlugin)
    e = eo.options
    assert (e.otp_length, e.expires_in, e.allowed_attempts, e.store_otp, e.resend_strategy,
            e.disable_sign_up, e.send_verification_on_sign_up,
            e.override_default_email_verification, e.change_email_enabled,
            e.change_email_verify_current, e.rate_limit_window, e.rate_limit_max) == (
        8, 120, 5, "encrypted", "reuse", True, True, True, True, True, 20, 4)


def test_defaults() -> None:
    found = plugins({"AUTHKIT_PLUGINS": "magic-link,email-otp"})
    o, e = found["magic-link"].options, found["email-otp"].options
    assert (o.expires_in, o.disable_sign_up, o.store_token, o.rate_limit_max) == (
        300, False, "plain", 5)
    assert (e.otp_length, e.allowed_attempts, e.store_otp, e.resend_strategy,
            e.change_email_enabled, e.rate_limit_max) == (6, 3, "plain", "rotate", False, 3)


@pytest.mark.parametrize(("env", "message"), [
    ({"AUTHKIT_MAGIC_LINK_STORE_TOKEN": "sha1"}, "AUTHKIT_MAGIC_LINK_STORE_TOKEN='sha1'"),
    ({"AUTHKIT_EMAIL_OTP_STORE": "rot13"}, "AUTHKIT_EMAIL_OTP_STORE='rot13'"),
    ({"AUTHKIT_EMAIL_OTP_RESEND": "never"}, "AUTHKIT_EMAIL_OTP_RESEND='never'"),
    ({"AUTHKIT_EMAIL_OTP_LENGTH": "six"}, "AUTHKIT_EMAIL_OTP_LENGTH='six'"),
    ({"AUTHKIT_EMAIL_OTP_ALLOWED_ATTEMPTS": "0"}, "allowed_attempts"),
    ({"AUTHKIT_MAGIC_LINK_EXPIRES_IN": "-1"}, "expires_in"),
])
def test_bad_values_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        plugins({"AUTHKIT_PLUGINS": "magic-link,email-otp", **env})


def test_outbox_lines(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    found = plugins({"AUTHKIT_PLUGINS": "magic-link,email-otp",
                     "AUTHKIT_EMAIL_OUTBOX": str(outbox)})
    found["magic-link"].options.send_magic_link(email="Ann@X.co", url="u", token="t",
                                                metadata=None)
    found["email-otp"].options.send_verification_otp(email="ann@x.co", otp="123456",
                                                     type="sign-in")
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert lines == [
        {"type": "magic-link", "email": "Ann@X.co", "url": "u", "token": "t", "metadata": None},
        {"type": "email-otp", "email": "ann@x.co", "url": None, "token": None, "otp": "123456",
         "otpType": "sign-in"}]


def test_smtp_through_the_serve_modules() -> None:
    from ..mail.smtp_server import smtp_server

    with smtp_server() as (inbox, port):
        found = plugins({"AUTHKIT_PLUGINS": "magic-link,email-otp", "AUTHKIT_APP_NAME": "Acme",
                         "AUTHKIT_SMTP_URL": f"smtp://127.0.0.1:{port}?security=none",
                         "AUTHKIT_EMAIL_FROM": "auth@acme.test"})
        found["magic-link"].options.send_magic_link(
            email="ann@x.co", url="https://acme.test/l?token=t", token="t", metadata=None)
        found["email-otp"].options.send_verification_otp(email="bob@x.co", otp="654321",
                                                         type="forget-password")
        received = inbox.wait(2)
    by_rcpt = {m.rcpt_tos[0]: m for m in received}
    assert by_rcpt["ann@x.co"].message["Subject"] == "Sign in to Acme"
    assert "https://acme.test/l?token=t" in by_rcpt["ann@x.co"].text
    assert by_rcpt["bob@x.co"].message["Subject"] == "Your Acme code: 654321"
    assert "reset your password" in by_rcpt["bob@x.co"].text
