"""email_otp(): sending codes, signing in, checking and verifying an address with one."""

from __future__ import annotations

import pytest

from authkit.errors import APIError, ConfigError
from authkit.plugins.email_otp import email_otp
from authkit.plugins.email_otp.store import hash_code, split_value

from ...support.fixtures import Clock, sign_up
from .conftest import API, OTP, MakeOTP, wrong


def test_stored_forms() -> None:
    assert hash_code("123456") == "jZae727K08KaOmKSgOaGzww_XVqGr_PKEgIMkjrcbJI"
    assert split_value("123456:2") == ("123456", 2)
    # Split at the last colon: encrypted values may be "$ba$1$..." and hold colons themselves.
    assert split_value("a:b:c:1") == ("a:b:c", 1)


def test_send_stores_code_and_mails_it(otp: OTP) -> None:
    code = otp.send("New@Example.com")
    assert len(code) == 6 and code.isdigit()
    assert otp.codes.sent == [{"email": "new@example.com", "otp": code, "type": "sign-in"}]
    [row] = otp.rows("sign-in-otp-new@example.com")
    assert row["value"] == f"{code}:0"
    assert (row["expiresAt"] - row["createdAt"]).total_seconds() == 300


def test_send_errors(otp: OTP) -> None:
    res = otp.post("/email-otp/send-verification-otp",
                   {"email": "a@example.com", "type": "change-email"})
    assert (res.status, res.body) == (400, b'{"message":"Invalid OTP type"}')
    res = otp.post("/email-otp/send-verification-otp", {"email": "a@example.com", "type": "x"})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    assert res.json["message"].startswith('[body.type] Invalid option: expected one of '
                                          '"email-verification"|"sign-in"')
    res = otp.post("/email-otp/send-verification-otp", {"email": "nope", "type": "sign-in"})
    assert (res.status, res.json) == (400, {"code": "INVALID_EMAIL", "message": "Invalid email"})
    assert otp.codes.sent == []


@pytest.mark.parametrize("otp_type", ["email-verification", "forget-password"])
def test_unknown_addresses_get_nothing(otp: OTP, otp_type: str) -> None:
    res = otp.post("/email-otp/send-verification-otp",
                   {"email": "ghost@example.com", "type": otp_type})
    assert (res.status, res.json) == (200, {"success": True})
    res = otp.post("/email-otp/request-password-reset", {"email": "ghost@example.com"})
    assert (res.status, res.json) == (200, {"success": True})
    assert otp.codes.sent == []
    assert otp.auth.storage.find_rows("verification") == []


def test_sign_in_creates_a_verified_user(otp: OTP) -> None:
    code = otp.send("New@Example.com")
    res = otp.post("/sign-in/email-otp", {"email": "NEW@example.com", "otp": code,
                                          "name": "Nia", "image": "https://img.example/n.png"})
    assert res.status == 200 and list(res.json) == ["token", "user"]
    user = res.json["user"]
    assert (user["email"], user["emailVerified"], user["name"], user["image"]) == (
        "new@example.com", True, "Nia", "https://img.example/n.png")
    assert otp.client.get(f"{API}/get-session").json["session"]["token"] == res.json["token"]
    assert otp.auth.storage.find_rows("account") == []
    # Used up.
    res = otp.post("/sign-in/email-otp", {"email": "new@example.com", "otp": code},
                   otp.new_client())
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")


def test_sign_in_with_disabled_sign_up(make_otp: MakeOTP) -> None:
    otp = make_otp(disable_sign_up=True)
    res = otp.post("/email-otp/send-verification-otp",
                   {"email": "ghost@example.com", "type": "sign-in"})
    assert res.status == 200 and otp.codes.sent == []
    assert otp.auth.storage.find_rows("verification") == []
    # A code created server-side still cannot create the account.
    code = otp.auth.api.create_verification_otp(body={"email": "ghost@example.com",
                                                      "type": "sign-in"})
    res = otp.post("/sign-in/email-otp", {"email": "ghost@example.com", "otp": code})
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")
    assert otp.auth.storage.find_rows("user") == []


def test_sign_in_refuses_fields_the_client_may_not_set(make_otp: MakeOTP) -> None:
    from authkit.plugins.admin import admin

    otp = make_otp(plugins=(admin(),))  # the admin plugin's role is not client-settable
    code = otp.send("new@example.com")
    res = otp.post("/sign-in/email-otp", {"email": "new@example.com", "otp": code,
                                          "role": "admin"})
    assert (res.status, res.json) == (400, {"code": "FIELD_NOT_ALLOWED",
                                            "message": "role is not allowed to be set"})
    assert otp.auth.storage.find_rows("user") == []
    # The code was used by the refused call, as Better Auth does.
    res = otp.post("/sign-in/email-otp", {"email": "new@example.com", "otp": code})
    assert res.json["code"] == "INVALID_OTP"


def test_rotate_replaces_the_code(otp: OTP, clock: Clock) -> None:
    first = otp.send("ann@example.com")
    clock.advance(1)  # the newest row (by creation time) is the one that counts
    second = otp.send("ann@example.com")
    assert len(otp.rows("sign-in-otp-ann@example.com")) == 2  # each send is a new row
    if first != second:
        res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": first})
        assert res.json["code"] == "INVALID_OTP"
    res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": second})
    assert res.status == 200
    assert otp.rows("sign-in-otp-ann@example.com") == []


def test_reuse_resends_the_same_code_with_a_new_expiry(make_otp: MakeOTP, clock: Clock) -> None:
    otp = make_otp(resend_strategy="reuse")
    first = otp.send("ann@example.com")
    clock.advance(200)
    assert otp.send("ann@example.com") == first
    [row] = otp.rows("sign-in-otp-ann@example.com")
    assert row["value"] == f"{first}:0"
    clock.advance(250)  # 450 s after the first send, 250 s after the second
    res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": first})
    assert res.status == 200, res.body


def test_reuse_sends_a_new_code_once_attempts_are_spent(make_otp: MakeOTP,
                                                        clock: Clock) -> None:
    otp = make_otp(resend_strategy="reuse", allowed_attempts=1)
    first = otp.send("ann@example.com")
    otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": wrong(first)})
    clock.advance(1)
    second = otp.send("ann@example.com")
    values = [r["value"] for r in otp.rows("sign-in-otp-ann@example.com")]
    assert sorted(values) == sorted([f"{first}:1", f"{second}:0"])
    res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": second})
    assert res.status == 200


def test_reuse_cannot_recover_hashed_codes(make_otp: MakeOTP) -> None:
    otp = make_otp(resend_strategy="reuse", store_otp="hashed")
    otp.send("ann@example.com")
    otp.send("ann@example.com")
    assert len(otp.rows("sign-in-otp-ann@example.com")) == 2


def test_hashed_store(make_otp: MakeOTP) -> None:
    otp = make_otp(store_otp="hashed")
    code = otp.send("ann@example.com")
    assert otp.value("sign-in-otp-ann@example.com") == f"{hash_code(code)}:0"
    res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": wrong(code)})
    assert res.json["code"] == "INVALID_OTP"
    assert otp.value("sign-in-otp-ann@example.com") == f"{hash_code(code)}:1"
    assert otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": code}).status \
        == 200
    assert otp.auth.api.get_verification_otp(
        query={"email": "x@example.com", "type": "sign-in"}) == {"otp": None}


def test_check_does_not_consume(otp: OTP) -> None:
    sign_up(otp.client, "pat@example.com", "pat-password-1", "Pat")
    code = otp.send("pat@example.com", "email-verification")
    body = {"email": "pat@example.com", "type": "email-verification"}
    res = otp.post("/email-otp/check-verification-otp", {**body, "otp": wrong(code)})
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")
    res = otp.post("/email-otp/check-verification-otp", {**body, "otp": code})
    assert (res.status, res.json) == (200, {"success": True})
    assert otp.value("email-verification-otp-pat@example.com") == f"{code}:1"


def test_check_for_a_new_address_is_user_not_found(otp: OTP) -> None:
    code = otp.send("new@example.com")
    res = otp.post("/email-otp/check-verification-otp",
                   {"email": "new@example.com", "type": "sign-in", "otp": code})
    assert (res.status, res.json["code"]) == (400, "USER_NOT_FOUND")


def test_verify_email(otp: OTP) -> None:
    user_id = sign_up(otp.client, "pat@example.com", "pat-password-1", "Pat").json["user"]["id"]
    code = otp.send("pat@example.com", "email-verification")
    res = otp.post("/email-otp/verify-email", {"email": "pat@example.com", "otp": code})
    assert res.status == 200 and list(res.json) == ["status", "token", "user"]
    assert (res.json["status"], res.json["token"], res.json["user"]["id"]) == (True, None, user_id)
    assert res.json["user"]["emailVerified"] is True
    # As in Better Auth, only the cookie cache is refreshed (off here): no cookie is re-issued,
    # and the session, read from the store, shows the verified user.
    assert res.cookie("better-auth.session_token") is None
    assert otp.client.get(f"{API}/get-session").json["user"]["emailVerified"] is True
    res = otp.post("/email-otp/verify-email", {"email": "pat@example.com", "otp": code})
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")


def test_verify_email_signs_in_with_auto_sign_in(make_otp: MakeOTP) -> None:
    otp = make_otp(auth_options={"email_verification": {
        "auto_sign_in_after_verification": True}})
    sign_up(otp.new_client(), "pat@example.com", "pat-password-1", "Pat")
    code = otp.send("pat@example.com", "email-verification")
    res = otp.post("/email-otp/verify-email", {"email": "pat@example.com", "otp": code})
    assert res.status == 200 and isinstance(res.json["token"], str)
    assert otp.client.get(f"{API}/get-session").json["session"]["token"] == res.json["token"]


def test_unverified_account_loses_password_and_sessions(otp: OTP) -> None:
    squatter = otp.new_client()
    user_id = sign_up(squatter, "una@example.com", "una-password-1", "Una").json["user"]["id"]
    code = otp.send("una@example.com")
    res = otp.post("/sign-in/email-otp", {"email": "una@example.com", "otp": code})
    assert res.json["user"]["id"] == user_id and res.json["user"]["emailVerified"] is True
    assert squatter.get(f"{API}/get-session").json is None
    assert otp.auth.storage.find_rows("account", {"userId": user_id}) == []


def test_server_only_endpoints(otp: OTP) -> None:
    for path in ("/email-otp/create-verification-otp", "/email-otp/get-verification-otp"):
        assert otp.client.post(f"{API}{path}", json={}).status == 404
    code = otp.auth.api.create_verification_otp(body={"email": "Ann@Example.com",
                                                      "type": "sign-in"})
    assert otp.codes.sent == []
    assert otp.auth.api.get_verification_otp(
        query={"email": "ann@example.com", "type": "sign-in"}) == {"otp": code}
    with pytest.raises(APIError) as caught:
        otp.auth.api.create_verification_otp(body={"email": "bad", "type": "sign-in"})
    assert caught.value.code == "INVALID_EMAIL"


def test_send_on_sign_up(make_otp: MakeOTP) -> None:
    otp = make_otp(send_verification_on_sign_up=True)
    sign_up(otp.client, "Pat@Example.com", "pat-password-1", "Pat")
    assert otp.codes.sent[-1]["type"] == "email-verification"
    code = otp.codes.last("email-verification")
    res = otp.post("/email-otp/verify-email", {"email": "pat@example.com", "otp": code})
    assert res.status == 200


def test_override_default_email_verification(make_otp: MakeOTP) -> None:
    links: list[str] = []
    otp = make_otp(override_default_email_verification=True, auth_options={
        "email_verification": {"send_verification_email": lambda **kw: links.append(kw["url"]),
                               "send_on_sign_up": True}})
    sign_up(otp.client, "pat@example.com", "pat-password-1", "Pat")
    assert links == []  # a code went out instead of the link
    code = otp.codes.last("email-verification")
    res = otp.post("/email-otp/verify-email", {"email": "pat@example.com", "otp": code})
    assert res.status == 200 and res.json["user"]["emailVerified"] is True


def test_failing_sender_is_not_answered(make_otp: MakeOTP) -> None:
    def broken(**_: str) -> None:
        raise RuntimeError("smtp down")

    otp = make_otp(sender=broken)
    res = otp.post("/email-otp/send-verification-otp",
                   {"email": "ann@example.com", "type": "sign-in"})
    assert (res.status, res.json) == (200, {"success": True})


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="store_otp"):
        email_otp(send_verification_otp=print, store_otp="md5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="allowed_attempts"):
        email_otp(send_verification_otp=print, allowed_attempts=0)
    with pytest.raises(ConfigError, match="change_email"):
        email_otp(send_verification_otp=print, change_email={"enable": True})


def test_custom_generator_and_length(make_otp: MakeOTP) -> None:
    otp = make_otp(generate_otp=lambda email, type: "4242" if type == "sign-in" else None)
    assert otp.send("ann@example.com") == "4242"
    otp = make_otp(otp_length=8)
    assert len(otp.send("ann@example.com")) == 8


def test_encrypted_store(make_otp: MakeOTP) -> None:
    from authkit.crypto import symmetric_decrypt

    otp = make_otp(store_otp="encrypted", resend_strategy="reuse")
    code = otp.send("ann@example.com")
    stored, _, attempts = otp.value("sign-in-otp-ann@example.com").rpartition(":")
    # XChaCha20-Poly1305: 24-byte nonce + 6 bytes + 16-byte tag, hex.
    assert len(stored) == 92 and attempts == "0" and code not in stored
    assert symmetric_decrypt(otp.auth.secret_config, stored) == code
    assert otp.send("ann@example.com") == code  # recoverable, so "reuse" can resend it
    assert otp.auth.api.get_verification_otp(
        query={"email": "ann@example.com", "type": "sign-in"}) == {"otp": code}
    res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": wrong(code)})
    assert res.json["code"] == "INVALID_OTP"
    assert otp.value("sign-in-otp-ann@example.com") == f"{stored}:1"
    assert otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": code}).status \
        == 200


def test_encrypted_codes_survive_a_secret_rotation(make_otp: MakeOTP) -> None:
    old = make_otp(store_otp="encrypted", auth_options={"secrets": [(1, "a" * 40)]})
    code = old.send("ann@example.com")
    assert old.value("sign-in-otp-ann@example.com").startswith("$ba$1$")
    # The same database read by a server that signs with a newer secret and keeps the old one.
    rotated = make_otp(store_otp="encrypted",
                       auth_options={"secrets": [(2, "b" * 40), (1, "a" * 40)],
                                     "database": str(old.auth.storage.engine.url)})
    res = rotated.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": code})
    assert res.status == 200, res.body
    assert rotated.send("bob@example.com") and rotated.value(
        "sign-in-otp-bob@example.com").startswith("$ba$2$")
