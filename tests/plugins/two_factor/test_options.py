"""Options, storage formats, server-only calls, the serve module's knobs and the code email."""

from __future__ import annotations

import json
from typing import Any

import pytest

from authkit import APIError, AuthKit
from authkit.crypto import symmetric_decrypt
from authkit.errors import ConfigError
from authkit.mail import SMTPSender
from authkit.plugins.two_factor import OTPTemplate, otp_mailer, totp, two_factor
from authkit.settings import from_env
from authkit.verifications import hash_identifier
from tests.mail.smtp_server import smtp_server
from tests.support.clients import make_client
from tests.support.fixtures import Clock, MakeAuth, sign_up

from .helpers import API, PASSWORD, Outbox, challenged, enable_totp, secret_of, verify


@pytest.mark.parametrize("kwargs", [
    {"totp_options": {"digits": 9}},
    {"totp_options": {"period": 0}},
    {"otp_options": {"store_otp": "rot13"}},
    {"backup_code_options": {"storeBackupCodes": "plain"}},  # camelCase: did you mean...
    {"account_lockout": {"max_failed_attempts": -1}},
    {"two_factor_cookie_max_age": 0},
])
def test_bad_options_fail_at_construction(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        two_factor(**kwargs)


def test_vectors_of_the_reference() -> None:
    secret = "Ab3dEfGh1jKlMnOpQrStUvWxYz012345"
    at = 1767225600
    assert [totp.code_at(secret, at + d) for d in (-30, 0, 30)] == ["011629", "519057", "274653"]
    assert totp.code_at(secret, at, digits=8) == "23519057"
    assert totp.uri(secret, issuer="My App", account="alice@example.com") == (
        "otpauth://totp/My%20App:alice%40example.com?secret=IFRDGZCFMZDWQMLKJNWE23SPOBIXEU3UKV3"
        "FO6CZPIYDCMRTGQ2Q&issuer=My+App&digits=6&period=30")
    # An imported secret is base32 text, used decoded.
    imported = "base32:IFRDGZCFMZDWQMLKJNWE23SPOBIXEU3UKV3FO6CZPIYDCMRTGQ2Q"
    assert totp.code_at(imported, at) == "519057"


def test_user_cannot_set_two_factor_enabled(auth_plain: AuthKit) -> None:
    client = make_client("wsgi", auth_plain)
    res = sign_up(client, twoFactorEnabled=True)
    assert res.json["user"]["twoFactorEnabled"] is False
    res = client.post(f"{API}/update-user", json={"twoFactorEnabled": True})
    assert (res.status, res.json["code"]) == (400, "FIELD_NOT_ALLOWED")


@pytest.fixture
def auth_plain(make_auth: MakeAuth) -> AuthKit:
    return make_auth(plugins=[two_factor(issuer="Example Co")], app_name="Fallback")


def test_stored_formats_and_server_only_calls(auth_plain: AuthKit, clock: Clock) -> None:
    auth = auth_plain
    client = make_client("wsgi", auth)
    sign_up(client, password=PASSWORD)
    res = client.post(f"{API}/two-factor/enable", json={"password": PASSWORD})
    assert res.json["totpURI"].startswith("otpauth://totp/Example%20Co:alice%40example.com?")
    secret = secret_of(res.json["totpURI"])
    user = auth.db.get_user_by_email("alice@example.com")
    assert user is not None
    row = auth.storage.find_row("twoFactor", {"userId": user.id})
    assert row is not None and row["verified"] is False
    assert symmetric_decrypt(auth.secret_config, row["secret"]) == secret
    assert json.loads(symmetric_decrypt(auth.secret_config, row["backupCodes"])) == \
        res.json["backupCodes"]
    # get-totp-uri names the app, as Better Auth's does.
    uri = client.post(f"{API}/two-factor/get-totp-uri", json={"password": PASSWORD}).json
    assert uri["totpURI"].startswith("otpauth://totp/Fallback:")
    # Server-only: no URL, but auth.api answers.
    assert client.post(f"{API}/two-factor/view-backup-codes", json={"userId": user.id}).status \
        == 404
    viewed = auth.api.view_backup_codes(body={"userId": user.id})
    assert viewed["backupCodes"] == res.json["backupCodes"]
    code = auth.api.generate_totp(body={"secret": secret})["code"]
    assert code == totp.code_at(secret, clock.now)
    with pytest.raises(APIError) as err:
        auth.api.view_backup_codes(body={"userId": "nobody"})
    assert err.value.code == "BACKUP_CODES_NOT_ENABLED"


@pytest.mark.parametrize("store", ["hashed", "encrypted"])
def test_emailed_codes_stored_hashed_or_encrypted(make_auth: MakeAuth, clock: Clock,
                                                  store: str) -> None:
    outbox = Outbox()
    auth = make_auth(plugins=[two_factor(otp_options={"send_otp": outbox, "store_otp": store})])
    alice = enable_totp(auth, clock, "alice@example.com")
    browser = challenged(auth, alice.email)
    browser.post(f"{API}/two-factor/send-otp", json={})
    code = outbox.last(alice.email)
    challenge = browser.jar["better-auth.two_factor"].split(".")[0]
    row = auth.db.find_verification(f"2fa-otp-{challenge}")
    assert row is not None and code not in row.value
    stored, _, count = row.value.rpartition(":")
    assert count == "0"
    if store == "hashed":
        assert stored == hash_identifier(code)
    else:
        assert symmetric_decrypt(auth.secret_config, stored) == code
    assert verify(browser, "otp", code).status == 200


def test_serve_knobs(tmp_path: Any) -> None:
    base = {"AUTHKIT_SECRET": "s" * 40, "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp_path}/a.db",
            "AUTHKIT_PLUGINS": "two-factor", "AUTHKIT_APP_NAME": "Served"}
    kwargs = from_env({**base, "AUTHKIT_TWO_FACTOR_OTP": "off",
                       "AUTHKIT_TWO_FACTOR_LOCKOUT_MAX": "3",
                       "AUTHKIT_TWO_FACTOR_TOTP_DIGITS": "8"})
    plugin = kwargs["plugins"][-1]
    assert plugin.options.otp_enabled is False
    assert plugin.options.account_lockout.max_failed_attempts == 3
    assert plugin.options.totp_options.digits == 8
    with pytest.raises(ConfigError):
        from_env({**base, "AUTHKIT_TWO_FACTOR_BACKUP_STORE": "rot13"})


def test_the_code_email_goes_through_smtp_with_a_replaceable_template(
        make_auth: MakeAuth, clock: Clock) -> None:
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="auth@example.com",
                            security="none")
        template = OTPTemplate(subject="$app_name code", text="Code: $otp for $name",
                               html="<b>$otp</b> for $name")
        auth = make_auth(plugins=[two_factor(otp_options={
            "send_otp": otp_mailer(sender, template, app_name="Shop", background=False)})])
        alice = enable_totp(auth, clock, "alice@example.com")
        browser = challenged(auth, alice.email)
        assert browser.post(f"{API}/two-factor/send-otp", json={}).status == 200
        [mail] = inbox.wait(1)
        assert mail.message["Subject"] == "Shop code"
        assert mail.rcpt_tos == ["alice@example.com"]
        code = mail.text.split("Code: ")[1].split(" ")[0]
        assert mail.html is not None and f"<b>{code}</b>" in mail.html
        assert verify(browser, "otp", code).status == 200
    with pytest.raises(ConfigError):
        OTPTemplate(subject="$url", text="x")


def test_allow_passwordless_only_for_users_without_a_password(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[two_factor(allow_passwordless=True)])
    with_password = make_client("wsgi", auth)
    sign_up(with_password, password=PASSWORD)
    res = with_password.post(f"{API}/two-factor/enable", json={})
    assert (res.status, res.json["code"]) == (400, "INVALID_PASSWORD")
    without = make_client("wsgi", auth)
    sign_up(without, email="social@example.com", password=PASSWORD)
    user = auth.db.get_user_by_email("social@example.com")
    assert user is not None
    auth.storage.delete_rows("account", {"userId": user.id})  # as a social-only user
    assert without.post(f"{API}/two-factor/enable", json={}).status == 200


def test_skip_verification_turns_2fa_on_at_once(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[two_factor(skip_verification_on_enable=True)])
    client = make_client("wsgi", auth)
    sign_up(client, password=PASSWORD)
    before = client.jar["better-auth.session_token"]
    assert client.post(f"{API}/two-factor/enable", json={"password": PASSWORD}).status == 200
    assert client.jar["better-auth.session_token"] != before
    assert client.get(f"{API}/get-session").json["user"]["twoFactorEnabled"] is True
    res = make_client("wsgi", auth).post(f"{API}/sign-in/email", json={
        "email": "alice@example.com", "password": PASSWORD})
    assert res.json == {"twoFactorRedirect": True, "twoFactorMethods": ["totp"]}


def test_totp_switched_off(make_auth: MakeAuth, clock: Clock) -> None:
    outbox = Outbox()
    auth = make_auth(plugins=[two_factor(totp_options={"disable": True},
                                         otp_options={"send_otp": outbox})])
    client = make_client("wsgi", auth)
    sign_up(client, password=PASSWORD)
    res = client.post(f"{API}/two-factor/enable", json={"password": PASSWORD})
    assert (res.status, res.json) == (400, {"message": "TOTP is not available",
                                            "code": "TOTP_NOT_CONFIGURED"})
    res = client.post(f"{API}/two-factor/verify-totp", json={"code": "123456"})
    assert res.json == {"message": "totp isn't configured", "code": "TOTP_NOT_CONFIGURED"}
    assert client.post(f"{API}/two-factor/enable",
                       json={"password": PASSWORD, "method": "otp"}).json == {"method": "otp"}
    browser = challenged(auth, "alice@example.com")
    assert browser.post(f"{API}/sign-in/email", json={
        "email": "alice@example.com", "password": PASSWORD}).json["twoFactorMethods"] == ["otp"]


def test_otp_method_needs_a_sender(auth_plain: AuthKit) -> None:
    client = make_client("wsgi", auth_plain)
    sign_up(client, password=PASSWORD)
    res = client.post(f"{API}/two-factor/enable", json={"password": PASSWORD, "method": "otp"})
    assert (res.status, res.json["code"]) == (400, "OTP_NOT_CONFIGURED")
    res = client.post(f"{API}/two-factor/send-otp")
    assert res.json == {"message": "otp isn't configured", "code": "OTP_NOT_CONFIGURED"}
