"""Paths that accept API keys and bearer JWTs besides the browser session (a middleware
``credentials`` rule, the Flask config key, and FastAPI's ``authenticated(...)``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from starlette_authkit import authenticated, authkit_middleware, credential_of

from authkit import AuthKit, SessionWithUser, WSGIAuthMiddleware
from authkit.errors import ConfigError
from authkit.plugins import admin, api_key, jwt

from .support.clients import HTTPClient, make_client
from .support.fixtures import MakeAuth, sign_up

SERVICE = {"/api/service/:path*": ("session", "api-key", "jwt")}
machine = authenticated("api-key", "jwt")  # module level: FastAPI reads annotations there


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(plugins=[admin(), jwt(), api_key(enable_session_for_api_keys=True)])


def _wsgi_app(auth: AuthKit, **rules: Any) -> HTTPClient:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        state = environ["authkit.auth"]
        body = {"credential": state.credential,
                "user": state.user.email if state.user else None}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return HTTPClient("wsgi", WSGIAuthMiddleware(app, auth, protect=["/api/*"], **rules))


def _credentials(auth: AuthKit) -> tuple[HTTPClient, str, str]:
    browser = make_client("wsgi", auth)
    sign_up(browser)
    key = browser.post("/api/auth/api-key/create", json={}).json["key"]
    token = browser.get("/api/auth/token").json["token"]
    return browser, key, token


def test_service_paths_accept_keys_and_jwts(auth: AuthKit) -> None:
    browser, key, token = _credentials(auth)
    app = _wsgi_app(auth, credentials=SERVICE)
    app.jar = dict(browser.jar)
    assert app.get("/api/service/report").json == {"credential": "session",
                                                   "user": "alice@example.com"}
    assert app.get("/api/private").json["credential"] == "session"
    app.jar = {}
    for headers, kind in (({"x-api-key": key}, "api-key"),
                          ({"Authorization": f"Bearer {token}"}, "jwt")):
        res = app.get("/api/service/report", headers=headers)
        assert res.json == {"credential": kind, "user": "alice@example.com"}
        # A session-only path ignores the credential: unauthenticated, the key not counted.
        used = auth.storage.find_row("apikey", {})
        assert app.get("/api/private", headers=headers).status == 401
        assert auth.storage.find_row("apikey", {}) == used
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    assert app.get("/api/service/x", headers={"Authorization": f"Bearer {forged}"}).status == 401
    assert app.get("/api/service/x", headers={"x-api-key": "Z" * 64}).status == 401
    # The rule widens access, so it matches exact case only (protect ignores case).
    assert app.get("/API/SERVICE/report", headers={"x-api-key": key}).status == 401


def test_machine_only_paths_refuse_the_cookie(auth: AuthKit) -> None:
    browser, key, _ = _credentials(auth)
    app = _wsgi_app(auth, credentials={"/api/machine/*": "api-key"})
    app.jar = dict(browser.jar)
    assert app.get("/api/machine/x").status == 401
    assert app.get("/api/machine/x", headers={"x-api-key": key}).json["credential"] == "api-key"


def test_jwt_of_a_banned_or_deleted_user_is_refused(auth: AuthKit) -> None:
    _, _, token = _credentials(auth)
    app = _wsgi_app(auth, credentials=SERVICE)
    headers = {"Authorization": f"Bearer {token}"}
    assert app.get("/api/service/x", headers=headers).status == 200
    user = auth.storage.get_user_by_email("alice@example.com")
    assert user is not None
    auth.storage.update_user(user.id, {"banned": True})
    assert app.get("/api/service/x", headers=headers).status == 401
    auth.storage.update_user(user.id, {"banned": False})
    assert app.get("/api/service/x", headers=headers).status == 200
    assert auth.db.delete_user(None, user)
    assert app.get("/api/service/x", headers=headers).status == 401


def test_flask_config_key(auth: AuthKit) -> None:
    from flask import Flask, jsonify
    from flask_authkit import FlaskAuthKit, current_session

    app = Flask(__name__)
    app.config.update(AUTHKIT_PROTECT=["/api/*"], AUTHKIT_CREDENTIALS=SERVICE)

    @app.get("/api/service/me")
    def me() -> Any:
        return jsonify(email=current_session.user.email)  # type: ignore[union-attr]

    FlaskAuthKit(app, auth=auth)
    _, key, _ = _credentials(auth)
    client = app.test_client()
    assert client.get("/api/service/me", headers={"x-api-key": key}).json == {
        "email": "alice@example.com"}
    assert client.get("/api/service/me").status_code == 401


def test_bad_credentials_rule_is_a_config_error(auth: AuthKit) -> None:
    with pytest.raises(ConfigError, match="session, api-key, jwt"):
        _wsgi_app(auth, credentials={"/api/*": ("password",)})


def test_fastapi_dependency(auth: AuthKit) -> None:
    api = FastAPI(middleware=authkit_middleware(auth))

    @api.get("/machine")
    async def for_machines(session: Annotated[SessionWithUser, Depends(machine)]
                           ) -> dict[str, Any]:
        return {"credential": credential_of(session), "email": session.user.email}

    browser, key, token = _credentials(auth)
    client = HTTPClient("asgi", api)
    assert client.get("/machine", headers={"x-api-key": key}).json == {
        "credential": "api-key", "email": "alice@example.com"}
    assert client.get("/machine", headers={"Authorization": f"Bearer {token}"}).json[
        "credential"] == "jwt"
    client.jar = dict(browser.jar)
    assert client.get("/machine").status == 401  # the browser session is not accepted here


def test_a_key_over_its_limit_is_429_not_signed_out(make_auth: MakeAuth) -> None:
    auth = make_auth(plugins=[api_key(enable_session_for_api_keys=True, rate_limit_max=1)])
    browser = make_client("wsgi", auth)
    sign_up(browser)
    key = browser.post("/api/auth/api-key/create", json={}).json["key"]
    app = _wsgi_app(auth, credentials=SERVICE)
    assert app.get("/api/service/x", headers={"x-api-key": key}).status == 200
    res = app.get("/api/service/x", headers={"x-api-key": key})
    assert (res.status, res.json["code"]) == (429, "RATE_LIMITED")
    assert res.json["details"]["tryAgainIn"] > 0
    api = FastAPI(middleware=authkit_middleware(auth))

    @api.get("/machine")
    async def for_machines(session: Annotated[SessionWithUser, Depends(machine)]) -> str:
        return session.user.id

    limited = HTTPClient("asgi", api).get("/machine", headers={"x-api-key": key})
    assert (limited.status, limited.json["code"]) == (429, "RATE_LIMITED")
