"""Two-factor protections: brute force stops at the limits, codes are single-use and expire,
a challenge cannot be replayed or moved to another user, a trusted device is trusted for one
user only, and nothing of a session leaks before the second factor."""

from __future__ import annotations

import threading

import pytest

from authkit import AuthKit
from authkit.plugins.two_factor import totp, two_factor
from authkit.plugins.username import username
from tests.support.clients import make_client
from tests.support.fixtures import Clock, MakeAuth, sign_up

from .helpers import API, PASSWORD, Outbox, challenged, enable_totp, secret_of, verify

WRONG = "000000"


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def auth(make_auth: MakeAuth, outbox: Outbox) -> AuthKit:
    return make_auth(plugins=[two_factor(otp_options={"send_otp": outbox})])


def _row(auth: AuthKit, email: str) -> dict[str, object]:
    user = auth.db.get_user_by_email(email)
    assert user is not None
    row = auth.storage.find_row("twoFactor", {"userId": user.id})
    assert row is not None
    return row


def test_totp_brute_force_stops_per_challenge_and_per_account(
        make_auth: MakeAuth, outbox: Outbox, clock: Clock, db_url: str) -> None:
    auth = make_auth(database=db_url, plugins=[two_factor(otp_options={"send_otp": outbox})])
    alice = enable_totp(auth, clock, "alice@example.com")
    # Five wrong codes per challenge; the sixth try is refused even with the right code and
    # ends the challenge.
    first = challenged(auth, alice.email)
    for _ in range(5):
        assert verify(first, "totp", WRONG).json["code"] == "INVALID_CODE"
    res = verify(first, "totp", alice.code(clock))
    assert (res.status, res.json["code"]) == (400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
    assert "better-auth.two_factor" not in first.jar
    # Ten failures across challenges lock every factor for 15 minutes.
    second = challenged(auth, alice.email)
    for _ in range(5):
        assert verify(second, "totp", WRONG).status == 401
    assert _row(auth, alice.email)["failedVerificationCount"] == 10
    third = challenged(auth, alice.email)
    for factor, code in (("totp", alice.code(clock)), ("backup", alice.backup_codes[0])):
        res = verify(third, factor, code)
        assert (res.status, res.json["code"]) == (429, "ACCOUNT_TEMPORARILY_LOCKED")
        assert res.header("x-retry-after") is None
    assert third.post(f"{API}/two-factor/send-otp", json={}).status == 200
    res = verify(third, "otp", outbox.last(alice.email))
    assert (res.status, res.json["code"]) == (429, "ACCOUNT_TEMPORARILY_LOCKED")
    # Once the lock has passed, a right code works and clears the count.
    clock.advance(901)
    fourth = challenged(auth, alice.email)
    assert verify(fourth, "totp", alice.code(clock)).status == 200
    row = _row(auth, alice.email)
    assert (row["failedVerificationCount"], row["lockedUntil"]) == (0, None)


def test_backup_code_guesses_count_like_totp(auth: AuthKit, clock: Clock) -> None:
    alice = enable_totp(auth, clock, "alice@example.com")
    # The sixth try of the first challenge hits its limit; after the tenth failure the
    # account lock answers first.
    for then in ("TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE", "ACCOUNT_TEMPORARILY_LOCKED"):
        browser = challenged(auth, alice.email)
        for _ in range(5):
            res = verify(browser, "backup", "aaaaa-bbbbb")
            assert (res.status, res.json["code"]) == (401, "INVALID_BACKUP_CODE")
        assert verify(browser, "backup", alice.backup_codes[0]).json["code"] == then
    res = verify(challenged(auth, alice.email), "backup", alice.backup_codes[0])
    assert (res.status, res.json["code"]) == (429, "ACCOUNT_TEMPORARILY_LOCKED")


def test_totp_codes_expire_outside_one_period_of_drift(auth: AuthKit, clock: Clock) -> None:
    alice = enable_totp(auth, clock, "alice@example.com")
    assert verify(challenged(auth, alice.email), "totp", alice.code(clock, -30)).status == 200
    assert verify(challenged(auth, alice.email), "totp", alice.code(clock, 30)).status == 200
    for offset in (-90, 90):
        res = verify(challenged(auth, alice.email), "totp", alice.code(clock, offset))
        assert res.json["code"] == "INVALID_CODE"
    # Full-width digits are not the code, whatever Unicode normalisation would make of them.
    wide = "".join(chr(0xFF10 + int(d)) for d in alice.code(clock))
    assert verify(challenged(auth, alice.email), "totp", wide).json["code"] == "INVALID_CODE"


def test_backup_codes_are_single_use_even_when_raced(make_auth: MakeAuth, clock: Clock,
                                                     db_url: str) -> None:
    auth = make_auth(database=db_url, plugins=[two_factor()])
    alice = enable_totp(auth, clock, "alice@example.com")
    code = alice.backup_codes[3]
    browsers = [challenged(auth, alice.email) for _ in range(4)]
    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def use(i: int) -> None:
        barrier.wait()
        statuses.append(verify(browsers[i], "backup", code).status)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 401, 409}
    res = verify(challenged(auth, alice.email), "backup", code)
    assert res.json["code"] == "INVALID_BACKUP_CODE"


def test_emailed_codes_are_single_use_limited_and_expire(auth: AuthKit, outbox: Outbox,
                                                         clock: Clock) -> None:
    alice = enable_totp(auth, clock, "alice@example.com")
    browser = challenged(auth, alice.email)
    browser.post(f"{API}/two-factor/send-otp", json={})
    code = outbox.last(alice.email)
    for _ in range(5):
        assert verify(browser, "otp", "999999" if code != "999999" else "111111").status == 401
    res = verify(browser, "otp", code)
    assert (res.status, res.json["code"]) == (400, "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE")
    # A new code works once.
    browser.post(f"{API}/two-factor/send-otp")
    code = outbox.last(alice.email)
    assert verify(browser, "otp", code).status == 200
    again = challenged(auth, alice.email)
    assert verify(again, "otp", code).json["code"] == "OTP_HAS_EXPIRED"
    # Three minutes, then it is gone.
    again.post(f"{API}/two-factor/send-otp", json={})
    clock.advance(181)
    res = verify(again, "otp", outbox.last(alice.email))
    assert (res.status, res.json["code"]) == (400, "OTP_HAS_EXPIRED")


def test_a_challenge_cannot_be_replayed_moved_or_forged(auth: AuthKit, clock: Clock) -> None:
    alice = enable_totp(auth, clock, "alice@example.com")
    bob = enable_totp(auth, clock, "bob@example.com")
    browser = challenged(auth, alice.email)
    cookie = browser.jar["better-auth.two_factor"]
    # Bob's valid code does not answer alice's challenge.
    assert verify(browser, "totp", bob.code(clock)).json["code"] == "INVALID_CODE"
    assert verify(browser, "totp", alice.code(clock)).status == 200
    # The used challenge is worth nothing afterwards.
    replay = make_client("wsgi", auth)
    replay.jar["better-auth.two_factor"] = cookie
    res = verify(replay, "totp", alice.code(clock))
    assert (res.status, res.json["code"]) == (401, "INVALID_TWO_FACTOR_COOKIE")
    # An unsigned or re-signed value is no challenge.
    forged = make_client("wsgi", auth)
    forged.jar["better-auth.two_factor"] = cookie.split(".")[0]
    assert verify(forged, "totp", alice.code(clock)).json["code"] == "INVALID_TWO_FACTOR_COOKIE"
    # A challenge lives ten minutes.
    late = challenged(auth, alice.email)
    clock.advance(601)
    assert verify(late, "totp", alice.code(clock)).json["code"] == "INVALID_TWO_FACTOR_COOKIE"


def test_a_trusted_device_is_trusted_for_its_user_only(auth: AuthKit, clock: Clock) -> None:
    alice = enable_totp(auth, clock, "alice@example.com")
    enable_totp(auth, clock, "bob@example.com")
    browser = challenged(auth, alice.email)
    assert verify(browser, "totp", alice.code(clock), trustDevice=True).status == 200
    trust = {"better-auth.trust_device": browser.jar["better-auth.trust_device"]}
    # Bob signing in on alice's trusted browser is still challenged, and the cookie goes.
    shared = make_client("wsgi", auth)
    shared.jar.update(trust)
    res = shared.post(f"{API}/sign-in/email",
                      json={"email": "bob@example.com", "password": PASSWORD})
    assert res.json == {"twoFactorRedirect": True, "twoFactorMethods": ["totp", "otp"]}
    assert res.cookie("better-auth.trust_device").startswith("better-auth.trust_device=;")
    # Alice on it is not; her cookie is rotated, so the copy taken above is spent.
    mine = make_client("wsgi", auth)
    mine.jar.update(trust)
    res = mine.post(f"{API}/sign-in/email", json={"email": alice.email, "password": PASSWORD})
    assert "token" in res.json
    copy = make_client("wsgi", auth)
    copy.jar.update(trust)
    res = copy.post(f"{API}/sign-in/email", json={"email": alice.email, "password": PASSWORD})
    assert res.json.get("twoFactorRedirect") is True
    # After 30 days the rotated cookie no longer skips the second factor either.
    clock.advance(30 * 24 * 3600 + 1)
    res = mine.post(f"{API}/sign-in/email", json={"email": alice.email, "password": PASSWORD})
    assert res.json.get("twoFactorRedirect") is True


def test_nothing_of_a_session_leaks_before_the_second_factor(make_auth: MakeAuth,
                                                             clock: Clock) -> None:
    auth = make_auth(plugins=[two_factor()],
                     session={"cookie_cache": {"enabled": True, "max_age": 300}})
    alice = enable_totp(auth, clock, "alice@example.com")
    before = auth.storage.count_rows("session")
    browser = make_client("wsgi", auth)
    res = browser.post(f"{API}/sign-in/email", json={"email": alice.email,
                                                    "password": PASSWORD})
    for name in ("better-auth.session_token", "better-auth.session_data"):
        line = res.cookie(name)
        assert line is not None and line.startswith(f"{name}=;"), res.set_cookies
    assert set(browser.jar) == {"better-auth.two_factor"}
    assert auth.storage.count_rows("session") == before
    assert browser.get(f"{API}/get-session").json is None


def test_changing_2fa_needs_a_session_the_store_still_has(make_auth: MakeAuth,
                                                          clock: Clock) -> None:
    auth = make_auth(plugins=[two_factor()],
                     session={"cookie_cache": {"enabled": True, "max_age": 300}})
    client = make_client("wsgi", auth)
    sign_up(client, email="carol@example.com", password=PASSWORD)
    auth.storage.delete_rows("session", {})  # revoked elsewhere; the cached copy lives on
    for path in ("enable", "disable", "get-totp-uri", "generate-backup-codes"):
        res = client.post(f"{API}/two-factor/{path}", json={"password": PASSWORD})
        assert (res.status, res.json["code"]) == (401, "UNAUTHORIZED"), path


def test_two_factor_paths_are_rate_limited(make_auth: MakeAuth, clock: Clock) -> None:
    auth = make_auth(plugins=[two_factor()], rate_limit={"enabled": True})
    alice = enable_totp(auth, clock, "alice@example.com")
    clock.advance(11)  # the set-up's own verify-totp is out of the window
    browser = challenged(auth, alice.email)
    assert [verify(browser, "totp", WRONG).status for _ in range(3)] == [401, 401, 401]
    limited = verify(browser, "totp", alice.code(clock))
    assert limited.status == 429 and limited.header("x-retry-after") is not None
    clock.advance(11)
    assert verify(browser, "totp", alice.code(clock)).status == 200


def test_username_sign_in_is_intercepted_too(make_auth: MakeAuth, clock: Clock) -> None:
    auth = make_auth(plugins=[username(), two_factor()])
    client = make_client("wsgi", auth)
    sign_up(client, email="erin@example.com", password=PASSWORD, username="erin_u")
    res = client.post(f"{API}/two-factor/enable", json={"password": PASSWORD})
    secret = secret_of(res.json["totpURI"])
    assert verify(client, "totp", totp.code_at(secret, clock.now)).status == 200
    browser = make_client("wsgi", auth)
    res = browser.post(f"{API}/sign-in/username", json={"username": "erin_u",
                                                        "password": PASSWORD})
    assert res.json == {"twoFactorRedirect": True, "twoFactorMethods": ["totp"]}
    assert verify(browser, "totp", totp.code_at(secret, clock.now)).status == 200
