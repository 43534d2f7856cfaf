"""Admin actions and ban refusals are structured log events (issue 6 item 7;
docs/security.md#input-validation, docs/security.md#errors):
one record per action with the admin as ``user_id``, the target, the client's IP and user agent,
and never a cookie, token or password."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

import pytest

from authkit.observability import WARNING_EVENTS

from ...support.clients import HTTPClient
from ...support.fixtures import SECRET
from .conftest import PASSWORD, Cast

A = "/api/auth/admin"
UA = {"User-Agent": "admin-console/1.0"}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="authkit")
    return caplog


def one(logs: pytest.LogCaptureFixture, name: str) -> logging.LogRecord:
    """The single record of event ``name``."""
    found = [r for r in logs.records if getattr(r, "event", None) == name]
    assert len(found) == 1, [r.getMessage() for r in found]
    return found[0]


def assert_no_secret(logs: pytest.LogCaptureFixture, secrets: Iterable[str]) -> None:
    """No record, message or extra field, holds any of ``secrets``."""
    wanted = [s for s in secrets if s]
    assert logs.records
    for record in logs.records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in wanted:
            assert secret not in text, (secret, record.getMessage())


def cookie_values(*clients: HTTPClient) -> list[str]:
    """Every cookie value the clients hold, and the raw session token inside each."""
    out = []
    for client in clients:
        for name, value in client.jar.items():
            out.append(value)
            if name.endswith("session_token"):
                out.append(unquote(value).split(".")[0])
    return out


def test_ban_is_one_record_with_actor_target_reason_and_expiry(cast: Cast, logs: Any) -> None:
    root = cast.client("root")
    alice_session = cast.client("alice").get("/api/auth/get-session").json["session"]["token"]
    res = root.post(A + "/ban-user", headers=UA, json={
        "userId": cast.ids["alice"], "banReason": "spam\r\nadmin.user_unbanned user_id=x",
        "banExpiresIn": 3600})
    assert res.status == 200
    rec = one(logs, "admin.user_banned")
    assert rec.levelno == logging.INFO
    assert rec.user_id == cast.ids["root"] and rec.target_user_id == cast.ids["alice"]
    assert rec.ip == "127.0.0.1" and rec.user_agent == "admin-console/1.0"
    assert rec.path == "/admin/ban-user"
    # The reason is the admin's free text: escaped, so it cannot forge a second line.
    assert rec.reason == "spam\\r\\nadmin.user_unbanned user_id=x"
    assert "\n" not in rec.getMessage()
    stored = cast.auth.db.get_user_by_id(cast.ids["alice"])
    assert stored is not None and rec.expires == stored.extra["banExpires"].isoformat()
    assert res.json["user"]["banExpires"]
    assert rec.authkit["target_user_id"] == cast.ids["alice"]  # the JSON formatter's view
    assert_no_secret(logs, [alice_session, SECRET, PASSWORD,
                            *cookie_values(*cast.clients.values())])


def test_unban_is_one_record(cast: Cast, logs: Any) -> None:
    root = cast.client("root")
    root.post(A + "/ban-user", json={"userId": cast.ids["bob"]})
    assert root.post(A + "/unban-user", headers=UA,
                     json={"userId": cast.ids["bob"]}).status == 200
    rec = one(logs, "admin.user_unbanned")
    assert rec.user_id == cast.ids["root"] and rec.target_user_id == cast.ids["bob"]
    assert rec.ip == "127.0.0.1" and rec.user_agent == "admin-console/1.0"
    assert not hasattr(rec, "via")  # over HTTP
    assert_no_secret(logs, [SECRET, PASSWORD, *cookie_values(root)])


def test_impersonation_start_and_stop_are_one_record_each(cast: Cast, logs: Any) -> None:
    root = cast.client("root")
    root_token = root.get("/api/auth/get-session").json["session"]["token"]
    res = root.post(A + "/impersonate-user", headers=UA, json={"userId": cast.ids["alice"]})
    assert res.status == 200
    session = res.json["session"]
    rec = one(logs, "admin.impersonation_started")
    assert rec.user_id == cast.ids["root"] and rec.target_user_id == cast.ids["alice"]
    assert rec.session_id == session["id"] and rec.expires_in == 3600
    assert rec.ip == "127.0.0.1" and rec.user_agent == "admin-console/1.0"
    held = cookie_values(root)  # the impersonation cookies and the signed admin_session
    assert root.post(A + "/stop-impersonating", headers=UA).status == 200
    rec = one(logs, "admin.impersonation_stopped")
    assert rec.user_id == cast.ids["root"] and rec.target_user_id == cast.ids["alice"]
    assert rec.session_id == session["id"]
    assert_no_secret(logs, [root_token, session["token"], SECRET, PASSWORD, *held,
                            *cookie_values(root)])


def test_banned_sign_in_is_a_warning(cast: Cast, logs: Any) -> None:
    cast.client("root").post(A + "/ban-user", json={"userId": cast.ids["alice"]})
    res = cast.anonymous().post("/api/auth/sign-in/email", headers=UA, json={
        "email": "alice@example.com", "password": PASSWORD})
    assert res.status == 403
    rec = one(logs, "ban.refused")
    assert "ban.refused" in WARNING_EVENTS and rec.levelno == logging.WARNING
    assert rec.user_id == cast.ids["alice"] and rec.reason == "BANNED_USER"
    assert rec.ip == "127.0.0.1" and rec.path == "/sign-in/email"


def _bob_session(cast: Cast) -> str:
    return str(cast.client("bob").get("/api/auth/get-session").json["session"]["token"])


# route → (event, body builder, fields the record carries besides user_id/target_user_id)
ACTIONS: dict[str, tuple[str, Any, dict[str, Any]]] = {
    "set-role": ("admin.role_set", lambda c: {"userId": c.ids["bob"], "role": ["user", "admin"]},
                 {"role": "user,admin"}),
    "remove-user": ("admin.user_removed", lambda c: {"userId": c.ids["bob"]}, {}),
    "set-user-password": ("admin.password_set", lambda c: {
        "userId": c.ids["bob"], "newPassword": "brand-new-pass-7"}, {}),
    "revoke-user-session": ("admin.session_revoked", lambda c: {
        "sessionToken": _bob_session(c)}, {"revoked": True}),
    "revoke-user-sessions": ("admin.sessions_revoked", lambda c: (
        _bob_session(c), {"userId": c.ids["bob"]})[1], {"count": 1}),
    "update-user": ("admin.user_updated", lambda c: {
        "userId": c.ids["bob"], "data": {"name": "Robert", "image": None}},
        {"columns": "image,name"}),
}


@pytest.mark.parametrize("route", sorted(ACTIONS))
def test_other_admin_actions_are_logged(cast: Cast, logs: Any, route: str) -> None:
    event, build, fields = ACTIONS[route]
    body = build(cast)
    root = cast.client("root")
    assert root.post(f"{A}/{route}", headers=UA, json=body).status == 200
    rec = one(logs, event)
    assert rec.user_id == cast.ids["root"] and rec.target_user_id == cast.ids["bob"]
    assert rec.ip == "127.0.0.1" and rec.path == f"/admin/{route}"
    for key, value in fields.items():
        assert getattr(rec, key) == value, key
    assert_no_secret(logs, ["brand-new-pass-7", body.get("sessionToken", ""), SECRET,
                            *cookie_values(*cast.clients.values())])


def test_ban_through_update_user_is_logged_as_a_ban(cast: Cast, logs: Any) -> None:
    res = cast.client("root").post(A + "/update-user", json={
        "userId": cast.ids["bob"], "data": {"banned": True, "banReason": "fraud",
                                            "role": "user"}})
    assert res.status == 200
    assert one(logs, "admin.user_updated").columns == "banReason,banned,role"
    rec = one(logs, "admin.user_banned")
    assert rec.user_id == cast.ids["root"] and rec.reason == "fraud" and rec.expires is None
    assert one(logs, "admin.role_set").role == "user"


def test_create_user_names_the_admin_or_the_in_process_call(cast: Cast, logs: Any) -> None:
    res = cast.client("root").post(A + "/create-user", json={
        "email": "carol@example.com", "password": "carol-pass-1", "name": "Carol"})
    rec = one(logs, "admin.user_created")
    assert rec.user_id == cast.ids["root"] and rec.target_user_id == res.json["user"]["id"]
    assert rec.role == "user" and not hasattr(rec, "via")
    logs.clear()
    dave = cast.auth.api.create_user(body={"email": "dave@example.com", "name": "Dave"})
    rec = one(logs, "admin.user_created")
    assert rec.target_user_id == dave["user"].id and rec.via == "api"
    assert getattr(rec, "user_id", None) is None and rec.ip is None
    assert_no_secret(logs, ["carol-pass-1", SECRET])
