"""require_session / require_role / with_auth over environs, scopes and request objects."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from authkit import APIError, AuthKit, FieldSpec, SessionWithUser
from authkit.helpers import request_auth, require_role, require_session, with_auth
from authkit.http import Headers
from authkit.middleware import AuthRules, RequestAuth
from tests.support import fixtures
from tests.support.fixtures import MakeAuth

clock, make_auth = fixtures.clock, fixtures.make_auth


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(user={"additional_fields": [FieldSpec("role", "string", input=False,
                                                           default="user")]})


def state_for(auth: AuthKit, cookie: str | None, **kw: Any) -> RequestAuth:
    headers = Headers({"cookie": cookie} if cookie else {})
    return RequestAuth(auth, lambda: headers, rules=AuthRules(sign_in_path="/login"),
                       path="/reports", query_string="q=1", **kw)


def cookie_of(auth: AuthKit, email: str = "ann@example.com", role: str = "user") -> str:
    out = auth.api.sign_up_email(body={"email": email, "password": "correct-horse-1",
                                       "name": "Ann"}, return_headers=True)
    auth.storage.update_user(out.response.user.id, {"role": role})
    return "; ".join(line.split(";", 1)[0] for line in out.headers.get_all("set-cookie"))


def test_request_auth_finds_the_state_everywhere(auth: AuthKit) -> None:
    state = state_for(auth, None)
    assert request_auth({"authkit.session": state}) is state  # WSGI environ
    assert request_auth({"type": "http", "authkit": state}) is state  # ASGI scope
    assert request_auth(SimpleNamespace(environ={"authkit.session": state})) is state
    assert request_auth(SimpleNamespace(scope={"authkit": state})) is state
    assert request_auth(state) is state
    with pytest.raises(RuntimeError, match="AuthMiddleware"):
        request_auth({"REQUEST_METHOD": "GET"})


def test_require_session(auth: AuthKit) -> None:
    with pytest.raises(APIError) as refused:
        require_session({"authkit.session": state_for(auth, None)})
    assert refused.value.status == 401 and refused.value.code == "UNAUTHORIZED"
    assert refused.value.headers == [("Location", "/login?callbackURL=%2Freports%3Fq%3D1")]
    session = require_session({"authkit.session": state_for(auth, cookie_of(auth))})
    assert session.user.email == "ann@example.com"


def test_require_role(auth: AuthKit) -> None:
    user_cookie = cookie_of(auth)
    with pytest.raises(APIError) as refused:
        require_role({"authkit.session": state_for(auth, user_cookie)}, "admin")
    assert refused.value.status == 403 and refused.value.code == "FORBIDDEN"
    assert require_role({"authkit.session": state_for(auth, user_cookie)}, "admin", "user")
    admin_cookie = cookie_of(auth, "root@example.com", "user,admin")
    assert require_role({"authkit.session": state_for(auth, admin_cookie)}, "admin")
    with pytest.raises(APIError) as anon:
        require_role({"authkit.session": state_for(auth, None)}, "admin")
    assert anon.value.status == 401


def test_with_auth_sync_and_async(auth: AuthKit) -> None:
    @with_auth
    def sync_handler(request: Any, session: SessionWithUser, suffix: str) -> str:
        return session.user.email + suffix

    @with_auth(role="admin")
    async def async_handler(request: Any, session: SessionWithUser) -> str:
        return "admin " + session.user.email

    cookie = cookie_of(auth)
    assert sync_handler({"authkit.session": state_for(auth, cookie)}, "!") == \
        "ann@example.com!"
    with pytest.raises(APIError, match="Unauthorized"):
        sync_handler({"authkit.session": state_for(auth, None)}, "!")
    scope = {"authkit": state_for(auth, cookie, is_async=True)}
    with pytest.raises(APIError) as refused:
        asyncio.run(async_handler(scope))
    assert refused.value.status == 403
    root = cookie_of(auth, "root@example.com", "admin")
    scope = {"authkit": state_for(auth, root, is_async=True)}
    assert asyncio.run(async_handler(scope)) == "admin root@example.com"
    assert sync_handler.__name__ == "sync_handler"
