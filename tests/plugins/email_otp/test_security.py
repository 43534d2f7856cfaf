"""email_otp(): brute force stops at the attempt limit, codes expire and work once (also under
concurrency, on every database), per-path rate limits, and mail through a real SMTP server."""

from __future__ import annotations

import pytest

from authkit.errors import ConfigError
from authkit.mail import SMTPSender
from authkit.mail.plugin_mail import MessageTemplate
from authkit.plugins.email_otp import email_otp, email_otp_mail

from ...mail.smtp_server import smtp_server
from ...support.clients import make_client
from ...support.fixtures import Clock, MakeAuth, sign_up
from ...support.race import run_together
from .conftest import API, OTP, Codes, MakeOTP, wrong

IDENT = "sign-in-otp-ann@example.com"


def guess(otp: OTP, code: str, email: str = "ann@example.com") -> tuple[int, str | None]:
    res = otp.post("/sign-in/email-otp", {"email": email, "otp": code}, otp.new_client())
    return res.status, (res.json.get("code") if res.status != 200 else None)


def test_brute_force_stops_at_three_wrong_codes(otp: OTP) -> None:
    code = otp.send("ann@example.com")
    for attempt in range(1, 4):
        assert guess(otp, wrong(code)) == (400, "INVALID_OTP")
        assert otp.value(IDENT) == f"{code}:{attempt}"
    # The fourth try is refused even with the right code, and the code is gone for good.
    assert guess(otp, code) == (403, "TOO_MANY_ATTEMPTS")
    assert otp.rows(IDENT) == []
    assert guess(otp, code) == (400, "INVALID_OTP")
    assert otp.auth.storage.find_rows("user") == []


@pytest.mark.parametrize("allowed", [1, 5])
def test_the_limit_follows_the_option(make_otp: MakeOTP, allowed: int) -> None:
    otp = make_otp(allowed_attempts=allowed)
    code = otp.send("ann@example.com")
    for _ in range(allowed):
        assert guess(otp, wrong(code)) == (400, "INVALID_OTP")
    assert guess(otp, code) == (403, "TOO_MANY_ATTEMPTS")


def test_check_and_reset_count_attempts_too(otp: OTP) -> None:
    sign_up(otp.client, "ann@example.com", "ann-password-1", "Ann")
    otp.post("/email-otp/request-password-reset", {"email": "ann@example.com"})
    code = otp.codes.last("forget-password")
    check = {"email": "ann@example.com", "type": "forget-password", "otp": wrong(code)}
    otp.post("/email-otp/check-verification-otp", check)
    otp.post("/email-otp/reset-password", {"email": "ann@example.com", "otp": wrong(code),
                                           "password": "new-password-1"})
    otp.post("/email-otp/check-verification-otp", check)
    res = otp.post("/email-otp/reset-password", {"email": "ann@example.com", "otp": code,
                                                 "password": "new-password-1"})
    assert (res.status, res.json["code"]) == (403, "TOO_MANY_ATTEMPTS")


def test_concurrent_wrong_guesses_cannot_pass_the_limit(db_url: str,
                                                        make_auth: MakeAuth) -> None:
    codes = Codes()
    auth = make_auth(database=db_url, plugins=[email_otp(send_verification_otp=codes)])
    otp = OTP(auth, make_client("wsgi", auth), codes)
    code = otp.send("ann@example.com")
    results = run_together(lambda: guess(otp, wrong(code)), 12)
    # Each guess takes the row before comparing, so guesses that overlap find nothing and
    # are not compared: the stored counter is exactly the number compared, never above three.
    assert set(results) <= {(400, "INVALID_OTP"), (403, "TOO_MANY_ATTEMPTS")}, results
    assert results.count((403, "TOO_MANY_ATTEMPTS")) <= 1
    rows = otp.rows(IDENT)
    if not rows:  # the limit was reached and the row taken for good
        assert results.count((403, "TOO_MANY_ATTEMPTS")) == 1
        assert guess(otp, code) == (400, "INVALID_OTP")
        return
    counted = int(rows[0]["value"].rsplit(":", 1)[1])
    assert 1 <= counted <= 3
    assert guess(otp, code) == ((200, None) if counted < 3 else (403, "TOO_MANY_ATTEMPTS"))


def test_concurrent_use_of_one_code_signs_in_once(db_url: str, make_auth: MakeAuth) -> None:
    codes = Codes()
    auth = make_auth(database=db_url, plugins=[email_otp(send_verification_otp=codes)])
    otp = OTP(auth, make_client("wsgi", auth), codes)
    code = otp.send("ann@example.com")
    results = run_together(lambda: guess(otp, code), 8)
    assert sorted(results, key=str).count((200, None)) == 1, results
    assert len(auth.storage.find_rows("user")) == 1
    assert len(auth.storage.find_rows("session")) == 1


def test_concurrent_resets_with_one_code_succeed_once(db_url: str, make_auth: MakeAuth) -> None:
    codes = Codes()
    auth = make_auth(database=db_url, plugins=[email_otp(send_verification_otp=codes)])
    otp = OTP(auth, make_client("wsgi", auth), codes)
    sign_up(otp.client, "ann@example.com", "ann-password-1", "Ann")
    otp.post("/email-otp/request-password-reset", {"email": "ann@example.com"})
    code = otp.codes.last("forget-password")
    passwords = iter([f"new-password-{i}" for i in range(6)])

    def reset() -> int:
        res = otp.post("/email-otp/reset-password", {"email": "ann@example.com", "otp": code,
                                                     "password": next(passwords)},
                       otp.new_client())
        return int(res.status)

    assert sorted(run_together(reset, 6)) == [200, 400, 400, 400, 400, 400]


@pytest.mark.parametrize(("elapsed", "outcome"), [(300, (200, None)),
                                                  (301, (400, "OTP_EXPIRED"))])
def test_codes_expire(otp: OTP, clock: Clock, elapsed: int,
                      outcome: tuple[int, str | None]) -> None:
    code = otp.send("ann@example.com")
    clock.advance(elapsed)
    assert guess(otp, code) == outcome
    assert otp.rows(IDENT) == []  # used, or deleted as expired
    if outcome[0] != 200:
        assert guess(otp, code) == (400, "INVALID_OTP")


def test_codes_are_single_use_everywhere(otp: OTP) -> None:
    sign_up(otp.client, "ann@example.com", "ann-password-1", "Ann")
    code = otp.send("ann@example.com", "email-verification")
    body = {"email": "ann@example.com", "otp": code}
    assert otp.post("/email-otp/verify-email", body).status == 200
    assert otp.post("/email-otp/verify-email", body).json["code"] == "INVALID_OTP"
    # A code of one purpose does not work for another.
    code = otp.send("ann@example.com", "sign-in")
    res = otp.post("/email-otp/reset-password", {**body, "otp": code, "password": "x" * 12})
    assert res.json["code"] == "INVALID_OTP"


def test_rate_limits_apply_per_path(make_otp: MakeOTP) -> None:
    otp = make_otp(auth_options={"rate_limit": {"enabled": True}})
    send = [otp.post("/email-otp/send-verification-otp",
                     {"email": "ann@example.com", "type": "sign-in"}).status for _ in range(4)]
    assert send == [200, 200, 200, 429]
    tries = [otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": "1"}).status
             for _ in range(4)]
    assert tries == [400, 400, 400, 429]  # its own bucket, the same 3 per minute
    # Another path, another bucket; the three wrong codes above spent the code's attempts.
    res = otp.post("/email-otp/check-verification-otp",
                   {"email": "ann@example.com", "type": "sign-in", "otp": "1"})
    assert (res.status, res.json["code"]) == (403, "TOO_MANY_ATTEMPTS")


def test_rate_limit_option(make_otp: MakeOTP, clock: Clock) -> None:
    otp = make_otp(auth_options={"rate_limit": {"enabled": True}},
                   rate_limit={"window": 10, "max": 1})
    path, body = "/email-otp/request-password-reset", {"email": "ann@example.com"}
    assert [otp.post(path, body).status for _ in range(2)] == [200, 429]
    clock.advance(11)
    assert otp.post(path, body).status == 200


def test_codes_by_smtp_with_the_default_template(make_auth: MakeAuth) -> None:
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="auth@acme.test", security="none",
                            timeout=5)
        custom = MessageTemplate(subject="Reset code $otp", text="Code for $email: $otp")
        mail = email_otp_mail(sender, {"forget-password": custom}, app_name="Acme",
                              background=False)
        auth = make_auth(plugins=[email_otp(send_verification_otp=mail)])
        client = make_client("wsgi", auth)
        sign_up(client, "ann@example.com", "ann-password-1", "Ann")
        client.post(f"{API}/email-otp/send-verification-otp",
                    json={"email": "ann@example.com", "type": "email-verification"})
        client.post(f"{API}/email-otp/request-password-reset", json={"email": "ann@example.com"})
        first, second = inbox.wait(2)
    rows = {r["identifier"]: r["value"].split(":")[0]
            for r in auth.storage.find_rows("verification")}
    code = rows["email-verification-otp-ann@example.com"]
    assert first.message["Subject"] == f"Your Acme code: {code}"
    assert "verify your email address" in first.text and code in first.text
    assert first.html is not None and code in first.html
    reset = rows["forget-password-otp-ann@example.com"]
    assert second.message["Subject"] == f"Reset code {reset}"
    assert second.text.strip() == f"Code for ann@example.com: {reset}"


def test_template_checks() -> None:
    sender = SMTPSender("127.0.0.1", 1, from_address="a@b.co", security="none")
    with pytest.raises(ConfigError, match=r"\$url"):
        email_otp_mail(sender, {"sign-in": MessageTemplate(subject="x", text="$url")})
    with pytest.raises(ConfigError, match="unknown code type"):
        email_otp_mail(sender, {"login": MessageTemplate(subject="x", text="$otp")})


def test_over_long_values_are_refused_before_the_database(db_url: str,
                                                          make_auth: MakeAuth) -> None:
    # MariaDB refuses them with an error (a 500) where the other databases would store them.
    codes = Codes()
    auth = make_auth(database=db_url, plugins=[email_otp(send_verification_otp=codes,
                                                         change_email={"enabled": True})])
    otp = OTP(auth, make_client("wsgi", auth), codes)
    long_email = "a" * 250 + "@example.com"
    for path, body in (("/email-otp/send-verification-otp", {"email": long_email,
                                                             "type": "sign-in"}),
                       ("/sign-in/email-otp", {"email": long_email, "otp": "123456"}),
                       ("/email-otp/request-password-reset", {"email": long_email})):
        res = otp.post(path, body)
        assert (res.status, res.json["code"]) == (400, "INVALID_EMAIL"), (path, res.body)
    code = otp.send("ann@example.com")
    for field, size in (("name", 256), ("image", 4097)):
        res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": code,
                                              field: "x" * size})
        assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR"), res.body
    # change-email-otp-<user id>:<address> must fit the 255 characters of the identifier
    # column, so a change of address takes addresses up to 205 characters, on every database.
    sign_up(otp.client, "pat@example.com", "pat-password-1", "Pat")
    for length, status in ((205, 200), (206, 400)):
        new = "b" * (length - 12) + "@example.com"
        res = otp.post("/email-otp/request-email-change", {"newEmail": new})
        assert res.status == status, res.body
    assert res.json["code"] == "INVALID_EMAIL"
    res = otp.post("/sign-in/email-otp", {"email": "ann@example.com", "otp": code,
                                          "name": "n" * 255, "image": "i" * 4096})
    assert res.status == 200


@pytest.mark.parametrize("where", ["hashed-identifiers", "secondary-storage"])
def test_limits_hold_wherever_codes_live(make_otp: MakeOTP, clock: Clock, where: str) -> None:
    from authkit.secondary import MemoryStorage

    options: dict[str, object] = (
        {"verification": {"store_identifier": "hashed"}} if where == "hashed-identifiers"
        else {"secondary_storage": MemoryStorage(clock=clock)})
    otp = make_otp(auth_options=options)
    code = otp.send("ann@example.com")
    for _ in range(3):
        assert guess(otp, wrong(code)) == (400, "INVALID_OTP")
    assert guess(otp, code) == (403, "TOO_MANY_ATTEMPTS")
    code = otp.send("ann@example.com")
    assert guess(otp, code) == (200, None)
    assert guess(otp, code) == (400, "INVALID_OTP")
    # The sign-in identifier never appears in the table as such.
    assert otp.rows(IDENT) == []


def test_banned_users_get_no_session(make_otp: MakeOTP) -> None:
    from authkit.plugins.admin import admin

    otp = make_otp(plugins=(admin(),))
    assert guess(otp, otp.send("ann@example.com")) == (200, None)
    [user] = otp.auth.storage.find_rows("user")
    otp.auth.storage.update_rows("user", {"id": user["id"]}, {"banned": True})
    assert guess(otp, otp.send("ann@example.com")) == (403, "BANNED_USER")


def test_cross_site_form_posts_are_refused(otp: OTP) -> None:
    res = otp.client.post(f"{API}/email-otp/send-verification-otp",
                          json={"email": "ann@example.com", "type": "sign-in"},
                          headers={"Origin": "https://evil.example",
                                   "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                                   "Sec-Fetch-Dest": "document"})
    assert (res.status, res.json["code"]) == (403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
    assert otp.codes.sent == [] and otp.auth.storage.find_rows("verification") == []
