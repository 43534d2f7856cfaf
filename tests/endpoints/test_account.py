"""change-password, update-user, verify-password and list-accounts over WSGI and ASGI
(docs/wire-compatibility.md#change-password, docs/wire-compatibility.md#update-user;
docs/security.md#credentials, docs/security.md#origins-and-csrf, docs/security.md#authorization)."""

from datetime import timedelta
from urllib.parse import quote

import pytest

from authkit.errors import APIError
from authkit.models import Account, Session
from authkit.storage.fields import FieldSpec
from authkit.tokens import generate_id, random_string, sign

from ..support.clients import make_client, parse_set_cookie
from ..support.fixtures import sign_up

BASE = "/api/auth"
GS = f"{BASE}/get-session"
NAME = "better-auth.session_token"
PW = "correct-horse-1"
NEW = "battery-staple-2"
UNAUTHORIZED = {"message": "Unauthorized", "code": "UNAUTHORIZED"}


def sign_in(client, email="alice@example.com", password=PW):
    return client.post(f"{BASE}/sign-in/email", json={"email": email, "password": password})


def change(client, current=PW, new=NEW, **extra):
    return client.post(f"{BASE}/change-password",
                       json={"currentPassword": current, "newPassword": new, **extra})


def stored_hash(auth, email="alice@example.com"):
    user = auth.db.get_user_by_email(email)
    return auth.db.get_credential_account(user.id).password


def passwordless_user(auth, email="oauth@example.com"):
    """A user with only a social account (no credential), signed in directly."""
    now = auth.now()
    user = auth.db.create_user(None, {"id": generate_id(), "name": "O", "email": email,
                                      "emailVerified": True, "image": None,
                                      "createdAt": now, "updatedAt": now})
    auth.db.create_account(None, Account(
        id=generate_id(), account_id="gh-1", provider_id="github", user_id=user.id,
        password=None, created_at=now, updated_at=now, scope="read:user,user:email",
        access_token="gho_secret-access", refresh_token="ghr_secret-refresh"))
    return user


def cookie_for(auth, user):
    """A browser cookie for a fresh session of ``user``."""
    now = auth.now()
    token = random_string(32)
    auth.db.create_session(None, Session(id=generate_id(), token=token, user_id=user.id,
                                         expires_at=now + timedelta(days=7), created_at=now,
                                         updated_at=now))
    return quote(sign(token, auth.secrets), safe="")


# -- change-password ---------------------------------------------------------------------------

def test_change_password_keeps_sessions_and_sets_no_cookie(client, kind, auth):
    token = sign_up(client).json["token"]
    other = make_client(kind, auth)
    sign_in(other)
    old_hash = stored_hash(auth)
    res = change(client)
    assert res.status == 200 and not res.set_cookies
    assert list(res.json) == ["token", "user"]
    assert res.json["token"] is None and res.json["user"]["email"] == "alice@example.com"
    assert stored_hash(auth) != old_hash
    assert client.get(GS).json["session"]["token"] == token
    assert other.get(GS).json is not None
    fresh = make_client(kind, auth)
    assert sign_in(fresh).status == 401
    assert sign_in(fresh, password=NEW).status == 200


def test_change_password_revoking_other_sessions(client, kind, auth):  # docs/security.md#credentials
    old = sign_up(client).json["token"]
    old_cookie = client.jar[NAME]
    other = make_client(kind, auth)
    sign_in(other)
    res = change(client, revokeOtherSessions=True)
    assert res.status == 200
    new = res.json["token"]
    assert isinstance(new, str) and new != old
    assert parse_set_cookie(res.cookie(NAME))["max-age"] == "604800"
    assert client.get(GS).json["session"]["token"] == new
    assert other.get(GS).body == b"null"
    stale = make_client(kind, auth)
    stale.jar[NAME] = old_cookie  # the caller's own previous cookie is dead too
    assert stale.get(GS).body == b"null"
    assert auth.db.get_session(old) is None
    user_id = res.json["user"]["id"]
    assert [s.token for s in auth.db.list_user_sessions(user_id)] == [new]


def test_change_password_wrong_current_is_400_and_hash_unchanged(client, auth):  # docs/security.md#credentials
    sign_up(client)
    before = stored_hash(auth)
    res = change(client, current="not-my-password", revokeOtherSessions=True)
    assert res.status == 400
    assert res.json == {"message": "Invalid password", "code": "INVALID_PASSWORD"}
    assert stored_hash(auth) == before
    assert client.get(GS).json is not None  # nothing was revoked


def test_change_password_without_session_is_401(client, auth):  # docs/security.md#credentials
    sign_up(make_client(client.kind, auth))
    before = stored_hash(auth)
    res = change(client)
    assert res.status == 401 and res.json == UNAUTHORIZED
    assert stored_hash(auth) == before


@pytest.mark.parametrize("new,code", [("short", "PASSWORD_TOO_SHORT"),
                                      ("x" * 129, "PASSWORD_TOO_LONG")])
def test_change_password_new_length(client, new, code):
    sign_up(client)
    res = change(client, new=new)
    assert res.status == 400 and res.json["code"] == code


def test_change_password_current_too_long(client):
    sign_up(client)
    res = change(client, current="x" * 129)
    assert res.status == 400 and res.json["code"] == "PASSWORD_TOO_LONG"


def test_change_password_without_credential_account(client, auth):
    user = passwordless_user(auth)
    client.jar[NAME] = cookie_for(auth, user)
    res = change(client)
    assert res.status == 400
    assert res.json == {"message": "Credential account not found",
                        "code": "CREDENTIAL_ACCOUNT_NOT_FOUND"}


def test_change_password_validation(client):
    sign_up(client)
    res = client.post(f"{BASE}/change-password", json={"newPassword": NEW})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    assert res.json["message"] == ("[body.currentPassword] Invalid input: expected string, "
                                   "received undefined")


def test_change_password_failed_session_rolls_back(kind, make_auth):
    """A vetoed new session leaves the old password and sessions in place (one transaction)."""
    state = {"veto": False}
    hooks = {"session": {"create": {"before": lambda data, ctx: False if state["veto"]
                                    else None}}}
    auth = make_auth(database_hooks=hooks)
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    before = stored_hash(auth)
    state["veto"] = True
    res = change(client, revokeOtherSessions=True)
    assert res.status == 500
    assert res.json == {"message": "Failed to get session", "code": "FAILED_TO_GET_SESSION"}
    assert stored_hash(auth) == before
    assert auth.db.get_session(token) is not None


# -- update-user -------------------------------------------------------------------------------

@pytest.fixture
def fields_auth(make_auth):
    return make_auth(user={"additional_fields": [
        FieldSpec("nickname", "string"),
        FieldSpec("role", "string", input=False, default="user"),
        FieldSpec("banned", "boolean", input=False),
    ]})


def test_update_user_name_and_image(client, auth):
    token = sign_up(client).json["token"]
    res = client.post(f"{BASE}/update-user", json={"name": "Alicia", "image": "https://i/a.png"})
    assert res.status == 200 and res.json == {"status": True}
    cookie = parse_set_cookie(res.cookie(NAME))
    assert cookie["max-age"] == "604800"  # re-issued, same session
    assert client.get(GS).json["session"]["token"] == token
    user = client.get(GS).json["user"]
    assert user["name"] == "Alicia" and user["image"] == "https://i/a.png"
    res = client.post(f"{BASE}/update-user", json={"image": None})
    assert res.status == 200 and client.get(GS).json["user"]["image"] is None


def test_update_user_keeps_a_dont_remember_session_a_browser_cookie(client):
    sign_up(client, rememberMe=False)
    res = client.post(f"{BASE}/update-user", json={"name": "A"})
    assert "max-age" not in parse_set_cookie(res.cookie(NAME))
    assert res.cookie("better-auth.dont_remember")


def test_update_user_email_is_refused(client, auth):
    sign_up(client)
    res = client.post(f"{BASE}/update-user", json={"email": "new@example.com", "name": "X"})
    assert res.status == 400
    assert res.json == {"message": "Email can not be updated", "code": "EMAIL_CAN_NOT_BE_UPDATED"}
    assert auth.db.get_user_by_email("alice@example.com").name == "Alice"


def test_update_user_nothing_to_update(client):
    sign_up(client)
    res = client.post(f"{BASE}/update-user", json={})
    assert res.status == 400 and res.json == {"message": "No fields to update"}
    assert not res.set_cookies


def test_update_user_additional_field(kind, fields_auth):
    client = make_client(kind, fields_auth)
    sign_up(client)
    res = client.post(f"{BASE}/update-user", json={"nickname": "ally"})
    assert res.status == 200
    assert client.get(GS).json["user"]["nickname"] == "ally"


@pytest.mark.parametrize("payload", [
    {"emailVerified": True}, {"id": "chosen"}, {"createdAt": "2000-01-01T00:00:00.000Z"},
    {"banReason": "x"}, {"impersonatedBy": "x"}, {"password": "override-1"},
])
def test_update_user_drops_undeclared_keys(kind, fields_auth, payload):  # docs/security.md#authorization
    client = make_client(kind, fields_auth)
    sign_up(client)
    before = client.get(GS).json["user"]
    res = client.post(f"{BASE}/update-user", json=payload)
    assert res.status == 400 and res.json == {"message": "No fields to update"}
    after = client.get(GS).json["user"]
    assert after == before and after["emailVerified"] is False
    res = client.post(f"{BASE}/update-user", json={**payload, "name": "Al"})
    assert res.status == 200
    after = client.get(GS).json["user"]
    assert after["emailVerified"] is False and after["id"] == before["id"]
    assert after["createdAt"] == before["createdAt"]


@pytest.mark.parametrize("key,value", [("role", "admin"), ("banned", True)])
def test_update_user_input_false_field_is_refused(kind, fields_auth, key, value):  # docs/security.md#authorization
    client = make_client(kind, fields_auth)
    sign_up(client)
    res = client.post(f"{BASE}/update-user", json={key: value, "name": "X"})
    assert res.status == 400
    assert res.json == {"message": f"{key} is not allowed to be set", "code": "FIELD_NOT_ALLOWED"}
    user = client.get(GS).json["user"]
    assert user["role"] == "user" and user["name"] == "Alice" and not user["banned"]


@pytest.mark.parametrize("payload,message", [
    ({"name": 5}, "[body.name] Invalid input: expected string, received number"),
    ({"name": None}, "[body.name] Invalid input: expected string, received null"),
    ({"image": ["x"]}, "[body.image] Invalid input: expected string, received array"),
    ({"name": "a\x00b"}, "[body.name] Invalid input: contains a NUL character"),
])
def test_update_user_bad_types(client, payload, message):
    sign_up(client)
    res = client.post(f"{BASE}/update-user", json=payload)
    assert res.status == 400
    assert res.json == {"message": message, "code": "VALIDATION_ERROR"}


def test_update_user_non_object_body(client):
    sign_up(client)
    res = client.post(f"{BASE}/update-user", json=["name"])
    assert res.status == 400
    assert res.json["message"] == "[body] Invalid input: expected record, received array"


def test_update_user_body_without_content_type(client):  # docs/security.md#origins-and-csrf, deviating from docs/wire-compatibility.md#corrections
    # The real server leaves such a body unread (400 "expected record"); a cookie-bearing
    # request must declare its body's type here (README, security notes).
    sign_up(client)
    res = client.post(f"{BASE}/update-user", body=b'{"name":"x"}')
    assert res.status == 415
    assert res.json == {"message": "Content-Type is required. Allowed types: application/json",
                        "code": "UNSUPPORTED_MEDIA_TYPE"}
    assert client.get(f"{BASE}/get-session").json["user"]["name"] == "Alice"  # unchanged


def test_update_user_without_session_is_401(client):
    res = client.post(f"{BASE}/update-user", json={"name": "x"})
    assert res.status == 401 and res.json == UNAUTHORIZED


# -- verify-password ---------------------------------------------------------------------------

def test_verify_password(client):
    sign_up(client)
    res = client.post(f"{BASE}/verify-password", json={"password": PW})
    assert res.status == 200 and res.json == {"status": True}
    res = client.post(f"{BASE}/verify-password", json={"password": "wrong-password"})
    assert res.status == 400 and res.json["code"] == "INVALID_PASSWORD"
    res = client.post(f"{BASE}/verify-password", json={"password": "x" * 129})
    assert res.status == 400 and res.json["code"] == "PASSWORD_TOO_LONG"


def test_verify_password_without_credential_is_invalid(client, auth):
    client.jar[NAME] = cookie_for(auth, passwordless_user(auth))
    res = client.post(f"{BASE}/verify-password", json={"password": PW})
    assert res.status == 400 and res.json["code"] == "INVALID_PASSWORD"


def test_verify_password_without_session_is_401(client):
    res = client.post(f"{BASE}/verify-password", json={"password": PW})
    assert res.status == 401 and res.json == UNAUTHORIZED


# -- list-accounts -----------------------------------------------------------------------------

def test_list_accounts_never_shows_secrets(client, auth):  # docs/security.md#credentials
    sign_up(client)
    res = client.get(f"{BASE}/list-accounts")
    assert res.status == 200
    [account] = res.json
    assert account["providerId"] == "credential" and account["scopes"] == []
    assert set(account) == {"id", "providerId", "accountId", "userId", "createdAt",
                            "updatedAt", "scopes"}
    assert stored_hash(auth) not in res.body.decode()


def test_list_accounts_social_scopes_without_tokens(client, auth):
    client.jar[NAME] = cookie_for(auth, passwordless_user(auth))
    res = client.get(f"{BASE}/list-accounts")
    assert res.json[0]["scopes"] == ["read:user", "user:email"]
    assert b"secret-access" not in res.body and b"secret-refresh" not in res.body


def test_list_accounts_without_session_is_401(client):
    res = client.get(f"{BASE}/list-accounts")
    assert res.status == 401 and res.json == UNAUTHORIZED


# -- safe methods change nothing (docs/security.md#origins-and-csrf)
# ------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["sign-out", "revoke-sessions", "revoke-session",
                                  "revoke-other-sessions", "update-user", "update-session",
                                  "change-password", "delete-user", "verify-password"])
def test_safe_methods_on_state_changing_routes_are_404(client, auth, method, path):
    token = sign_up(client).json["token"]
    res = client.request(method, f"{BASE}/{path}",
                         query={"name": "x", "token": token, "newPassword": NEW,
                                "currentPassword": PW})
    assert res.status == 404 and res.body == b"" and not res.set_cookies
    got = client.get(GS).json
    assert got["session"]["token"] == token and got["user"]["name"] == "Alice"


# -- auth.api ----------------------------------------------------------------------------------

def test_api_change_password_returns_typed_result(auth, client):
    sign_up(client)
    result = auth.api.change_password(
        body={"currentPassword": PW, "newPassword": NEW},
        headers={"cookie": client.cookie_header()})
    assert result.token is None and result.user.email == "alice@example.com"
    with pytest.raises(APIError) as info:
        auth.api.change_password(body={"currentPassword": PW, "newPassword": NEW})
    assert info.value.code == "UNAUTHORIZED"
    accounts = auth.api.list_user_accounts(headers={"cookie": client.cookie_header()})
    assert [a.provider_id for a in accounts] == ["credential"]
