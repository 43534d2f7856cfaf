"""The `authkit` command: secret, migrate, create-user, serve (with workers)."""

import json
import urllib.request

from .support.fixtures import SECRET
from .support.live_servers import authkit_cli, authkit_server


def env_for(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHKIT_")}
    env.update({"AUTHKIT_SECRET": SECRET, "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"})
    return env


def test_secret_prints_a_strong_random_value(tmp_path):
    first = authkit_cli(["secret"], env_for(tmp_path), tmp_path).stdout.strip()
    second = authkit_cli(["secret"], env_for(tmp_path), tmp_path).stdout.strip()
    assert len(first) >= 43 and first != second


def test_migrate_is_idempotent(tmp_path):
    env = env_for(tmp_path)
    first = authkit_cli(["migrate"], env, tmp_path)
    assert first.returncode == 0 and "create table user" in first.stdout
    again = authkit_cli(["migrate"], env, tmp_path)
    assert again.returncode == 0 and again.stdout.strip() == "nothing to do"


def test_create_user_then_sign_in_and_duplicate_is_a_clear_error(tmp_path):
    env = env_for(tmp_path)
    args = ["create-user", "--email", "Ops@Example.com", "--password", "pass-word-1",
            "--name", "Ops"]
    done = authkit_cli(args, env, tmp_path)
    assert done.returncode == 0 and "<ops@example.com>" in done.stdout
    again = authkit_cli(args, env, tmp_path)
    assert again.returncode == 2
    assert "User already exists" in again.stderr and "Traceback" not in again.stderr


def test_bad_environment_is_refused_with_a_message(tmp_path):
    env = {**env_for(tmp_path), "AUTHKIT_RATE_LIMIT": "sometimes"}
    out = authkit_cli(["migrate"], env, tmp_path)
    assert out.returncode == 2 and "use 'on' or 'off'" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_with_two_workers_shares_sessions(tmp_path):
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/w.db", secret=SECRET,
                        serve_args=("--workers", "2")) as server:
        body = json.dumps({"email": "w@example.com", "password": "pass-word-1",
                           "name": "W"}).encode()
        req = urllib.request.Request(f"{server.base_url}/api/auth/sign-up/email", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as res:
            cookie = res.headers["Set-Cookie"].split(";", 1)[0]
        for _ in range(6):  # spread over the worker processes
            req = urllib.request.Request(f"{server.base_url}/api/auth/get-session",
                                         headers={"Cookie": cookie})
            with urllib.request.urlopen(req) as res:
                assert json.loads(res.read())["user"]["email"] == "w@example.com"
