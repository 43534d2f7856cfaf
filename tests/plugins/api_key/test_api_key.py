"""The api-key plugin in-process and over WSGI: key sessions, quota and refill, the per-key
window, permissions through the access-control check, server-only calls, and where authkit is
stricter than Better Auth 1.7.25 (bans, the session lifetime, no key cookie, unknown sortBy)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from authkit import APIError, AuthKit
from authkit.plugins.admin import admin
from authkit.plugins.api_key import api_key, hash_key

from ...support.clients import HTTPClient, make_client
from ...support.fixtures import Clock, MakeAuth, sign_up


def _setup(make_auth: MakeAuth, **options: Any) -> tuple[AuthKit, HTTPClient, str]:
    options.setdefault("enable_session_for_api_keys", True)
    database = options.pop("database", None)
    kw: dict[str, Any] = {"database": database} if database else {}
    auth = make_auth(plugins=[admin(), api_key(**options)], **kw)
    client = make_client("wsgi", auth)
    user_id = sign_up(client).json["user"]["id"]
    return auth, client, user_id


def _create(auth: AuthKit, user_id: str, **body: Any) -> dict[str, Any]:
    # In-process without headers: the server may set quota, limits and permissions.
    created: dict[str, Any] = auth.api.create_api_key(body={"userId": user_id, **body})
    return created


def _with_key(client: HTTPClient, key: str, path: str = "/api/auth/get-session",
              **kw: Any) -> Any:
    return client.request(kw.pop("method", "GET"), path, headers={"x-api-key": key},
                          use_jar=False, **kw)


def test_key_is_stored_hashed_and_acts_as_a_session(make_auth: MakeAuth) -> None:
    auth, client, _user_id = _setup(make_auth)
    created = client.post("/api/auth/api-key/create", json={"name": "ci"}).json
    (row,) = auth.storage.find_rows("apikey")
    assert row["key"] == hash_key(created["key"]) and len(row["key"]) == 43
    assert row["metadata"] == "null" and row["permissions"] is None
    res = _with_key(client, created["key"])
    assert res.status == 200 and list(res.json) == ["user", "session"]
    assert res.json["session"]["token"] == created["key"]
    assert res.header("cache-control") is None and res.set_cookies == []
    assert _with_key(client, created["key"], "/api/auth/ok").json == {"ok": True}
    bad = _with_key(client, "Z" * 64, "/api/auth/ok")
    assert (bad.status, bad.json["code"]) == (401, "INVALID_API_KEY")
    assert _with_key(client, "short").status == 403
    # With a cookie too, the key decides.
    both = client.get("/api/auth/get-session", headers={"x-api-key": "Q" * 64})
    assert both.status == 401


def test_configurable_header(make_auth: MakeAuth) -> None:
    auth, client, user_id = _setup(make_auth, api_key_headers=["x-service-key", "x-api-key"])
    key = _create(auth, user_id)["key"]
    res = client.get("/api/auth/get-session", headers={"x-service-key": key}, use_jar=False)
    assert res.json["user"]["id"] == user_id


def test_banned_users_keys_stop_working(make_auth: MakeAuth, clock: Clock) -> None:
    # Stricter than Better Auth, whose key sessions ignore bans.
    auth, client, user_id = _setup(make_auth)
    key = _create(auth, user_id)["key"]
    auth.storage.update_rows("user", {"id": user_id}, {
        "banned": True, "banExpires": auth.now() + timedelta(hours=1)})
    res = _with_key(client, key)
    assert (res.status, res.json["code"]) == (401, "USER_BANNED")
    assert _with_key(client, key, "/api/auth/api-key/list").status == 401
    clock.advance(3601)  # the ban has run out
    assert _with_key(client, key).status == 200


def test_key_session_lives_as_long_as_configured(make_auth: MakeAuth) -> None:
    # Better Auth hands seconds to a millisecond helper: its key sessions end in ~10 minutes.
    auth, client, user_id = _setup(make_auth)
    no_expiry = _create(auth, user_id)["key"]
    session = _with_key(client, no_expiry).json["session"]
    assert session["expiresAt"] == _iso(auth.now() + timedelta(
        seconds=auth.options.session.expires_in))
    expiring = _create(auth, user_id, expiresIn=2 * 86400)
    assert _with_key(client, expiring["key"]).json["session"]["expiresAt"] == \
        expiring["expiresAt"]


def _iso(value: Any) -> str:
    from authkit.models import iso
    text = iso(value)
    assert text is not None
    return text


def test_update_user_through_a_key_sets_no_cookie(make_auth: MakeAuth) -> None:
    # Better Auth re-issues a session cookie whose value is the signed API key.
    auth, client, user_id = _setup(make_auth)
    key = _create(auth, user_id)["key"]
    res = _with_key(client, key, "/api/auth/update-user", method="POST", json={"name": "Bot"})
    assert res.status == 200 and res.set_cookies == []
    out = auth.api.update_user(body={"name": "Bot 2"}, headers={"x-api-key": key},
                               return_headers=True)
    assert out.headers.get("set-cookie") is None
    assert auth.db.get_user_by_id(user_id).name == "Bot 2"  # type: ignore[union-attr]


def test_list_sort_and_paging_errors_are_400(make_auth: MakeAuth) -> None:
    # Better Auth answers an unknown sortBy with an empty 500.
    _, client, _ = _setup(make_auth)
    for _ in range(3):
        client.post("/api/auth/api-key/create", json={})
    res = client.get("/api/auth/api-key/list", query={"sortBy": "nope"})
    assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR")
    assert client.get("/api/auth/api-key/list", query={"sortBy": "key"}).status == 400
    assert client.get("/api/auth/api-key/list", query={"limit": "-1"}).status == 400
    page = client.get("/api/auth/api-key/list", query={
        "sortBy": "createdAt", "sortDirection": "desc", "limit": "2", "offset": "1"}).json
    assert (page["total"], len(page["apiKeys"]), page["limit"], page["offset"]) == (3, 2, 2, 1)


def test_rate_limit_window_counts_from_the_last_allowed_request(make_auth: MakeAuth,
                                                                clock: Clock) -> None:
    auth, client, user_id = _setup(make_auth, rate_limit_max=3, rate_limit_time_window=2000)
    key = _create(auth, user_id)["key"]
    for _ in range(3):
        assert _with_key(client, key).status == 200
        clock.advance(0.8)
    denied = _with_key(client, key)
    assert denied.status == 429 and denied.json["details"] == {"tryAgainIn": 1200}
    assert denied.header("x-retry-after") is None
    clock.advance(1.3)  # 2.1 s after the last allowed request
    assert _with_key(client, key).status == 200


def test_quota_refill_and_exhaustion(make_auth: MakeAuth, clock: Clock) -> None:
    auth, client, user_id = _setup(make_auth)
    refilling = _create(auth, user_id, refillAmount=2, refillInterval=1000)
    assert refilling["remaining"] == 2  # starts full
    key = refilling["key"]
    assert [_with_key(client, key).status for _ in range(3)] == [200, 200, 429]
    clock.advance(1.1)
    assert _with_key(client, key).status == 200
    (row,) = auth.storage.find_rows("apikey", {"id": refilling["id"]})
    assert row["remaining"] == 1 and row["lastRefillAt"] is not None
    once = _create(auth, user_id, remaining=1)
    assert _with_key(client, once["key"]).status == 200
    res = _with_key(client, once["key"])
    assert (res.status, res.json["code"]) == (429, "USAGE_EXCEEDED")
    assert auth.storage.find_row("apikey", {"id": once["id"]}) is None


def test_server_only_verify_with_permissions(make_auth: MakeAuth) -> None:
    auth, client, user_id = _setup(make_auth)
    assert client.post("/api/auth/api-key/verify", json={"key": "x"}).status == 404
    scoped = _create(auth, user_id, permissions={"files": ["read", "write"]})
    plain = _create(auth, user_id)
    ok = auth.api.verify_api_key(body={"key": scoped["key"],
                                       "permissions": {"files": ["read"]}})
    assert ok["valid"] is True and ok["key"]["permissions"] == {"files": ["read", "write"]}
    assert "key" not in ok["key"]
    for key, wanted in ((scoped["key"], {"files": ["delete"]}),
                        (scoped["key"], {"users": ["read"]}),
                        (plain["key"], {"files": ["read"]})):
        out = auth.api.verify_api_key(body={"key": key, "permissions": wanted})
        assert out == {"valid": False, "key": None,
                       "error": {"message": "API Key not found", "code": "KEY_NOT_FOUND"}}
    unknown = auth.api.verify_api_key(body={"key": "n" * 64})
    assert unknown["error"]["code"] == "INVALID_API_KEY"


def test_expired_keys(make_auth: MakeAuth, clock: Clock) -> None:
    auth, client, user_id = _setup(make_auth)
    first = _create(auth, user_id, expiresIn=86400)
    second = _create(auth, user_id, expiresIn=86400)
    keeper = _create(auth, user_id)
    clock.advance(86401)
    res = _with_key(client, first["key"])
    assert (res.status, res.json["code"]) == (401, "KEY_EXPIRED")
    assert auth.storage.find_row("apikey", {"id": first["id"]}) is None
    auth.api.delete_all_expired_api_keys()
    assert [r["id"] for r in auth.storage.find_rows("apikey")] == [keeper["id"]]
    assert second["id"] != keeper["id"]


def test_create_and_update_rules(make_auth: MakeAuth) -> None:
    auth, client, _user_id = _setup(make_auth, enable_metadata=True)
    res = client.post("/api/auth/api-key/create", json={"remaining": 5})
    assert res.json["code"] == "SERVER_ONLY_PROPERTY"
    with pytest.raises(APIError) as caught:
        auth.api.create_api_key(body={"name": "x"})
    assert caught.value.code == "UNAUTHORIZED_SESSION"
    created = client.post("/api/auth/api-key/create", json={"metadata": {"a": 1}}).json
    upd = client.post("/api/auth/api-key/update", json={"keyId": created["id"],
                                                        "expiresIn": None, "metadata": None})
    assert upd.status == 200 and upd.json["metadata"] is None and upd.json["expiresAt"] is None
    # Legacy rows with double-encoded metadata read as the object and are rewritten.
    auth.storage.update_rows("apikey", {"id": created["id"]}, {"metadata": '"{\\"b\\":2}"'})
    got = client.get("/api/auth/api-key/get", query={"id": created["id"]}).json
    assert got["metadata"] == {"b": 2}
    assert auth.storage.find_row("apikey", {"id": created["id"]})["metadata"] == '{"b":2}'  # type: ignore[index]
    bob = make_client("wsgi", auth)
    sign_up(bob, email="bob@example.com")
    for path, body in (("/api/auth/api-key/update", {"keyId": created["id"], "name": "x"}),
                       ("/api/auth/api-key/delete", {"keyId": created["id"]})):
        assert bob.post(path, json=body).json["code"] == "KEY_NOT_FOUND"


def test_concurrent_uses_never_exceed_the_quota(make_auth: MakeAuth, db_url: str) -> None:
    auth, _, user_id = _setup(make_auth, database=db_url, rate_limit_enabled=False)
    key = _create(auth, user_id, remaining=5)["key"]
    results: list[bool] = []
    lock = threading.Lock()

    def use() -> None:
        out = auth.api.verify_api_key(body={"key": key})
        with lock:
            results.append(out["valid"])

    threads = [threading.Thread(target=use) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5


def test_metadata_size_is_checked_before_the_database(make_auth: MakeAuth, db_url: str) -> None:
    auth, client, _ = _setup(make_auth, database=db_url, enable_metadata=True)
    res = client.post("/api/auth/api-key/create", json={"metadata": {"blob": "x" * 70000}})
    assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR")
    assert auth.storage.count_rows("apikey") == 0
    made = client.post("/api/auth/api-key/create", json={"metadata": {"blob": "é" * 4000}})
    assert made.status == 200 and made.json["metadata"] == {"blob": "é" * 4000}


def test_keys_outlive_their_deleted_user_but_stop_working(make_auth: MakeAuth) -> None:
    # No foreign key on referenceId (as on Node): the row stays, the key is refused.
    auth, client, user_id = _setup(make_auth)
    created = _create(auth, user_id)
    user = auth.db.get_user_by_id(user_id)
    assert user is not None and auth.db.delete_user(None, user)
    res = _with_key(client, created["key"])
    assert (res.status, res.json["code"]) == (401, "INVALID_REFERENCE_ID_FROM_API_KEY")
    assert auth.storage.find_row("apikey", {"id": created["id"]}) is not None


def test_list_by_organization(make_auth: MakeAuth) -> None:
    # Organization-owned keys are never minted (one user-owned configuration): Better Auth's
    # membership check, then an empty list; without the organization plugin a 400 that says so.
    _auth, client, _user_id = _setup(make_auth)
    res = client.get("/api/auth/api-key/list?organizationId=org-1")
    assert (res.status, res.json["code"]) == (400, "ORGANIZATION_PLUGIN_REQUIRED")
    from authkit.plugins.organization import organization

    auth = make_auth(plugins=[api_key(), organization()])
    client = make_client("wsgi", auth)
    sign_up(client)
    org = client.post("/api/auth/organization/create", json={"name": "Acme", "slug": "acme"})
    assert org.status == 200, org.body
    client.post("/api/auth/api-key/create", json={"name": "mine"})
    res = client.get(f"/api/auth/api-key/list?organizationId={org.json['id']}&limit=5")
    assert (res.status, res.json) == (200, {"apiKeys": [], "total": 0, "limit": 5})
    res = client.get("/api/auth/api-key/list?organizationId=someone-else")
    assert (res.status, res.json["code"]) == (403, "USER_NOT_MEMBER_OF_ORGANIZATION")
