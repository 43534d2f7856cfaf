"""POST /delete-user and GET /delete-user/callback over WSGI and ASGI
(docs/wire-compatibility.md#delete-user, docs/wire-compatibility.md#corrections;
docs/security.md#sessions, docs/security.md#emailed-tokens, docs/security.md#concurrency)."""

import logging
import re
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from authkit.errors import APIError
from authkit.settings import from_env

from ..support.clients import make_client, parse_set_cookie
from ..support.fixtures import sign_up

BASE = "/api/auth"
GS = f"{BASE}/get-session"
DELETE = f"{BASE}/delete-user"
CALLBACK = f"{BASE}/delete-user/callback"
NAME = "better-auth.session_token"
PW = "correct-horse-1"
DELETED = {"success": True, "message": "User deleted"}
INVALID_TOKEN = {"message": "Invalid token", "code": "INVALID_TOKEN"}


class Outbox:
    """A ``send_delete_account_verification`` callback that keeps what it was given."""

    def __init__(self):
        self.sent = []

    def __call__(self, *, user, url, token):
        self.sent.append({"email": user.email, "url": url, "token": token})

    def link(self):
        """The last emailed link as a path + query for the test client."""
        parts = urlsplit(self.sent[-1]["url"])
        return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


@pytest.fixture
def enabled(make_auth):
    return make_auth(user={"delete_user_enabled": True})


@pytest.fixture
def outbox():
    return Outbox()


@pytest.fixture
def emailing(make_auth, outbox):
    return make_auth(user={"delete_user_enabled": True,
                           "send_delete_account_verification": outbox})


def user_gone(auth, email="alice@example.com"):
    return auth.db.get_user_by_email(email) is None


def cleared(res):
    return sorted(parse_set_cookie(c)["name"] for c in res.set_cookies
                  if parse_set_cookie(c).get("max-age") == "0")


# -- switched off ------------------------------------------------------------------------------

def test_disabled_is_empty_404_for_a_signed_in_user(client, auth):
    sign_up(client)
    res = client.post(DELETE, json={"password": PW})
    assert res.status == 404 and res.body == b""
    assert not user_gone(auth)


def test_disabled_without_session_is_401_first(client):  # docs/wire-compatibility.md#corrections
    res = client.post(DELETE, json={})
    assert res.status == 401
    assert res.json == {"message": "Unauthorized", "code": "UNAUTHORIZED"}


def test_enabled_without_session_is_401(kind, enabled):
    res = make_client(kind, enabled).post(DELETE, json={"password": PW})
    assert res.status == 401 and res.json["code"] == "UNAUTHORIZED"


def test_callback_disabled_is_404_not_found(client):
    sign_up(client)
    res = client.get(CALLBACK, query={"token": "x"})
    assert res.status == 404 and res.json == {"message": "Not found", "code": "NOT_FOUND"}


# -- password and freshness --------------------------------------------------------------------

def test_delete_with_password(kind, enabled):
    client = make_client(kind, enabled)
    token = sign_up(client).json["token"]
    other = make_client(kind, enabled)
    other.post(f"{BASE}/sign-in/email", json={"email": "alice@example.com", "password": PW})
    user_id = client.get(GS).json["user"]["id"]
    res = client.post(DELETE, json={"password": PW})
    assert res.status == 200 and res.json == DELETED
    assert cleared(res) == ["better-auth.dont_remember", "better-auth.session_data", NAME]
    assert user_gone(enabled)
    assert enabled.db.get_session(token) is None
    assert enabled.db.list_user_sessions(user_id) == []
    assert enabled.db.get_accounts(user_id) == []
    assert other.get(GS).body == b"null"


def test_delete_wrong_password(kind, enabled):
    client = make_client(kind, enabled)
    sign_up(client)
    res = client.post(DELETE, json={"password": "not-my-password"})
    assert res.status == 400
    assert res.json == {"message": "Invalid password", "code": "INVALID_PASSWORD"}
    assert not user_gone(enabled)


def test_delete_password_too_long(kind, enabled):
    client = make_client(kind, enabled)
    sign_up(client)
    res = client.post(DELETE, json={"password": "x" * 129})
    assert res.status == 400 and res.json["code"] == "PASSWORD_TOO_LONG"


def test_delete_password_without_credential_account(kind, enabled):
    client = make_client(kind, enabled)
    sign_up(client)
    user = enabled.db.get_user_by_email("alice@example.com")
    enabled.db.update_account(None, enabled.db.get_credential_account(user.id).id,
                              {"password": None})
    res = client.post(DELETE, json={"password": PW})
    assert res.status == 400
    assert res.json == {"message": "Credential account not found",
                        "code": "CREDENTIAL_ACCOUNT_NOT_FOUND"}


def test_fresh_session_deletes_without_password(kind, enabled, clock):
    client = make_client(kind, enabled)
    sign_up(client)
    clock.advance(86400 - 1)
    res = client.post(DELETE, json={})
    assert res.status == 200 and res.json == DELETED and user_gone(enabled)


def test_stale_session_without_password_is_session_expired(kind, enabled, clock):  # docs/security.md#sessions
    client = make_client(kind, enabled)
    sign_up(client)
    clock.advance(86400)
    assert client.get(GS).json is not None  # valid, just not fresh
    res = client.post(DELETE, json={})
    assert res.status == 400
    assert res.json == {"message": "Session expired. Re-authenticate to perform this action.",
                        "code": "SESSION_EXPIRED"}
    assert not user_gone(enabled)
    res = client.post(DELETE, json={"password": PW})  # the password still works
    assert res.json == DELETED


def test_fresh_age_zero_skips_the_check(kind, make_auth, clock):
    auth = make_auth(user={"delete_user_enabled": True}, session={"fresh_age": 0})
    client = make_client(kind, auth)
    sign_up(client)
    clock.advance(5 * 86400)
    assert client.post(DELETE, json={}).json == DELETED


def test_body_types_are_checked(kind, enabled):
    client = make_client(kind, enabled)
    sign_up(client)
    res = client.post(DELETE, json={"password": None})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    res = client.post(DELETE, json={"callbackURL": "https://evil.com/"})
    assert res.status == 403 and res.json["code"] == "INVALID_CALLBACK_URL"


# -- hooks -------------------------------------------------------------------------------------

def test_before_and_after_delete_hooks(kind, make_auth):
    calls = []
    auth = make_auth(user={
        "delete_user_enabled": True,
        "before_delete": lambda *, user, request: calls.append(
            ("before", user.email, request is not None, auth.db.get_user_by_id(user.id) is not None)),
        "after_delete": lambda *, user, request: calls.append(
            ("after", user.email, request is not None, auth.db.get_user_by_id(user.id) is not None)),
    })
    client = make_client(kind, auth)
    sign_up(client)
    assert client.post(DELETE, json={"password": PW}).json == DELETED
    assert calls == [("before", "alice@example.com", True, True),
                     ("after", "alice@example.com", True, False)]


def test_before_delete_can_abort(kind, make_auth):
    def refuse(*, user, request):
        raise APIError(400, "ACCOUNT_LOCKED", "This account cannot be deleted")

    auth = make_auth(user={"delete_user_enabled": True, "before_delete": refuse})
    client = make_client(kind, auth)
    sign_up(client)
    res = client.post(DELETE, json={"password": PW})
    assert res.status == 400 and res.json == {"message": "This account cannot be deleted",
                                              "code": "ACCOUNT_LOCKED"}
    assert not user_gone(auth) and client.get(GS).json is not None


def test_async_hooks_and_sender_are_awaited(kind, make_auth):
    seen = []

    async def before(*, user, request):
        seen.append("before")

    async def send(*, user, url, token):
        seen.append(token)

    auth = make_auth(user={"delete_user_enabled": True, "before_delete": before,
                           "send_delete_account_verification": send})
    client = make_client(kind, auth)
    sign_up(client)
    assert client.post(DELETE, json={}).json["message"] == "Verification email sent"
    res = client.post(DELETE, json={"token": seen[-1]})
    assert res.json == DELETED and seen[-1] == "before"


# -- the emailed token (docs/security.md#emailed-tokens)
# ----------------------------------------------------------------

def test_email_flow_sends_a_link_instead_of_deleting(kind, emailing, outbox):
    client = make_client(kind, emailing)
    sign_up(client)
    user_id = client.get(GS).json["user"]["id"]
    res = client.post(DELETE, json={"password": PW, "callbackURL": "/bye?x=1"})
    assert res.status == 200
    assert res.json == {"success": True, "message": "Verification email sent"}
    assert not user_gone(emailing) and not res.set_cookies
    [mail] = outbox.sent
    assert re.fullmatch(r"[0-9a-z]{32}", mail["token"])
    assert mail["url"] == (f"http://localhost:3000/api/auth/delete-user/callback?token="
                           f"{mail['token']}&callbackURL=%2Fbye%3Fx%3D1")
    row = emailing.db.find_verification(f"delete-account-{mail['token']}")
    assert row.value == user_id
    assert row.expires_at == emailing.now() + timedelta(seconds=86400)


def test_default_callback_url_is_slash(kind, emailing, outbox):
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={})
    assert outbox.sent[0]["url"].endswith("&callbackURL=%2F")


def test_callback_link_deletes_and_redirects(kind, emailing, outbox):
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={"callbackURL": "/goodbye"})
    path, query = outbox.link()
    res = client.get(path, query=query)
    assert res.status == 302 and res.header("location") == "/goodbye" and res.body == b""
    assert NAME in cleared(res)
    assert user_gone(emailing) and client.get(GS).body == b"null"


def test_callback_without_callback_url_answers_json(kind, emailing, outbox):
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={})
    res = client.get(CALLBACK, query={"token": outbox.sent[0]["token"]})
    assert res.status == 200 and res.json == DELETED and user_gone(emailing)


def test_token_in_delete_user_body(kind, emailing, outbox):
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={})
    res = client.post(DELETE, json={"token": outbox.sent[0]["token"]})
    assert res.json == DELETED and user_gone(emailing)


def test_token_is_single_use(kind, make_auth, outbox):  # docs/security.md#emailed-tokens
    attempts = []

    def first_time_refuse(*, user, request):
        attempts.append(1)
        if len(attempts) == 1:
            raise APIError(503, "TRY_LATER", "try later")

    auth = make_auth(user={"delete_user_enabled": True, "before_delete": first_time_refuse,
                           "send_delete_account_verification": outbox})
    client = make_client(kind, auth)
    sign_up(client)
    client.post(DELETE, json={})
    token = outbox.sent[0]["token"]
    assert client.get(CALLBACK, query={"token": token}).status == 503
    assert auth.db.find_verification(f"delete-account-{token}") is None  # consumed
    res = client.get(CALLBACK, query={"token": token})
    assert res.status == 404 and res.json == INVALID_TOKEN
    res = client.post(DELETE, json={"token": token})
    assert res.status == 404 and res.json == INVALID_TOKEN
    assert not user_gone(auth)


def test_another_users_token_is_invalid_and_not_burnt(kind, emailing, outbox):  # docs/security.md#emailed-tokens
    alice = make_client(kind, emailing)
    sign_up(alice)
    alice.post(DELETE, json={})
    token = outbox.sent[0]["token"]
    bob = make_client(kind, emailing)
    sign_up(bob, email="bob@example.com")
    res = bob.get(CALLBACK, query={"token": token})
    assert res.status == 404 and res.json == INVALID_TOKEN
    res = bob.post(DELETE, json={"token": token})
    assert res.status == 404 and res.json == INVALID_TOKEN
    assert not user_gone(emailing) and not user_gone(emailing, "bob@example.com")
    # bob's attempts did not consume it: alice's own link still works
    assert alice.get(CALLBACK, query={"token": token}).json == DELETED
    assert user_gone(emailing) and not user_gone(emailing, "bob@example.com")


def test_unknown_token(kind, emailing):
    client = make_client(kind, emailing)
    sign_up(client)
    res = client.get(CALLBACK, query={"token": "0" * 32})
    assert res.status == 404 and res.json == INVALID_TOKEN


def test_callback_without_session(kind, emailing, outbox):  # docs/security.md#emailed-tokens
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={})
    anonymous = make_client(kind, emailing)
    res = anonymous.get(CALLBACK, query={"token": outbox.sent[0]["token"]})
    assert res.status == 404
    assert res.json == {"message": "Failed to get user info", "code": "FAILED_TO_GET_USER_INFO"}
    assert not user_gone(emailing)
    assert client.get(CALLBACK, query={"token": outbox.sent[0]["token"]}).json == DELETED


@pytest.mark.parametrize("age,works", [(86400 - 1, True), (86400, False)])
def test_token_expiry(kind, emailing, outbox, clock, age, works):  # docs/security.md#emailed-tokens
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={})
    clock.advance(age)
    res = client.get(CALLBACK, query={"token": outbox.sent[0]["token"]})
    if works:
        assert res.json == DELETED
    else:
        assert res.status == 404 and res.json == INVALID_TOKEN and not user_gone(emailing)


def test_token_lifetime_is_configurable(kind, make_auth, outbox, clock):
    auth = make_auth(user={"delete_user_enabled": True, "delete_token_expires_in": 60,
                           "send_delete_account_verification": outbox})
    client = make_client(kind, auth)
    sign_up(client)
    client.post(DELETE, json={})
    clock.advance(60)
    assert client.get(CALLBACK, query={"token": outbox.sent[0]["token"]}).status == 404


def test_callback_url_must_be_trusted(kind, emailing, outbox):
    client = make_client(kind, emailing)
    sign_up(client)
    client.post(DELETE, json={})
    res = client.get(CALLBACK, query={"token": outbox.sent[0]["token"],
                                      "callbackURL": "https://evil.com/x"})
    assert res.status == 403 and res.json["code"] == "INVALID_CALLBACK_URL"
    assert not user_gone(emailing)


def test_callback_needs_a_token(kind, emailing):
    client = make_client(kind, emailing)
    sign_up(client)
    res = client.get(CALLBACK)
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    assert res.json["message"] == "[query.token] Invalid input: expected string, received undefined"


def test_failed_send_is_logged_not_shown(kind, make_auth, caplog):
    def broken(*, user, url, token):
        raise OSError("smtp down")

    auth = make_auth(user={"delete_user_enabled": True,
                           "send_delete_account_verification": broken})
    client = make_client(kind, auth)
    sign_up(client)
    with caplog.at_level(logging.ERROR, logger="authkit"):
        res = client.post(DELETE, json={})
    assert res.status == 200 and res.json["message"] == "Verification email sent"
    assert "smtp down" not in res.body.decode()
    assert any("delete-account" in r.getMessage() for r in caplog.records)


def test_vetoed_token_row_is_a_500_and_sends_nothing(kind, make_auth, outbox):
    hooks = {"verification": {"create": {"before": lambda data, ctx: False}}}
    auth = make_auth(user={"delete_user_enabled": True,
                           "send_delete_account_verification": outbox}, database_hooks=hooks)
    client = make_client(kind, auth)
    sign_up(client)
    res = client.post(DELETE, json={})
    assert res.status == 500
    assert res.json == {"message": "Unable to create verification",
                        "code": "FAILED_TO_CREATE_VERIFICATION"}
    assert outbox.sent == [] and not user_gone(auth)


# -- concurrency (docs/security.md#concurrency)
# ----------------------------------------------------------------------

def test_concurrent_use_of_one_token_deletes_once(db_url, make_auth):
    """N simultaneous uses of one delete-account token: exactly one deletion."""
    outbox = Outbox()
    deletions = []
    auth = make_auth(database=db_url, user={
        "delete_user_enabled": True, "send_delete_account_verification": outbox,
        "after_delete": lambda *, user, request: deletions.append(user.id)})
    threads_n, rounds = 5, 20
    for round_no in range(rounds):
        email = f"racer{round_no}@example.com"
        client = make_client("wsgi", auth)
        sign_up(client, email=email)
        client.post(DELETE, json={})
        token = outbox.sent[-1]["token"]
        barrier = threading.Barrier(threads_n)
        results = []

        def use(client=client, token=token, barrier=barrier, results=results):
            racer = make_client("wsgi", auth, jar=dict(client.jar))
            barrier.wait()
            results.append(racer.post(DELETE, json={"token": token}))

        threads = [threading.Thread(target=use) for _ in range(threads_n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = [r for r in results if r.status == 200]
        assert len(ok) == 1, [(r.status, r.body) for r in results]
        for r in results:
            if r.status != 200:
                # lost the token race (404), or found the user already gone (401)
                assert (r.status, r.json["code"]) in ((404, "INVALID_TOKEN"),
                                                      (401, "UNAUTHORIZED")), r.body
        assert user_gone(auth, email)
    assert len(deletions) == rounds


# -- auth.api and authkit serve ----------------------------------------------------------------

def test_api_delete_user_typed_result(enabled, client):
    sign_up(make_client(client.kind, enabled))
    login = make_client(client.kind, enabled)
    login.post(f"{BASE}/sign-in/email", json={"email": "alice@example.com", "password": PW})
    result = enabled.api.delete_user(body={"password": PW},
                                     headers={"cookie": login.cookie_header()})
    assert result.success is True and result.message == "User deleted"
    assert user_gone(enabled)


def test_serve_turns_delete_user_on_with_env(tmp_path):
    base = {"AUTHKIT_SECRET": "s" * 40, "AUTHKIT_SECRET_FILE": str(tmp_path / "s")}
    assert "user" not in from_env(base) or not from_env(base)["user"].get(
        "delete_user_enabled")
    on = from_env({**base, "AUTHKIT_DELETE_USER": "on"})
    assert on["user"]["delete_user_enabled"] is True
    off = from_env({**base, "AUTHKIT_DELETE_USER": "off"})
    assert not off.get("user", {}).get("delete_user_enabled")
