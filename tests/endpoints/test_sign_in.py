"""POST /sign-in/email over WSGI and ASGI (docs/wire-compatibility.md#sign-in,
docs/security.md#credentials, docs/security.md#sessions, docs/security.md#account-enumeration)."""

import re

import bcrypt
import pytest

from authkit.models import Account
from authkit.passwords import BcryptHasher
from authkit.plugins.admin import admin
from authkit.tokens import generate_id

from ..support.clients import make_client, parse_set_cookie
from ..support.fixtures import sign_up

URL = "/api/auth/sign-in/email"
PW = "correct-horse-1"


def sign_in(client, email="alice@example.com", password=PW, **extra):
    return client.post(URL, json={"email": email, "password": password, **extra})


def test_sign_in_success_shape_and_cookie(client):
    sign_up(client)
    client.jar.clear()
    res = sign_in(client)
    assert res.status == 200
    assert list(res.json) == ["redirect", "token", "user"]
    assert res.json["redirect"] is False
    assert parse_set_cookie(res.cookie("better-auth.session_token"))["max-age"] == "604800"
    assert client.get("/api/auth/get-session").json["user"]["email"] == "alice@example.com"


def test_sign_in_is_case_insensitive_on_email(client):
    sign_up(client)
    assert sign_in(client, email="ALICE@EXAMPLE.COM").status == 200


def test_callback_url_sets_location_but_stays_200(client):
    sign_up(client)
    res = sign_in(client, callbackURL="/dashboard")
    assert res.status == 200
    assert res.json["redirect"] is True and res.json["url"] == "/dashboard"
    assert res.header("location") == "/dashboard"


def test_untrusted_callback_url_is_403(client):
    sign_up(client)
    res = sign_in(client, callbackURL="https://evil.com/x")
    assert res.status == 403 and res.json["code"] == "INVALID_CALLBACK_URL"


class CountingHasher(BcryptHasher):
    """A spy around the real hasher: counts the expensive calls (docs/security.md#credentials)."""

    def __init__(self):
        super().__init__(rounds=4)
        self.calls = 0

    def verify(self, password, stored):
        # dummy_verify runs through verify too, so this counts every path once.
        self.calls += 1
        return super().verify(password, stored)

    def hash(self, password):
        self.calls += 1
        return super().hash(password)


def test_failures_are_indistinguishable_and_cost_one_hash(kind, make_auth):  # docs/security.md#credentials
    """(a) unknown email, (b) alice with a wrong password, (c) a user that root made with
    POST /admin/create-user and no password, (d) that user with password "" (and a user
    whose stored password is empty): the same 401 body and headers but Date, one hash each."""
    hasher = CountingHasher()
    auth = make_auth(email_and_password={"password_hasher": hasher}, plugins=[admin()])
    client = make_client(kind, auth)
    sign_up(client)
    client.jar.clear()
    auth.api.create_user(body={"email": "root@example.com", "password": PW, "name": "Root",
                               "role": "admin"})
    root = make_client(kind, auth)
    assert sign_in(root, email="root@example.com").status == 200
    res = root.post("/api/auth/admin/create-user",
                    json={"email": "nopass@example.com", "name": "No Password"})
    assert res.status == 200, res.body
    nopass = auth.storage.get_user_by_email("nopass@example.com")
    assert nopass is not None and nopass.id == res.json["user"]["id"]
    assert auth.storage.get_credential_account(nopass.id) is None
    # Also a credential account whose stored password is empty (a blank, not an unusable
    # password: django-allauth 65.11.1).
    now = auth.now()
    user = auth.storage.create_user(id=generate_id(), name="N", email="empty@example.com",
                                    email_verified=False, image=None, created_at=now,
                                    updated_at=now)
    auth.storage.create_account(Account(
        id=generate_id(), account_id=user.id, provider_id="credential",
        user_id=user.id, password="", created_at=now, updated_at=now))
    hasher.dummy_verify("warm-up")  # the lazily built dummy hash is start-up work
    cases = [("ghost@example.com", PW), ("alice@example.com", "wrong-password"),
             ("nopass@example.com", PW), ("nopass@example.com", ""),
             ("empty@example.com", ""), ("empty@example.com", PW)]
    bodies, header_sets = set(), set()
    for email, password in cases:
        hasher.calls = 0
        res = sign_in(client, email=email, password=password)
        assert res.status == 401, (email, password, res.body)
        assert hasher.calls == 1, (email, password)
        bodies.add(res.body)
        header_sets.add(tuple(sorted((k.lower(), v) for k, v in res.headers
                                     if k.lower() not in ("date",))))
    assert bodies == {b'{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}'}
    assert len(header_sets) == 1
    assert client.jar == {}


def observable(res):
    """All an attacker sees of one answer, but the Date header."""
    headers = sorted((k.lower(), v) for k, v in res.headers if k.lower() != "date")
    return res.status, res.body, len(res.body), bool(res.set_cookies), headers


def test_rate_limit_treats_known_and_unknown_emails_alike(kind, make_auth, clock):  # docs/security.md#account-enumeration
    """Wrong passwords for alice and for a stranger, one client each, step by step on the
    controlled clock: the same answer at every step, 429 from the same request on, and
    the same moment the window lets them through again."""
    auth = make_auth(rate_limit={"enabled": True})
    sign_up(make_client(kind, auth, peer="192.0.2.10"))
    known = make_client(kind, auth, peer="198.51.100.1")
    unknown = make_client(kind, auth, peer="198.51.100.2")
    statuses = []
    for step in range(14):
        a = sign_in(known, password="wrong-password")
        b = sign_in(unknown, email="ghost@example.com", password="wrong-password")
        assert observable(a) == observable(b), step
        statuses.append(a.status)
        clock.advance(1)
    # Three per 10 s; the window reopens 10 s after the last allowed try, for both at once.
    assert statuses == [401] * 3 + [429] * 9 + [401] * 2


def test_the_bucket_does_not_depend_on_the_email(kind, make_auth):  # docs/security.md#account-enumeration
    auth = make_auth(rate_limit={"enabled": True})
    sign_up(make_client(kind, auth, peer="192.0.2.10"))
    client = make_client(kind, auth)
    emails = ["alice@example.com", "ghost@example.com"] * 2
    assert [sign_in(client, email=e, password="wrong-password").status
            for e in emails] == [401, 401, 401, 429]


def test_dummy_work_uses_configured_algorithm(kind, make_auth, monkeypatch):  # docs/security.md#credentials
    auth = make_auth(email_and_password={"password_hasher": BcryptHasher(rounds=5)})
    client = make_client(kind, auth)
    costs = []
    real = bcrypt.hashpw

    def spy(pw, salt):
        costs.append(salt[:7])
        return real(pw, salt)

    monkeypatch.setattr(bcrypt, "hashpw", spy)
    assert sign_in(client, email="ghost@example.com").status == 401
    # The bcrypt-sha256 verify re-hashes at the configured cost; no scrypt ran.
    assert costs and all(c == b"$2b$05$" for c in costs)


def test_rehash_on_successful_sign_in(kind, make_auth):
    auth = make_auth()
    client = make_client(kind, auth)
    res = sign_up(client)
    user_id = res.json["user"]["id"]
    account = auth.storage.get_credential_account(user_id)
    legacy = bcrypt.hashpw(PW.encode(), bcrypt.gensalt(4)).decode()
    auth.storage.update_account(account.id, {"password": legacy})
    assert sign_in(client, password="wrong-password").status == 401
    assert auth.storage.get_credential_account(user_id).password == legacy
    assert sign_in(client).status == 200
    stored = auth.storage.get_credential_account(user_id).password
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", stored)


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com"])
def test_malformed_email_is_invalid_email(client, email):
    res = sign_in(client, email=email)
    assert res.status == 400 and res.json["code"] == "INVALID_EMAIL"


def test_too_long_password_is_400_without_min_check(client):
    assert sign_in(client, password="x" * 129).json["code"] == "PASSWORD_TOO_LONG"
    assert sign_in(client, password="x").status == 401


def test_unverified_user_is_403_when_verification_required(kind, make_auth):
    auth = make_auth(email_and_password={"require_email_verification": True})
    client = make_client(kind, auth)
    client.post("/api/auth/sign-up/email", json={"email": "u@example.com", "password": PW,
                                                 "name": "U"})
    res = sign_in(client, email="u@example.com")
    assert res.status == 403 and res.json["code"] == "EMAIL_NOT_VERIFIED"
    assert not res.set_cookies  # docs/security.md#sessions


def test_disabled(kind, make_auth):
    client = make_client(kind, make_auth(email_and_password={"enabled": False}))
    res = sign_in(client)
    assert res.status == 400 and res.json["code"] == "EMAIL_PASSWORD_DISABLED"


def test_fixation_new_token_every_sign_in(client):  # docs/security.md#sessions
    attacker = sign_up(client, email="att@example.com").json["token"]
    planted = dict(client.jar)
    victim_client_jar = dict(planted)
    sign_up(client, email="victim@example.com")
    client.jar.clear()
    client.jar.update(victim_client_jar)
    res = sign_in(client, email="victim@example.com")
    assert res.status == 200 and res.json["token"] != attacker
    # The attacker's session is untouched and still the attacker's.
    client.jar.clear()
    client.jar.update(planted)
    assert client.get("/api/auth/get-session").json["user"]["email"] == "att@example.com"


def test_forged_unsigned_cookie_is_replaced(client):
    sign_up(client)
    client.jar.clear()
    client.jar["better-auth.session_token"] = "A" * 32
    res = sign_in(client)
    assert res.status == 200 and res.json["token"] != "A" * 32


def test_vetoed_session_is_401(kind, make_auth):
    auth = make_auth(database_hooks={"session": {"create": {"before": lambda d, c: False}}})
    client = make_client(kind, auth)
    res = client.post("/api/auth/sign-up/email", json={"email": "x@example.com", "password": PW,
                                                       "name": "X"})
    assert res.status == 400 and res.json["code"] == "FAILED_TO_CREATE_SESSION"
    res = sign_in(client, email="x@example.com")
    assert res.status == 401 and res.json["code"] == "FAILED_TO_CREATE_SESSION"
    assert not res.set_cookies  # docs/security.md#sessions


def test_cross_site_navigation_sign_in_is_blocked(client):  # docs/wire-compatibility.md#origin-check B
    sign_up(client)
    client.jar.clear()
    res = client.post(URL, json={"email": "alice@example.com", "password": PW}, origin=False,
                      headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert res.status == 403
    assert res.json == {"message": "Cross-site navigation login blocked. This request appears "
                        "to be a CSRF attack.", "code": "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"}
    assert not res.set_cookies


def test_untrusted_origin_sign_in_without_cookie_is_invalid_origin(client):  # docs/wire-compatibility.md#origin-check B
    sign_up(client)
    client.jar.clear()
    res = client.post(URL, json={"email": "alice@example.com", "password": PW},
                      headers={"Origin": "https://evil.com"})
    assert res.status == 403
    assert res.json == {"message": "Invalid origin", "code": "INVALID_ORIGIN"}
    assert not res.set_cookies


def test_sign_in_with_a_cookie_and_no_origin_is_missing_or_null_origin(client):  # docs/wire-compatibility.md#origin-check A1
    sign_up(client)
    for origin in (None, "null"):
        res = client.post(URL, json={"email": "alice@example.com", "password": PW},
                          origin=False, headers={"Origin": origin})
        assert res.status == 403, origin
        assert res.json == {"message": "Missing or null Origin", "code": "MISSING_OR_NULL_ORIGIN"}
        assert not res.set_cookies
