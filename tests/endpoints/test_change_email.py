"""POST /change-email and the email-change links of GET /verify-email
(docs/wire-compatibility.md#verify-email, docs/wire-compatibility.md#change-email;
docs/security.md#redirects, docs/security.md#emailed-tokens)."""

import jwt
import pytest

from ..support.clients import make_client
from ..support.fixtures import SECRET, sign_up
from .mailbox import Mailbox

CHANGE = "/api/auth/change-email"
VERIFY = "/api/auth/verify-email"
ALICE, NEW = "alice@example.com", "alice.new@example.com"


@pytest.fixture
def mailbox():
    return Mailbox()


@pytest.fixture
def setup(kind, make_auth, mailbox):
    def build(*, verified=False, confirm=False, without_verification=False, sender=True,
              enabled=True):
        user = {"change_email_enabled": enabled,
                "update_email_without_verification": without_verification}
        if confirm:
            user["send_change_email_confirmation"] = mailbox.callback("confirm")
        opts = mailbox.options() if sender else {}
        auth = make_auth(user=user, **opts)
        client = make_client(kind, auth)
        sign_up(client)
        if verified:
            auth.db.update_user(None, uid(auth), {"emailVerified": True})
        return auth, client

    return build


def claims_of(token):
    # The test clock is fixed in 2026; PyJWT's own expiry check would use the real time.
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})


def uid(auth, email=ALICE):
    return auth.storage.get_user_by_email(email).id


def email_of(auth, user_id):
    return auth.storage.get_user_by_id(user_id).email


def test_needs_a_session(setup):
    _, client = setup()
    client.jar.clear()
    res = client.post(CHANGE, json={"newEmail": NEW})
    assert res.status == 401 and res.json["code"] == "UNAUTHORIZED"


def test_disabled_by_default(setup):
    _, client = setup(enabled=False)
    res = client.post(CHANGE, json={"newEmail": NEW})
    assert res.status == 400 and res.json == {"message": "Change email is disabled",
                                              "code": "CHANGE_EMAIL_DISABLED"}


def test_same_email_is_message_only_400(setup):
    _, client = setup()
    res = client.post(CHANGE, json={"newEmail": "ALICE@example.com"})
    assert res.status == 400 and res.json == {"message": "Email is the same"}


def test_no_usable_flow_is_checked_before_the_lookup(setup):
    auth, client = setup(sender=False)
    bob = make_client(client.kind, auth)
    sign_up(bob, email="bob@example.com")
    for target in ("bob@example.com", "free@example.com"):  # taken or free: the same 400
        res = client.post(CHANGE, json={"newEmail": target})
        assert res.status == 400 and res.json == {"message": "Verification email isn't enabled"}


def test_invalid_email_and_untrusted_callback(setup, mailbox):  # docs/security.md#redirects
    _, client = setup()
    res = client.post(CHANGE, json={"newEmail": "nope"})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    for url in ("https://evil.com", "//evil.com", "https://localhost:3000@evil.com"):
        res = client.post(CHANGE, json={"newEmail": NEW, "callbackURL": url})
        assert res.status == 403 and res.json["code"] == "INVALID_CALLBACK_URL", url
    assert mailbox.sent == []


def test_taken_address_looks_like_success(setup, mailbox):  # docs/wire-compatibility.md#enumeration item 5
    auth, client = setup()
    bob = make_client(client.kind, auth)
    sign_up(bob, email="bob@example.com")
    taken = client.post(CHANGE, json={"newEmail": "BOB@example.com"})
    free = client.post(CHANGE, json={"newEmail": NEW})

    def shape(res):
        return res.status, res.body, sorted((k.lower(), v) for k, v in res.headers
                                            if k.lower() != "date")

    assert shape(taken) == shape(free) and taken.json == {"status": True}
    assert [s.email for s in mailbox.sent] == [NEW]  # nothing went to bob
    assert email_of(auth, uid(auth)) == ALICE


def test_flow_c_link_to_the_new_address(setup, mailbox):
    auth, client = setup()
    user_id = uid(auth)
    res = client.post(CHANGE, json={"newEmail": "Alice.New@Example.com", "callbackURL": "/done"})
    assert res.status == 200 and res.json == {"status": True}
    sent = mailbox.last("verify-email", NEW)
    payload = claims_of(sent.token)
    assert list(payload) == ["email", "updateTo", "requestType", "userId", "iat", "exp"]
    assert payload["requestType"] == "change-email-verification"
    assert (payload["email"], payload["updateTo"], payload["userId"]) == (ALICE, NEW, user_id)
    assert sent.query["callbackURL"] == ["/done"]
    assert email_of(auth, user_id) == ALICE  # not before the click
    cookie_before = client.jar["better-auth.session_token"]
    res = client.get(VERIFY, query={"token": sent.token})
    assert res.status == 200 and res.json["status"] is True
    assert res.json["user"]["email"] == NEW and res.json["user"]["emailVerified"] is False
    assert email_of(auth, user_id) == NEW
    assert res.cookie("better-auth.session_token")  # the signed-in user's cookie is re-issued
    assert client.jar["better-auth.session_token"] == cookie_before
    # The link is spent: the address it was issued for is gone (docs/security.md#emailed-tokens).
    again = client.get(VERIFY, query={"token": sent.token})
    assert again.status == 401 and again.json["code"] == "INVALID_TOKEN"


def test_flow_c_keeps_verified_and_runs_after_hook(kind, make_auth, mailbox):
    seen = []
    opts = mailbox.options()
    opts["email_verification"]["after_email_verification"] = lambda *, user: seen.append(
        user.email)
    auth = make_auth(user={"change_email_enabled": True}, **opts)
    client = make_client(kind, auth)
    sign_up(client)
    auth.db.update_user(None, uid(auth), {"emailVerified": True})
    client.post(CHANGE, json={"newEmail": NEW, "callbackURL": "/done"})
    res = client.get(mailbox.last("verify-email", NEW).path_and_query)
    assert res.status == 302 and res.header("location") == "/done"
    assert auth.storage.get_user_by_email(NEW).email_verified is True
    assert seen == [NEW]


def test_flow_b_confirm_from_the_old_address_first(setup, mailbox):
    auth, client = setup(verified=True, confirm=True)
    user_id = uid(auth)
    assert client.post(CHANGE, json={"newEmail": NEW}).json == {"status": True}
    confirm = mailbox.last("confirm")
    assert confirm.email == ALICE and confirm.extra == {"new_email": NEW}
    assert claims_of(confirm.token)["requestType"] == \
        "change-email-confirmation"
    assert mailbox.of("verify-email") == []
    res = client.get(VERIFY, query={"token": confirm.token})
    assert res.status == 200 and res.json == {"status": True}
    assert email_of(auth, user_id) == ALICE
    verify = mailbox.last("verify-email", NEW)
    assert claims_of(verify.token)["requestType"] == \
        "change-email-verification"
    res = client.get(VERIFY, query={"token": verify.token})
    assert res.status == 200 and res.json["user"]["email"] == NEW
    assert auth.storage.get_user_by_id(user_id).email_verified is True


def test_confirmation_callback_without_new_email_keyword(kind, make_auth, mailbox):
    seen = []
    auth = make_auth(user={"change_email_enabled": True,
                           "send_change_email_confirmation":
                               lambda *, user, url, token: seen.append(user.email)},
                     **mailbox.options())
    client = make_client(kind, auth)
    sign_up(client)
    auth.db.update_user(None, uid(auth), {"emailVerified": True})
    assert client.post(CHANGE, json={"newEmail": NEW}).status == 200
    assert seen == [ALICE]


def test_flow_a_unverified_user_changes_at_once(setup, mailbox):
    auth, client = setup(without_verification=True)
    user_id = uid(auth)
    res = client.post(CHANGE, json={"newEmail": NEW})
    assert res.status == 200 and res.json == {"status": True}
    assert email_of(auth, user_id) == NEW
    assert res.cookie("better-auth.session_token")
    assert client.get("/api/auth/get-session").json["user"]["email"] == NEW
    sent = mailbox.last("verify-email", NEW)
    assert "requestType" not in claims_of(sent.token)
    assert client.get(VERIFY, query={"token": sent.token}).status == 200
    assert auth.storage.get_user_by_id(user_id).email_verified is True


def test_flow_a_not_for_verified_users(setup, mailbox):
    auth, client = setup(verified=True, without_verification=True)
    client.post(CHANGE, json={"newEmail": NEW})
    assert email_of(auth, uid(auth)) == ALICE  # flow (c) instead
    assert mailbox.last("verify-email", NEW)


def test_link_is_bound_to_the_requesting_user(setup, mailbox):  # docs/security.md#emailed-tokens
    auth, alice = setup()
    alice.post(CHANGE, json={"newEmail": NEW, "callbackURL": "/done"})
    token = mailbox.last("verify-email", NEW).token
    bob = make_client(alice.kind, auth)
    sign_up(bob, email="bob@example.com")
    res = bob.get(VERIFY, query={"token": token})
    assert res.status == 401 and res.json == {"message": "Invalid user", "code": "INVALID_USER"}
    res = bob.get(VERIFY, query={"token": token, "callbackURL": "/done"})
    assert res.status == 302 and res.header("location") == "/done?error=INVALID_USER"
    assert email_of(auth, uid(auth)) == ALICE
    assert bob.get("/api/auth/get-session").json["user"]["email"] == "bob@example.com"


def test_stale_links_do_not_apply(setup, mailbox):  # docs/security.md#emailed-tokens
    auth, client = setup()
    user_id = uid(auth)
    client.post(CHANGE, json={"newEmail": NEW})
    first = mailbox.last("verify-email", NEW).token
    client.post(CHANGE, json={"newEmail": "third@example.com"})
    third = mailbox.last("verify-email", "third@example.com").token
    assert client.get(VERIFY, query={"token": third}).status == 200
    res = client.get(VERIFY, query={"token": first})  # issued while the address was alice@
    assert res.status == 401 and res.json["code"] == "INVALID_TOKEN"
    assert email_of(auth, user_id) == "third@example.com"


def test_deleted_user_link(setup, mailbox):
    auth, client = setup()
    client.post(CHANGE, json={"newEmail": NEW})
    token = mailbox.last("verify-email", NEW).token
    auth.db.delete_user(None, auth.storage.get_user_by_id(uid(auth)))
    res = client.get(VERIFY, query={"token": token}, use_jar=False)
    assert res.status == 401 and res.json["code"] == "USER_NOT_FOUND"


def test_address_taken_after_the_link_was_sent(setup, mailbox):
    auth, client = setup()
    client.post(CHANGE, json={"newEmail": NEW})
    token = mailbox.last("verify-email", NEW).token
    sign_up(make_client(client.kind, auth), email=NEW)
    res = client.get(VERIFY, query={"token": token})
    assert res.status == 422 and res.json["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    res = client.get(VERIFY, query={"token": token, "callbackURL": "/x"})
    assert res.header("location") == "/x?error=USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    assert email_of(auth, uid(auth)) == ALICE


def test_plain_token_cannot_change_email(setup, mailbox):  # docs/security.md#emailed-tokens, the reverse direction
    auth, client = setup()
    client.post("/api/auth/send-verification-email", json={"email": ALICE})
    plain = mailbox.last("verify-email", ALICE).token
    assert client.get(VERIFY, query={"token": plain}).json == {"status": True, "user": None}
    assert email_of(auth, uid(auth)) == ALICE


def test_api_call(setup, mailbox):
    auth, client = setup()
    headers = {"cookie": client.cookie_header()}
    result = auth.api.change_email(body={"newEmail": NEW}, headers=headers)
    assert result.to_json() == {"status": True}
    assert mailbox.last("verify-email", NEW)
