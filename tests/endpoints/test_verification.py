"""POST /send-verification-email and GET /verify-email over WSGI and ASGI
(docs/wire-compatibility.md#send-verification-email, docs/wire-compatibility.md#verify-email,
docs/wire-compatibility.md#corrections; docs/security.md#redirects,
docs/security.md#emailed-tokens)."""

import base64
import hashlib
import hmac
import json
import logging
import time

import jwt
import pytest

from authkit.endpoints import verification
from authkit.errors import APIError, Redirect

from ..support.clients import make_client
from ..support.fixtures import SECRET, sign_up
from .mailbox import Mailbox

SEND = "/api/auth/send-verification-email"
VERIFY = "/api/auth/verify-email"
ALICE = "alice@example.com"


@pytest.fixture(autouse=True)
def no_floor(monkeypatch):
    # The 500 ms floor has its own test; elsewhere it would only slow the suite down.
    monkeypatch.setattr(verification, "MINIMUM_UNAUTHENTICATED_SECONDS", 0)


@pytest.fixture
def mailbox():
    return Mailbox()


@pytest.fixture
def setup(kind, make_auth, mailbox):
    def build(**options):
        opts = mailbox.options()
        for key, value in options.items():
            opts[key] = {**opts.get(key, {}), **value} if isinstance(value, dict) else value
        auth = make_auth(**opts)
        return auth, make_client(kind, auth)

    return build


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header, payload, key=SECRET, digest=hashlib.sha256) -> str:
    """A JWT with any header, HMAC-signed by hand (PyJWT would refuse some of these)."""
    signing_input = f"{b64(header)}.{b64(payload)}"
    sig = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(sig)}"


def claims(auth, user_id, email=ALICE, **extra):
    now = int(auth.now().timestamp())
    return {"email": email, "userId": user_id, "iat": now, "exp": now + 3600, **extra}


def user_id(auth, email=ALICE):
    return auth.storage.get_user_by_email(email).id


# -- send-verification-email ---------------------------------------------------------------
def test_not_enabled_is_400(kind, make_auth):
    client = make_client(kind, make_auth())
    sign_up(client)
    for use_jar in (True, False):
        res = client.post(SEND, json={"email": ALICE}, use_jar=use_jar)
        assert res.status == 400 and res.json["code"] == "VERIFICATION_EMAIL_NOT_ENABLED"


def test_signed_in_sends_link_with_callback(setup, mailbox):
    auth, client = setup()
    sign_up(client)
    res = client.post(SEND, json={"email": "Alice@Example.com", "callbackURL": "/verified"})
    assert res.status == 200 and res.json == {"status": True}
    sent = mailbox.last("verify-email", ALICE)
    assert sent.url == (f"http://localhost:3000/api/auth/verify-email?token={sent.token}"
                        "&callbackURL=%2Fverified")
    assert sent.user.id == user_id(auth)


def test_signed_in_email_mismatch_and_already_verified(setup, mailbox):
    auth, client = setup()
    sign_up(client)
    res = client.post(SEND, json={"email": "bob@example.com"})
    assert res.status == 400 and res.json == {"message": "Email mismatch",
                                              "code": "EMAIL_MISMATCH"}
    auth.db.update_user(None, user_id(auth), {"emailVerified": True})
    res = client.post(SEND, json={"email": ALICE})
    assert res.status == 400 and res.json["code"] == "EMAIL_ALREADY_VERIFIED"
    assert mailbox.sent == []


def test_invalid_email_is_validation_error(setup):
    _, client = setup()
    res = client.post(SEND, json={"email": "nope"})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"


def test_untrusted_callback_url_is_403_and_sends_nothing(setup, mailbox):  # docs/security.md#redirects
    _, client = setup()
    sign_up(client)
    for url in ("https://evil.com/x", "//evil.com", "javascript:alert(1)"):
        res = client.post(SEND, json={"email": ALICE, "callbackURL": url})
        assert res.status == 403 and res.json["code"] == "INVALID_CALLBACK_URL", url
    assert mailbox.sent == []


def test_signed_out_answers_are_identical(setup, mailbox):  # docs/wire-compatibility.md#enumeration item 4
    auth, client = setup()
    sign_up(client, email="verified@example.com")
    auth.db.update_user(None, user_id(auth, "verified@example.com"), {"emailVerified": True})
    sign_up(client)
    client.jar.clear()
    answers = set()
    for email in ("ghost@example.com", "verified@example.com", ALICE):
        res = client.post(SEND, json={"email": email})
        answers.add((res.status, res.body, tuple(sorted((k.lower(), v) for k, v in res.headers
                                                         if k.lower() != "date"))))
    assert len(answers) == 1 and answers.pop()[:2] == (200, b'{"status":true}')
    # Only the address waiting for verification got mail (sign-up sent none: not required).
    assert [s.email for s in mailbox.sent] == [ALICE]


def test_signed_out_floor_is_500_ms(setup, monkeypatch):
    monkeypatch.setattr(verification, "MINIMUM_UNAUTHENTICATED_SECONDS", 0.5)
    _, client = setup()
    for email in ("ghost@example.com",):
        started = time.monotonic()  # the real clock: the test clock never moves by itself
        assert client.post(SEND, json={"email": email}).status == 200
        assert time.monotonic() - started >= 0.5


def test_failing_sender_is_logged_not_answered(kind, make_auth, caplog):  # docs/security.md#outages
    tokens = []

    def broken(*, user, url, token):
        tokens.append(token)
        raise ConnectionRefusedError(f"smtp down while sending {url}")

    auth = make_auth(email_verification={"send_verification_email": broken})
    client = make_client(kind, auth)
    sign_up(client)
    with caplog.at_level(logging.DEBUG):
        assert client.post(SEND, json={"email": ALICE}).json == {"status": True}
        client.jar.clear()
        assert client.post(SEND, json={"email": ALICE}).json == {"status": True}
    assert len(tokens) == 2
    failures = [r for r in caplog.records if "was not sent" in r.getMessage()]
    assert len(failures) == 2 and "ConnectionRefusedError" in failures[0].getMessage()
    assert not any(t in r.getMessage() for r in caplog.records for t in tokens)


# -- verify-email ----------------------------------------------------------------------------
def token_for(client, mailbox, email=ALICE):
    client.post(SEND, json={"email": email})
    return mailbox.last("verify-email", email).token


def test_verify_marks_user_verified(setup, mailbox):
    auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    res = client.get(VERIFY, query={"token": token}, use_jar=False)
    assert res.status == 200 and res.json == {"status": True, "user": None}
    assert auth.storage.get_user_by_email(ALICE).email_verified is True
    assert res.header("referrer-policy") == "no-referrer"  # docs/security.md#emailed-tokens
    assert res.header("cache-control") == "no-store"
    # Stateless token: verifying again is fine and changes nothing
    # (docs/wire-compatibility.md#corrections).
    again = client.get(VERIFY, query={"token": token}, use_jar=False)
    assert again.json == {"status": True, "user": None}


def test_verify_redirects_to_callback(setup, mailbox):
    _, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    res = client.get(VERIFY, query={"token": token, "callbackURL": "/verified?x=1"})
    assert res.status == 302 and res.header("location") == "/verified?x=1"
    assert res.body == b"" and res.header("referrer-policy") == "no-referrer"


@pytest.mark.parametrize("callback, expected", [
    (None, None),
    ("/cb", "/cb?error=INVALID_TOKEN"),
    ("/cb?x=1", "/cb?x=1&error=INVALID_TOKEN"),
    ("http://localhost:3000/cb#frag", "http://localhost:3000/cb?error=INVALID_TOKEN#frag"),
])
def test_bad_token_401_or_redirect_with_error(setup, callback, expected):
    _, client = setup()
    query = {"token": "not-a-jwt"}
    if callback:
        query["callbackURL"] = callback
    res = client.get(VERIFY, query=query)
    if expected is None:
        assert res.status == 401 and res.json == {"message": "Invalid token",
                                                  "code": "INVALID_TOKEN"}
    else:
        assert res.status == 302 and res.header("location") == expected
    assert res.header("cache-control") == "no-store"


def test_untrusted_callback_is_403_before_the_token_is_used(setup, mailbox):  # docs/security.md#redirects
    auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    for url in ("https://evil.com", "//evil.com/x", "/\\evil.com",
                "https://localhost:3000.evil.com"):
        res = client.get(VERIFY, query={"token": token, "callbackURL": url})
        assert res.status == 403 and res.json["code"] == "INVALID_CALLBACK_URL", url
    assert auth.storage.get_user_by_email(ALICE).email_verified is False


def test_missing_token_is_validation_error(setup):
    _, client = setup()
    res = client.get(VERIFY)
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"


def test_expiry_uses_the_configured_clock(setup, mailbox, clock):  # docs/security.md#emailed-tokens
    auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    clock.advance(3599)
    uid = user_id(auth)
    ok = client.get(VERIFY, query={"token": forge({"alg": "HS256"}, claims(auth, uid))})
    assert ok.status == 200
    clock.advance(1)
    res = client.get(VERIFY, query={"token": token})
    assert res.status == 401 and res.json == {"message": "Token expired", "code": "TOKEN_EXPIRED"}
    res = client.get(VERIFY, query={"token": token, "callbackURL": "/done"})
    assert res.header("location") == "/done?error=TOKEN_EXPIRED"


def test_unknown_user_and_foreign_user_id(setup, mailbox):  # docs/wire-compatibility.md#corrections, docs/security.md#emailed-tokens
    auth, client = setup()
    sign_up(client)
    uid = user_id(auth)
    ghost = forge({"alg": "HS256"}, claims(auth, uid, email="ghost@example.com"))
    res = client.get(VERIFY, query={"token": ghost})
    assert res.status == 401 and res.json["code"] == "USER_NOT_FOUND"
    foreign = forge({"alg": "HS256"}, claims(auth, "someone-else"))
    res = client.get(VERIFY, query={"token": foreign})
    assert res.status == 401 and res.json["code"] == "INVALID_TOKEN"


def test_token_of_deleted_user_is_user_not_found(setup, mailbox):  # docs/security.md#emailed-tokens
    auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    auth.db.delete_user(None, auth.storage.get_user_by_id(user_id(auth)))
    res = client.get(VERIFY, query={"token": token})
    assert res.status == 401 and res.json["code"] == "USER_NOT_FOUND"


def test_old_address_token_does_not_verify_the_new_one(setup, mailbox):  # docs/security.md#emailed-tokens
    auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    auth.db.update_user(None, user_id(auth), {"email": "alice2@example.com"})
    res = client.get(VERIFY, query={"token": token})
    assert res.status == 401 and res.json["code"] == "USER_NOT_FOUND"
    assert auth.storage.get_user_by_email("alice2@example.com").email_verified is False


def test_link_opened_by_someone_else(kind, setup, mailbox):  # docs/security.md#emailed-tokens
    auth, alice = setup(email_verification={"auto_sign_in_after_verification": True})
    sign_up(alice)
    token = token_for(alice, mailbox)
    bob = make_client(kind, auth)
    sign_up(bob, email="bob@example.com", name="Bob")
    bob_cookie = dict(bob.jar)
    res = bob.get(VERIFY, query={"token": token})
    assert res.status == 200
    assert auth.storage.get_user_by_email(ALICE).email_verified is True
    assert res.set_cookies == [] and bob.jar == bob_cookie  # bob stays bob
    assert bob.get("/api/auth/get-session").json["user"]["email"] == "bob@example.com"
    assert auth.storage.get_user_by_email("bob@example.com").email_verified is False


def test_auto_sign_in_after_verification(kind, setup, mailbox):
    auth, client = setup(email_verification={"auto_sign_in_after_verification": True})
    sign_up(client)
    token = token_for(client, mailbox)
    browser = make_client(kind, auth)  # signed out: a new session for the link's owner
    res = browser.get(VERIFY, query={"token": token})
    assert res.status == 200 and res.cookie("better-auth.session_token")
    me = browser.get("/api/auth/get-session").json
    assert me["user"]["email"] == ALICE and me["user"]["emailVerified"] is True
    # The owner's own browser keeps its session; its cookie is set again.
    auth.db.update_user(None, user_id(auth), {"emailVerified": False})
    before = client.jar["better-auth.session_token"]
    res = client.get(VERIFY, query={"token": token})
    assert res.status == 200 and client.jar["better-auth.session_token"] == before
    assert res.cookie("better-auth.session_token")


def test_before_and_after_hooks(setup, mailbox):
    seen = []
    _auth, client = setup(email_verification={
        "before_email_verification": lambda *, user: seen.append(("before", user.email_verified)),
        "after_email_verification": lambda *, user: seen.append(("after", user.email_verified)),
    })
    sign_up(client)
    client.get(VERIFY, query={"token": token_for(client, mailbox)})
    assert seen == [("before", False), ("after", True)]


def test_before_hook_can_refuse(setup, mailbox):
    def refuse(*, user):
        raise APIError(403, "NOT_ALLOWED", "not now")

    auth, client = setup(email_verification={"before_email_verification": refuse})
    sign_up(client)
    res = client.get(VERIFY, query={"token": token_for(client, mailbox)})
    assert res.status == 403 and res.json["code"] == "NOT_ALLOWED"
    assert auth.storage.get_user_by_email(ALICE).email_verified is False


# -- docs/security.md#emailed-tokens: only our HS256 tokens
# ---------------------------------------------------------------
def bad_tokens(auth, uid):
    good = claims(auth, uid)
    now = good["iat"]
    return {
        "alg none": f"{b64({'alg': 'none'})}.{b64(good)}.",
        "HS512": forge({"alg": "HS512"}, good, digest=hashlib.sha512),
        "RS256 keyed with the secret": forge({"alg": "RS256"}, good),
        "kid header": forge({"alg": "HS256", "kid": "../../key"}, good),
        "jku header": forge({"alg": "HS256", "jku": "https://evil.com/jwks"}, good),
        "crit header": forge({"alg": "HS256", "crit": ["exp"]}, good),
        "typ not JWT": forge({"alg": "HS256", "typ": "at+jwt"}, good),
        "other secret": forge({"alg": "HS256"}, good, key="another-secret-0123456789-abcdefghij"),
        "nbf in the future": forge({"alg": "HS256"}, {**good, "nbf": now + 600}),
        "iat in the future": forge({"alg": "HS256"}, {**good, "iat": now + 600}),
        "no exp": forge({"alg": "HS256"}, {k: v for k, v in good.items() if k != "exp"}),
        "string exp": forge({"alg": "HS256"}, {**good, "exp": str(now + 600)}),
        "no userId": forge({"alg": "HS256"}, {k: v for k, v in good.items() if k != "userId"}),
        "bad email": forge({"alg": "HS256"}, {**good, "email": "not-an-email"}),
        "change step without target": forge(
            {"alg": "HS256"}, {**good, "requestType": "change-email-verification"}),
        "target without step": forge({"alg": "HS256"}, {**good, "updateTo": "x@example.com"}),
        "unknown step": forge({"alg": "HS256"}, {**good, "updateTo": "x@example.com",
                                                  "requestType": "reset-password"}),
        "payload not an object": forge({"alg": "HS256"}, ["email", ALICE]),
        "reset token": "a" * 24,
        "delete token": "0123456789abcdefghijklmnopqrstuv",
        "three dots": "a.b.c",
        "huge": "a" * 10_000,
    }


def test_only_hs256_with_our_secret_verifies(setup, mailbox):
    auth, client = setup()
    sign_up(client)
    uid = user_id(auth)
    for name, token in bad_tokens(auth, uid).items():
        res = client.get(VERIFY, query={"token": token})
        assert (res.status, res.json["code"]) == (401, "INVALID_TOKEN"), name
    assert auth.storage.get_user_by_email(ALICE).email_verified is False
    expired = forge({"alg": "HS256"}, {**claims(auth, uid), "exp": claims(auth, uid)["iat"] - 1})
    res = client.get(VERIFY, query={"token": expired})
    assert (res.status, res.json["code"]) == (401, "TOKEN_EXPIRED")
    # The same claims, correctly signed, do verify: the failures above are the header/claims.
    ok = client.get(VERIFY, query={"token": forge({"alg": "HS256", "typ": "JWT"},
                                                  claims(auth, uid))})
    assert ok.status == 200


def test_rotated_secret_still_verifies(kind, make_auth, mailbox):
    old = make_auth(**mailbox.options())
    client = make_client(kind, old)
    sign_up(client)
    token = token_for(client, mailbox)
    rotated = make_auth(secret=["a-brand-new-secret-0123456789-0123456789", SECRET],
                        database=str(old.storage.engine.url), **mailbox.options())
    res = make_client(kind, rotated).get(VERIFY, query={"token": token})
    assert res.status == 200


def test_token_is_better_auth_shaped(setup, mailbox):
    _auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    assert jwt.get_unverified_header(token) == {"alg": "HS256"}
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert list(payload) == ["email", "userId", "iat", "exp"]
    assert payload["exp"] - payload["iat"] == 3600 and payload["email"] == ALICE


# -- sign-up / sign-in integration ---------------------------------------------------------------
def test_send_on_sign_up_and_required_verification(setup, mailbox):
    _auth, client = setup(email_and_password={"require_email_verification": True})
    res = client.post("/api/auth/sign-up/email", json={
        "email": ALICE, "password": "correct-horse-1", "name": "A", "callbackURL": "/welcome"})
    assert res.status == 200 and res.json["token"] is None
    sent = mailbox.last("verify-email", ALICE)
    assert sent.query["callbackURL"] == ["/welcome"]
    sign_in = {"email": ALICE, "password": "correct-horse-1"}
    res = client.post("/api/auth/sign-in/email", json=sign_in)
    assert res.status == 403 and res.json["code"] == "EMAIL_NOT_VERIFIED"
    assert len(mailbox.of("verify-email")) == 1  # send_on_sign_in is off
    res = client.get(sent.path_and_query)
    assert res.status == 302 and res.header("location") == "/welcome"
    assert client.post("/api/auth/sign-in/email", json=sign_in).status == 200


def test_send_on_sign_in(setup, mailbox):
    _, client = setup(email_and_password={"require_email_verification": True},
                      email_verification={"send_on_sign_in": True, "send_on_sign_up": False})
    sign_up(client)
    assert mailbox.sent == []
    res = client.post("/api/auth/sign-in/email",
                      json={"email": ALICE, "password": "correct-horse-1"})
    assert res.status == 403 and len(mailbox.of("verify-email", ALICE)) == 1


# -- auth.api -----------------------------------------------------------------------------------
def test_api_calls(setup, mailbox):
    auth, client = setup()
    sign_up(client)
    token = token_for(client, mailbox)
    result = auth.api.verify_email(query={"token": token})
    assert result.to_json() == {"status": True, "user": None}
    with pytest.raises(Redirect) as info:
        auth.api.verify_email(query={"token": token, "callbackURL": "/x"})
    assert info.value.location == "/x"
    with pytest.raises(APIError) as err:
        auth.api.verify_email(query={"token": "junk"})
    assert err.value.code == "INVALID_TOKEN"
    assert auth.api.send_verification_email(body={"email": ALICE}).to_json() == {"status": True}


def test_auto_sign_in_vetoed_is_500_failed_to_create_session(kind, make_auth, mailbox):
    opts = mailbox.options()
    opts["email_verification"]["auto_sign_in_after_verification"] = True
    veto = {"on": False}
    auth = make_auth(database_hooks={"session": {"create": {
        "before": lambda data, ctx: False if veto["on"] else None}}}, **opts)
    client = make_client(kind, auth)
    sign_up(client)
    token = token_for(client, mailbox)
    veto["on"] = True
    res = client.get(VERIFY, query={"token": token}, use_jar=False)
    assert res.status == 500 and res.json["code"] == "FAILED_TO_CREATE_SESSION"


def test_hooks_get_the_request_when_they_take_it(setup, mailbox):
    seen = []
    _, client = setup(email_verification={
        "after_email_verification": lambda *, user, request: seen.append(request.path)})
    sign_up(client)
    client.get(VERIFY, query={"token": token_for(client, mailbox)})
    assert seen == ["/api/auth/verify-email"]
