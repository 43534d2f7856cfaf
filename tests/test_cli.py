"""The `authkit` command: secret, migrate, create-user, serve (with workers)."""

import json
import urllib.error
import urllib.request

from .support.fixtures import SECRET
from .support.live_servers import Server, authkit_cli, authkit_server


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


def _sign_in_status(server: Server, forwarded_for: str | None) -> int:
    body = json.dumps({"email": "nobody@example.com", "password": "not-the-password"}).encode()
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    req = urllib.request.Request(f"{server.base_url}/api/auth/sign-in/email", data=body,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req) as res:
            return int(res.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_serve_ignores_forwarded_for_without_trusted_proxies(tmp_path):  # docs/security.md#rate-limiting
    # uvicorn believes X-Forwarded-For from 127.0.0.1 by default; `authkit serve` must not, or
    # a client on the same host picks a fresh rate-limit bucket with every request.
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/x.db", secret=SECRET,
                        extra_env={"AUTHKIT_RATE_LIMIT": "on"}) as server:
        codes = [_sign_in_status(server, f"10.0.0.{i}") for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]  # sign-in allows 3 per 10 s per client


def test_serve_believes_forwarded_for_from_a_trusted_proxy(tmp_path):
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/y.db", secret=SECRET,
                        extra_env={"AUTHKIT_RATE_LIMIT": "on",
                                   "AUTHKIT_TRUSTED_PROXIES": "127.0.0.1"}) as server:
        codes = [_sign_in_status(server, f"10.0.0.{i}") for i in range(5)]
        same = [_sign_in_status(server, "10.0.0.99") for _ in range(4)]
    assert codes == [401] * 5  # five clients behind the proxy, one attempt each
    assert same == [401, 401, 401, 429]
