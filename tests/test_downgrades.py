"""Loud downgrades: a warning at start-up for each protection the configuration turns off,
and a database that accepts connections but never answers costs a request at most the
connect timeout (5 s by default) before its 503."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from authkit import AuthKit
from authkit.storage.engine import CONNECT_TIMEOUT
from tests.support.clients import make_client
from tests.support.fixtures import SECRET, MakeAuth
from tests.support.live_servers import authkit_server

EVENTS = ("config.insecure_base_url", "config.csrf_check_disabled",
          "config.origin_check_disabled", "config.rate_limit_disabled")


def _events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.__dict__["event"] for r in caplog.records
            if r.levelno == logging.WARNING and r.__dict__.get("event") in EVENTS]


@pytest.mark.parametrize(("options", "expected"), [
    ({"production": True, "base_url": "https://auth.example.com"}, []),
    ({"production": True, "base_url": "http://auth.example.com"},
     ["config.insecure_base_url"]),
    ({"production": False, "base_url": "http://localhost:3000"}, []),
    ({"advanced": {"disable_csrf_check": True}}, ["config.csrf_check_disabled"]),
    ({"advanced": {"disable_origin_check": True}}, ["config.origin_check_disabled"]),
    ({"production": True, "base_url": "https://auth.example.com",
      "rate_limit": {"enabled": False}}, ["config.rate_limit_disabled"]),
    ({"rate_limit": {"enabled": False}}, []),  # development: off is the default anyway
])
def test_each_downgrade_is_logged_once(make_auth: MakeAuth, caplog: pytest.LogCaptureFixture,
                                       options: dict[str, Any], expected: list[str]) -> None:
    with caplog.at_level(logging.WARNING, logger="authkit"):
        make_auth(**options)
    assert _events(caplog) == expected


def test_production_over_http_warns_at_serve_start(tmp_path: Path) -> None:
    """``authkit serve`` in production on an http:// base URL with rate limiting off: both
    downgrades are in its log before it answers."""
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/auth.db", secret=SECRET,
                        extra_env={"AUTHKIT_ENV": "production"}) as server:
        log = server.log.read_text()
    assert "cookies are sent without Secure" in log
    assert "rate limiting is off in production" in log


# -- a database that never answers -------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port whose connections the kernel accepts and nobody ever answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_default_connect_timeout_is_at_most_5_seconds() -> None:
    assert CONNECT_TIMEOUT <= 5


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
@pytest.mark.parametrize("timeout", [None, 1])
def test_silent_database_answers_503_within_the_connect_timeout(
        make_auth: MakeAuth, silent_port: int, scheme: str, timeout: int | None) -> None:
    pytest.importorskip("psycopg" if scheme == "postgresql" else "pymysql")
    url = f"{scheme}://root@127.0.0.1:{silent_port}/authkit"
    if timeout is not None:
        url += f"?connect_timeout={timeout}"  # configurable, as AUTHKIT_DATABASE_URL
    auth: AuthKit = make_auth(database=url, migrate=False)
    client = make_client("wsgi", auth)
    client.jar["better-auth.session_token"] = "x.y"
    started = time.monotonic()
    res = client.post("/api/auth/sign-in/email",
                      json={"email": "a@example.com", "password": "correct-horse-1"})
    elapsed = time.monotonic() - started
    assert res.status == 503 and res.json["code"] == "SERVICE_UNAVAILABLE"
    limit = timeout if timeout is not None else 5  # the documented ceiling of the default
    assert elapsed <= limit + 1.5, elapsed
    assert elapsed >= min(limit, CONNECT_TIMEOUT) - 0.5, elapsed  # it did wait, then gave up
