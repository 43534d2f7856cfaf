"""email_otp(): password reset and change of address with a code."""

from __future__ import annotations

from ...support.fixtures import sign_up
from .conftest import API, OTP, MakeOTP, wrong

PW = "pat-password-1"
NEW_PW = "pat-password-2"


def sign_in(otp: OTP, email: str, password: str) -> int:
    res = otp.post("/sign-in/email", {"email": email, "password": password}, otp.new_client())
    return int(res.status)


def test_reset_password(otp: OTP) -> None:
    sign_up(otp.client, "pat@example.com", PW, "Pat")
    res = otp.post("/email-otp/request-password-reset", {"email": "Pat@Example.com"})
    assert (res.status, res.json) == (200, {"success": True})
    code = otp.codes.last("forget-password")
    body = {"email": "pat@example.com", "otp": code}
    # Length first, before the code is even looked at.
    res = otp.post("/email-otp/reset-password", {**body, "password": "short"})
    assert (res.status, res.json["code"]) == (400, "PASSWORD_TOO_SHORT")
    res = otp.post("/email-otp/reset-password", {**body, "password": "x" * 200})
    assert (res.status, res.json["code"]) == (400, "PASSWORD_TOO_LONG")
    assert otp.value("forget-password-otp-pat@example.com") == f"{code}:0"
    res = otp.post("/email-otp/reset-password", {**body, "otp": wrong(code), "password": NEW_PW})
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")
    res = otp.post("/email-otp/reset-password", {**body, "password": NEW_PW})
    assert (res.status, res.json) == (200, {"success": True})
    assert otp.rows("forget-password-otp-pat@example.com") == []
    res = otp.post("/email-otp/reset-password", {**body, "password": "pat-password-3"})
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")
    assert sign_in(otp, "pat@example.com", PW) == 401
    assert sign_in(otp, "pat@example.com", NEW_PW) == 200


def test_reset_revokes_sessions_as_configured(make_otp: MakeOTP) -> None:
    for revoke in (True, False):
        otp = make_otp(auth_options={"email_and_password": {
            "revoke_sessions_on_password_reset": revoke}})
        sign_up(otp.client, "pat@example.com", PW, "Pat")
        otp.post("/forget-password/email-otp", {"email": "pat@example.com"}, otp.new_client())
        res = otp.post("/email-otp/reset-password", {
            "email": "pat@example.com", "otp": otp.codes.last("forget-password"),
            "password": NEW_PW}, otp.new_client())
        assert res.status == 200
        alive = otp.client.get(f"{API}/get-session").json is not None
        assert alive is not revoke


def test_a_passwordless_user_gains_a_password_and_is_verified(otp: OTP) -> None:
    code = otp.send("nia@example.com")
    user = otp.post("/sign-in/email-otp", {"email": "nia@example.com", "otp": code}).json["user"]
    assert otp.auth.storage.find_rows("account") == []
    otp.post("/email-otp/request-password-reset", {"email": "nia@example.com"})
    res = otp.post("/email-otp/reset-password", {
        "email": "nia@example.com", "otp": otp.codes.last("forget-password"),
        "password": NEW_PW})
    assert res.status == 200
    [account] = otp.auth.storage.find_rows("account")
    assert (account["userId"], account["providerId"]) == (user["id"], "credential")
    assert sign_in(otp, "nia@example.com", NEW_PW) == 200


def test_reset_marks_an_unverified_address_verified(otp: OTP) -> None:
    user_id = sign_up(otp.client, "pat@example.com", PW, "Pat").json["user"]["id"]
    otp.post("/email-otp/request-password-reset", {"email": "pat@example.com"})
    otp.post("/email-otp/reset-password", {"email": "pat@example.com",
                                           "otp": otp.codes.last(), "password": NEW_PW})
    [user] = otp.auth.storage.find_rows("user", {"id": user_id})
    assert user["emailVerified"] is True


def test_change_email_is_off_by_default(otp: OTP) -> None:
    sign_up(otp.client, "pat@example.com", PW, "Pat")
    for path, body in (("/email-otp/request-email-change", {"newEmail": "x@example.com"}),
                       ("/email-otp/change-email", {"newEmail": "x@example.com", "otp": "1"})):
        res = otp.post(path, body)
        assert (res.status, res.body) == (400, b'{"message":"Change email with OTP is disabled"}')


def test_change_email(make_otp: MakeOTP) -> None:
    otp = make_otp(change_email={"enabled": True})
    user_id = sign_up(otp.client, "pat@example.com", PW, "Pat").json["user"]["id"]
    res = otp.post("/email-otp/request-email-change", {"newEmail": "PAT@example.com"})
    assert (res.status, res.body) == (400, b'{"message":"Email is the same"}')
    res = otp.post("/email-otp/request-email-change", {"newEmail": "nope"})
    assert (res.status, res.json["code"]) == (400, "INVALID_EMAIL")
    res = otp.post("/email-otp/request-email-change", {"newEmail": "Next@Example.com"})
    assert (res.status, res.json) == (200, {"success": True})
    assert otp.codes.sent[-1]["email"] == "next@example.com"  # the NEW address gets the code
    code = otp.codes.last("change-email")
    ident = f"change-email-otp-{user_id}:next@example.com"
    assert otp.value(ident) == f"{code}:0"
    res = otp.post("/email-otp/change-email", {"newEmail": "next@example.com",
                                               "otp": wrong(code)})
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")
    # Another user cannot use the code: it is bound to the requesting user's id.
    other = otp.new_client()
    sign_up(other, "eve@example.com", "eve-password-1", "Eve")
    res = otp.post("/email-otp/change-email", {"newEmail": "next@example.com", "otp": code},
                   other)
    assert (res.status, res.json["code"]) == (400, "INVALID_OTP")
    res = otp.post("/email-otp/change-email", {"newEmail": "next@example.com", "otp": code})
    assert (res.status, res.json) == (200, {"success": True})
    session = otp.client.get(f"{API}/get-session").json
    assert (session["user"]["email"], session["user"]["emailVerified"]) == (
        "next@example.com", True)


def test_change_email_to_a_taken_address_sends_nothing(make_otp: MakeOTP) -> None:
    otp = make_otp(change_email={"enabled": True})
    sign_up(otp.new_client(), "taken@example.com", PW, "Tak")
    user_id = sign_up(otp.client, "pat@example.com", PW, "Pat").json["user"]["id"]
    res = otp.post("/email-otp/request-email-change", {"newEmail": "taken@example.com"})
    assert (res.status, res.json) == (200, {"success": True})
    assert otp.codes.sent == []
    assert otp.rows(f"change-email-otp-{user_id}:taken@example.com") == []


def test_change_email_needs_a_session(make_otp: MakeOTP) -> None:
    otp = make_otp(change_email={"enabled": True})
    res = otp.post("/email-otp/request-email-change", {"newEmail": "x@example.com"})
    assert (res.status, res.json["code"]) == (401, "UNAUTHORIZED")


def test_change_email_verifying_the_current_address(make_otp: MakeOTP) -> None:
    otp = make_otp(change_email={"enabled": True, "verify_current_email": True})
    sign_up(otp.client, "pat@example.com", PW, "Pat")
    res = otp.post("/email-otp/request-email-change", {"newEmail": "next@example.com"})
    assert (res.status, res.body) == (400,
                                      b'{"message":"OTP is required to verify current email"}')
    current = otp.send("pat@example.com", "email-verification")
    res = otp.post("/email-otp/request-email-change", {"newEmail": "next@example.com",
                                                       "otp": wrong(current)})
    assert res.json["code"] == "INVALID_OTP"
    res = otp.post("/email-otp/request-email-change", {"newEmail": "next@example.com",
                                                       "otp": current})
    assert res.status == 200 and otp.codes.sent[-1]["type"] == "change-email"
