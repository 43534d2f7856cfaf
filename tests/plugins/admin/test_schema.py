"""The plugin's columns, indexes and database hooks (docs/wire-compatibility.md#roles;
docs/security.md#authorization)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from authkit.plugins.admin import admin, admin_emails_hooks

from ...support.clients import make_client
from ...support.fixtures import sign_up


@pytest.fixture
def client(kind: str, make_auth: Any) -> Any:
    return make_client(kind, make_auth(plugins=[admin()]))


def test_sign_up_gets_the_default_role_and_the_admin_fields(client: Any) -> None:
    user = sign_up(client).json["user"]
    assert (user["role"], user["banned"], user["banReason"], user["banExpires"]) == (
        "user", False, None, None)
    assert list(user)[-5:] == ["role", "banned", "banReason", "banExpires", "id"]


def test_default_role_option(kind: str, make_auth: Any) -> None:
    client = make_client(kind, make_auth(plugins=[admin(default_role="member")]))
    assert sign_up(client).json["user"]["role"] == "member"


@pytest.mark.parametrize("field,value", [("role", "admin"), ("banReason", "x"),
                                         ("banExpires", "2030-01-01T00:00:00.000Z")])
def test_mass_assignment_on_sign_up_is_refused(client: Any, field: str, value: Any) -> None:
    """docs/security.md#authorization: input=False fields cannot be set by the user signing up."""
    res = client.post("/api/auth/sign-up/email", json={
        "email": "m@example.com", "password": "correct-horse-1", "name": "M", field: value})
    assert res.status == 400
    assert res.json == {"message": f"{field} is not allowed to be set",
                        "code": "FIELD_NOT_ALLOWED"}


def test_sign_up_cannot_ban_itself_out_or_verify_or_impersonate(client: Any) -> None:
    user = sign_up(client, banned=True, emailVerified=True, impersonatedBy="root",
                   id="chosen", createdAt="2000-01-01T00:00:00.000Z").json["user"]
    assert user["banned"] is False and user["emailVerified"] is False
    assert user["id"] != "chosen" and not user["createdAt"].startswith("2000")
    session = client.get("/api/auth/get-session").json["session"]
    assert session.get("impersonatedBy") is None


def test_update_user_cannot_set_admin_fields(client: Any) -> None:
    """docs/security.md#authorization on /update-user: the row is unchanged."""
    sign_up(client)
    for field, value in (("role", "admin"), ("banned", True), ("banReason", "x")):
        res = client.post("/api/auth/update-user", json={field: value})
        assert res.status == 400 and res.json["code"] == "FIELD_NOT_ALLOWED", field
    user = client.get("/api/auth/get-session").json["user"]
    assert user["role"] == "user" and user["banned"] is False


def test_admin_emails_hooks_promote_on_sign_up(kind: str, make_auth: Any) -> None:
    auth = make_auth(plugins=[admin()],
                     database_hooks=admin_emails_hooks(["Boss@Example.com", " "]))
    client = make_client(kind, auth)
    assert sign_up(client, email="boss@example.com").json["user"]["role"] == "admin"
    other = make_client(kind, auth)
    assert sign_up(other, email="worker@example.com").json["user"]["role"] == "user"


def test_migrate_creates_the_list_users_indexes(make_auth: Any, db_url: str) -> None:
    auth = make_auth(database=db_url, plugins=[admin()])
    with auth.storage.engine.connect() as conn:
        names = {ix["name"] for ix in inspect(conn).get_indexes("user")}
        dialect = conn.dialect.name
    expected = {"user_createdAt_id_idx", "user_name_id_idx", "user_role_idx"}
    if dialect == "postgresql":
        expected.add("user_email_pattern_idx")
    assert expected <= names
    if dialect != "postgresql":
        assert "user_email_pattern_idx" not in names
    assert auth.migrate() == []  # idempotent: nothing left to do on any database


def test_migrate_adds_the_plugin_to_an_existing_database(make_auth: Any, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/grow.db"
    make_auth(database=url)
    done = make_auth(database=url, plugins=[admin()], migrate=False).migrate()
    assert "add column user.role" in done and "add column session.impersonatedBy" in done
    assert "create index user_createdAt_id_idx" in done
