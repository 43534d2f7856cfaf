"""`authkit create-user --role`, `set-role`, `ban`, `unban`, `list-users` (issue 5 item 7), and
`authkit serve`'s admin plugin with AUTHKIT_ADMIN_EMAILS."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from authkit.cli import load_app, main
from authkit.settings import from_env

from ...support.fixtures import SECRET
from ...support.live_servers import authkit_server


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    for name in [k for k in os.environ if k.startswith("AUTHKIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTHKIT_SECRET", SECRET)
    monkeypatch.setenv("AUTHKIT_DATABASE_URL", f"sqlite:///{tmp_path}/ops.db")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_operator_commands(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "create-user", "--email", "Ops@Example.com", "--password",
                       "pass-word-1", "--name", "Ops", "--role", "admin")
    assert code == 0 and "<ops@example.com>" in out
    run(capsys, "create-user", "--email", "amy@example.com", "--password", "pass-word-1",
        "--name", "Amy")
    auth = load_app(None)
    assert auth.db.get_user_by_email("ops@example.com").extra["role"] == "admin"
    assert auth.db.get_user_by_email("amy@example.com").extra["role"] == "user"

    code, out, _ = run(capsys, "set-role", "--email", "AMY@example.com", "--role", "user,admin")
    assert code == 0 and "role=user,admin" in out
    amy = auth.db.get_user_by_email("amy@example.com")
    assert amy.extra["role"] == "user,admin"

    code, out, _ = run(capsys, "ban", "--user-id", amy.id, "--reason", "abuse",
                       "--expires-in", "3600")
    assert code == 0 and "banned" in out
    banned = auth.db.get_user_by_id(amy.id)
    assert banned.extra["banned"] is True and banned.extra["banReason"] == "abuse"
    with pytest.raises(Exception) as err:
        auth.api.sign_in_email(body={"email": "amy@example.com", "password": "pass-word-1"})
    assert getattr(err.value, "code", None) == "BANNED_USER"
    code, out, _ = run(capsys, "unban", "--email", "amy@example.com")
    assert code == 0 and auth.db.get_user_by_id(amy.id).extra["banned"] is False

    code, out, _ = run(capsys, "list-users")
    assert code == 0 and out.splitlines()[-1] == "2 of 2 user(s)"
    assert out.index("amy@example.com") < out.index("ops@example.com")  # newest first
    code, out, _ = run(capsys, "list-users", "--search", "ops")
    assert "ops@example.com" in out and "amy@" not in out and "1 of 1" in out


def test_operator_commands_are_logged(env: Path, capsys: pytest.CaptureFixture[str],
                                      caplog: pytest.LogCaptureFixture) -> None:
    """The CLI's bans and role changes leave the same events as the routes', marked
    ``via="cli"`` and with no actor (the operator is not a user)."""
    caplog.set_level(logging.INFO, logger="authkit")
    run(capsys, "create-user", "--email", "amy@example.com", "--password", "pass-word-1",
        "--name", "Amy")
    amy = load_app(None).db.get_user_by_email("amy@example.com")
    run(capsys, "set-role", "--user-id", amy.id, "--role", "user,admin")
    run(capsys, "ban", "--user-id", amy.id, "--reason", "abuse\nforged", "--expires-in", "60")
    run(capsys, "unban", "--email", "amy@example.com")
    events = {getattr(r, "event", None): r for r in caplog.records}
    for name in ("admin.user_created", "admin.role_set", "admin.user_banned",
                 "admin.user_unbanned"):
        assert events[name].target_user_id == amy.id, name
    assert events["admin.user_created"].via == "api"  # through auth.api.create_user
    banned = events["admin.user_banned"]
    assert banned.via == "cli" and banned.user_id is None and not hasattr(banned, "ip")
    assert banned.reason == "abuse\\nforged" and banned.expires
    assert events["admin.role_set"].role == "user,admin"
    assert events["admin.user_unbanned"].via == "cli"
    assert "pass-word-1" not in caplog.text and SECRET not in caplog.text


def test_operator_command_errors(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "set-role", "--email", "ghost@example.com", "--role", "admin")
    assert code == 2 and "no user has the email" in err
    code, _, err = run(capsys, "ban", "--user-id", "nope")
    assert code == 2 and "User not found" in err and "Traceback" not in err


def test_serve_settings_include_the_admin_plugin(env: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from authkit.plugins.admin import AdminPlugin

    kwargs = from_env()
    assert any(isinstance(p, AdminPlugin) for p in kwargs["plugins"])
    assert "database_hooks" not in kwargs
    monkeypatch.setenv("AUTHKIT_ADMIN_EMAILS", "a@example.com, b@example.com")
    assert "database_hooks" in from_env()


def post(url: str, body: Any, cookie: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(req) as res:
        return res.headers.get("Set-Cookie"), json.loads(res.read())


def test_serve_admin_emails_get_role_admin(tmp_path: Path) -> None:
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/s.db", secret=SECRET,
                        extra_env={"AUTHKIT_ADMIN_EMAILS": "admin@example.com"}) as server:
        base = server.base_url + "/api/auth"
        cookie, body = post(base + "/sign-up/email", {"email": "Admin@Example.com",
                                                      "password": "pass-word-1", "name": "A"})
        assert body["user"]["role"] == "admin"
        _, other = post(base + "/sign-up/email", {"email": "u@example.com",
                                                  "password": "pass-word-1", "name": "U"})
        assert other["user"]["role"] == "user"
        req = urllib.request.Request(base + "/admin/list-users",
                                     headers={"Cookie": cookie.split(";", 1)[0]})
        with urllib.request.urlopen(req) as res:
            assert json.loads(res.read())["total"] == 2
