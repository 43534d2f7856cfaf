"""List, revoke and update sessions over WSGI and ASGI
(docs/wire-compatibility.md#session-management; docs/security.md#sessions, 19, 35, 68)."""

import pytest

from authkit.hooks import HookMatcher
from authkit.plugins.base import Plugin
from authkit.storage.fields import FieldSpec

from ..support.clients import make_client, parse_set_cookie
from ..support.fixtures import sign_up

BASE = "/api/auth"
GS = f"{BASE}/get-session"
NAME = "better-auth.session_token"
PW = "correct-horse-1"
UNAUTHORIZED = {"message": "Unauthorized", "code": "UNAUTHORIZED"}


def second_device(kind, auth, email="alice@example.com"):
    """Another browser signed in as the same user."""
    other = make_client(kind, auth)
    res = other.post(f"{BASE}/sign-in/email", json={"email": email, "password": PW})
    assert res.status == 200, res.body
    return other, res.json["token"]


def cleared(res):
    return sorted(parse_set_cookie(c)["name"] for c in res.set_cookies
                  if parse_set_cookie(c).get("max-age") == "0")


# -- list-sessions -----------------------------------------------------------------------------

def test_list_sessions_returns_every_live_session_with_tokens(client, kind, auth):
    mine = sign_up(client).json["token"]
    _, theirs = second_device(kind, auth)
    res = client.get(f"{BASE}/list-sessions")
    assert res.status == 200
    assert sorted(s["token"] for s in res.json) == sorted([mine, theirs])
    assert set(res.json[0]) >= {"id", "token", "userId", "expiresAt", "createdAt", "updatedAt",
                                "ipAddress", "userAgent"}


def test_list_sessions_leaves_out_expired_and_other_users(client, kind, auth, clock):
    sign_up(client)
    bob = make_client(kind, auth)
    sign_up(bob, email="bob@example.com")
    clock.advance(3600)
    # a second alice session that is already over: not listed
    _, old_token = second_device(kind, auth)
    auth.db.update_session(None, old_token, {"expiresAt": auth.now()})
    tokens = [s["token"] for s in client.get(f"{BASE}/list-sessions").json]
    assert len(tokens) == 1 and old_token not in tokens


def test_list_sessions_without_session_is_401(client):
    res = client.get(f"{BASE}/list-sessions")
    assert res.status == 401 and res.json == UNAUTHORIZED


def test_list_sessions_needs_a_fresh_session(client, clock):  # docs/security.md#sessions, docs/wire-compatibility.md#upstream-behaviours item 9
    sign_up(client)
    clock.advance(86400 - 1)
    assert client.get(f"{BASE}/list-sessions").status == 200
    clock.advance(1)
    res = client.get(f"{BASE}/list-sessions")
    assert res.status == 403
    assert res.json == {"message": "Session is not fresh", "code": "SESSION_NOT_FRESH"}
    # the session itself is still valid (freshness is not expiry) ...
    assert client.get(GS).json is not None


def test_sliding_refresh_does_not_make_a_session_fresh(kind, make_auth, clock):  # docs/security.md#sessions
    auth = make_auth(session={"update_age": 0, "fresh_age": 600})
    client = make_client(kind, auth)
    sign_up(client)
    for _ in range(3):
        clock.advance(300)
        assert client.get(GS).set_cookies  # refreshed every time
    assert client.get(f"{BASE}/list-sessions").json["code"] == "SESSION_NOT_FRESH"


def test_fresh_age_zero_turns_the_check_off(kind, make_auth, clock):
    auth = make_auth(session={"fresh_age": 0})
    client = make_client(kind, auth)
    sign_up(client)
    clock.advance(6 * 86400)
    assert client.get(f"{BASE}/list-sessions").status == 200


def test_a_plugin_after_hook_can_hide_sessions(kind, make_auth):
    """The hook point the admin plugin uses to hide impersonation sessions
    (docs/wire-compatibility.md#session-management)."""

    class HideImpersonated(Plugin):
        id = "hide"
        session_fields = (FieldSpec("impersonatedBy", "string", input=False),)
        after = (HookMatcher(
            lambda ctx: ctx.path == "/list-sessions",
            lambda ctx, result: [s for s in result if not s.extra.get("impersonatedBy")]
            if isinstance(result, list) else None),)

    auth = make_auth(plugins=[HideImpersonated()])
    client = make_client(kind, auth)
    mine = sign_up(client).json["token"]
    _, theirs = second_device(kind, auth)
    auth.db.update_session(None, theirs, {"impersonatedBy": "admin-id"})
    assert [s["token"] for s in client.get(f"{BASE}/list-sessions").json] == [mine]


def test_returned_false_session_fields_are_not_listed(kind, make_auth):
    auth = make_auth(session={"additional_fields": [
        FieldSpec("secretNote", "string", returned=False)]})
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    auth.db.update_session(None, token, {"secretNote": "hush"})
    listed = client.get(f"{BASE}/list-sessions").json
    assert "secretNote" not in listed[0]


# -- revoke-session ----------------------------------------------------------------------------

def test_revoke_another_device_ends_it_at_once(client, kind, auth):  # docs/security.md#sessions
    sign_up(client)
    other, theirs = second_device(kind, auth)
    res = client.post(f"{BASE}/revoke-session", json={"token": theirs})
    assert res.status == 200 and res.json == {"status": True}
    assert not res.set_cookies  # the caller keeps its cookies
    assert other.get(GS).body == b"null"
    assert client.get(GS).json is not None
    assert other.post(f"{BASE}/revoke-sessions").status == 401


def test_revoke_someone_elses_session_is_200_and_changes_nothing(client, kind, auth):  # docs/security.md#sessions
    sign_up(client)
    bob = make_client(kind, auth)
    bobs = sign_up(bob, email="bob@example.com").json["token"]
    res = client.post(f"{BASE}/revoke-session", json={"token": bobs})
    assert res.status == 200 and res.json == {"status": True}
    assert bob.get(GS).json["session"]["token"] == bobs


def test_revoke_unknown_token_is_200(client):
    sign_up(client)
    res = client.post(f"{BASE}/revoke-session", json={"token": "no-such-token"})
    assert res.status == 200 and res.json == {"status": True}


def test_revoke_own_current_session_clears_cookies(client):
    mine = sign_up(client).json["token"]
    res = client.post(f"{BASE}/revoke-session", json={"token": mine})
    assert res.json == {"status": True}
    assert cleared(res) == ["better-auth.dont_remember", "better-auth.session_data", NAME]
    assert client.get(GS).body == b"null"


def test_revoke_session_needs_a_token(client):
    sign_up(client)
    res = client.post(f"{BASE}/revoke-session", json={})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"
    assert res.json["message"] == "[body.token] Invalid input: expected string, received undefined"


def test_revoke_session_without_session_is_401(client):
    res = client.post(f"{BASE}/revoke-session", json={"token": "x"})
    assert res.status == 401 and res.json == UNAUTHORIZED


# -- revoke-sessions / revoke-other-sessions ---------------------------------------------------

def test_revoke_sessions_ends_all_and_clears_cookies(client, kind, auth):
    sign_up(client)
    other, _ = second_device(kind, auth)
    res = client.post(f"{BASE}/revoke-sessions")
    assert res.status == 200 and res.json == {"status": True}
    assert NAME in cleared(res)
    assert client.get(GS).body == b"null" and other.get(GS).body == b"null"
    assert auth.db.list_user_sessions(auth.db.get_user_by_email("alice@example.com").id) == []


def test_revoke_sessions_without_session_is_401(client):
    res = client.post(f"{BASE}/revoke-sessions")
    assert res.status == 401 and res.json == UNAUTHORIZED


def test_revoke_other_sessions_keeps_the_current_one(client, kind, auth):  # docs/security.md#sessions
    mine = sign_up(client).json["token"]
    other, _ = second_device(kind, auth)
    third, _ = second_device(kind, auth)
    bob = make_client(kind, auth)
    sign_up(bob, email="bob@example.com")
    res = client.post(f"{BASE}/revoke-other-sessions")
    assert res.status == 200 and res.json == {"status": True} and not res.set_cookies
    assert client.get(GS).json["session"]["token"] == mine
    assert other.get(GS).body == b"null" and third.get(GS).body == b"null"
    assert bob.get(GS).json is not None


def test_revoke_other_sessions_without_session_is_401(client):
    res = client.post(f"{BASE}/revoke-other-sessions")
    assert res.status == 401 and res.json == UNAUTHORIZED


def test_revoked_session_cannot_use_sensitive_routes(client, kind, auth):  # docs/security.md#sessions
    sign_up(client)
    other, theirs = second_device(kind, auth)
    client.post(f"{BASE}/revoke-session", json={"token": theirs})
    for path in ("revoke-other-sessions", "revoke-sessions"):
        assert other.post(f"{BASE}/{path}").status == 401


# -- update-session ----------------------------------------------------------------------------

@pytest.fixture
def device_auth(make_auth):
    return make_auth(session={"additional_fields": [
        FieldSpec("deviceName", "string"),
        FieldSpec("trusted", "boolean", input=False),
    ]})


def test_update_session_sets_additional_fields(kind, device_auth):
    client = make_client(kind, device_auth)
    token = sign_up(client).json["token"]
    res = client.post(f"{BASE}/update-session", json={"deviceName": "laptop"})
    assert res.status == 200
    assert list(res.json) == ["session"]
    assert res.json["session"]["deviceName"] == "laptop"
    assert res.json["session"]["token"] == token
    assert parse_set_cookie(res.cookie(NAME))["max-age"] == "604800"
    assert client.get(GS).json["session"]["deviceName"] == "laptop"


def test_update_session_ignores_core_keys(kind, device_auth):  # docs/security.md#authorization
    client = make_client(kind, device_auth)
    token = sign_up(client).json["token"]
    bob = make_client(kind, device_auth)
    sign_up(bob, email="bob@example.com")
    bob_id = bob.get(GS).json["user"]["id"]
    before = device_auth.db.get_session(token)
    res = client.post(f"{BASE}/update-session", json={
        "userId": bob_id, "token": "chosen-token", "expiresAt": "2099-01-01T00:00:00.000Z",
        "id": "x", "createdAt": "2000-01-01T00:00:00.000Z", "deviceName": "phone"})
    assert res.status == 200
    after = device_auth.db.get_session(token)
    assert after.user_id == before.user_id and after.expires_at == before.expires_at
    assert after.created_at == before.created_at and after.id == before.id
    assert device_auth.db.get_session("chosen-token") is None


def test_update_session_with_only_core_keys_is_no_fields(kind, device_auth):  # docs/security.md#authorization
    client = make_client(kind, device_auth)
    sign_up(client)
    res = client.post(f"{BASE}/update-session", json={"userId": "x", "expiresAt": "2099"})
    assert res.status == 400 and res.json == {"message": "No fields to update"}


def test_update_session_refuses_input_false_field(kind, device_auth):
    client = make_client(kind, device_auth)
    sign_up(client)
    res = client.post(f"{BASE}/update-session", json={"trusted": True})
    assert res.status == 400
    assert res.json == {"message": "trusted is not allowed to be set", "code": "FIELD_NOT_ALLOWED"}


def test_update_session_non_object_body(kind, device_auth):
    client = make_client(kind, device_auth)
    sign_up(client)
    res = client.post(f"{BASE}/update-session", json=[1])
    assert res.status == 400
    assert res.json["message"] == "[body] Invalid input: expected record, received array"


def test_update_session_without_session_is_401(client):
    res = client.post(f"{BASE}/update-session", json={"x": 1})
    assert res.status == 401 and res.json == UNAUTHORIZED


def test_update_session_row_gone_is_401_and_clears(kind, make_auth):
    vetoing = {"session": {"update": {"before": lambda data, ctx: False}}}
    auth = make_auth(session={"additional_fields": [FieldSpec("deviceName", "string")]},
                     database_hooks=vetoing)
    client = make_client(kind, auth)
    sign_up(client)
    res = client.post(f"{BASE}/update-session", json={"deviceName": "x"})
    assert res.status == 401
    assert res.json == {"message": "Failed to get session", "code": "FAILED_TO_GET_SESSION"}
    assert NAME in cleared(res)


# -- auth.api ----------------------------------------------------------------------------------

def test_api_calls_return_typed_results(auth, client):
    sign_up(client)
    headers = {"cookie": client.cookie_header()}
    sessions = auth.api.list_sessions(headers=headers)
    assert len(sessions) == 1 and sessions[0].user_id
    assert auth.api.revoke_other_sessions(headers=headers) == {"status": True}
    assert auth.api.revoke_sessions(headers=headers) == {"status": True}
    assert auth.api.list_sessions.__doc__


def test_api_without_headers_is_unauthorized(auth):
    from authkit.errors import APIError

    with pytest.raises(APIError) as info:
        auth.api.list_sessions()
    assert info.value.status == 401
