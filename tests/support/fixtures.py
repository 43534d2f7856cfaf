"""Shared fixtures: a controllable clock, AuthKit factories, and WSGI/ASGI clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authkit import AuthKit
from authkit.passwords import ScryptHasher

from .clients import HTTPClient, make_client

SECRET = "test-secret-0123456789-test-secret-0123456789"
START = 1_790_000_000.0  # 2026-09-21, a fixed instant so dates in assertions are stable


class Clock:
    """A clock the tests move by hand; nothing in the suite sleeps to let time pass."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FastScrypt(ScryptHasher):
    """Better Auth's scrypt format at a low cost: same code path, a fraction of the time."""

    def __init__(self) -> None:
        super().__init__(n=1024, r=8, p=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


MakeAuth = Callable[..., AuthKit]


@pytest.fixture
def make_auth(tmp_path: Any, clock: Clock) -> Iterator[MakeAuth]:
    """Build a migrated AuthKit on a fresh SQLite file (override any option by keyword)."""
    made: list[AuthKit] = []

    def make(*, migrate: bool = True, **kw: Any) -> AuthKit:
        kw.setdefault("secret", SECRET)
        kw.setdefault("database", f"sqlite:///{tmp_path}/auth-{len(made)}.db")
        kw.setdefault("base_url", "http://localhost:3000")
        kw.setdefault("clock", clock)
        eap = dict(kw.pop("email_and_password", {}) or {})
        eap.setdefault("enabled", True)
        eap.setdefault("password_hasher", FastScrypt())
        kw["email_and_password"] = eap
        auth = AuthKit(**kw)
        if migrate:
            auth.migrate()
        made.append(auth)
        return auth

    yield make
    for auth in made:
        auth.storage.engine.dispose()


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth()


@pytest.fixture(params=["wsgi", "asgi"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(kind: str, auth: AuthKit) -> HTTPClient:
    return make_client(kind, auth)


def sign_up(client: HTTPClient, email: str = "alice@example.com",
            password: str = "correct-horse-1", name: str = "Alice", **extra: Any) -> Any:
    """Sign up through HTTP and return the result (cookies land in the client's jar)."""
    res = client.post("/api/auth/sign-up/email",
                      json={"email": email, "password": password, "name": name, **extra})
    assert res.status == 200, res.body
    return res
