"""The Flask extension: init_app, config keys, proxies, decorators, APIError as JSON."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest
from flask import Flask, render_template_string, request
from flask_authkit import (
    FlaskAuthKit,
    current_session,
    current_user,
    login_required,
    role_required,
)

from authkit import APIError, AuthKit, ConfigError, FieldSpec
from authkit.helpers import require_role, require_session, with_auth
from tests.support import fixtures
from tests.support.clients import HTTPClient
from tests.support.fixtures import MakeAuth

clock, make_auth = fixtures.clock, fixtures.make_auth
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(user={"additional_fields": [FieldSpec("role", "string", input=False,
                                                           default="user")]})


def make_app(auth: AuthKit, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    ext = FlaskAuthKit(auth=auth)
    ext.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template_string("{{ current_user.email if current_user else 'anon' }}")

    @app.get("/dashboard")
    @login_required
    def dashboard() -> dict[str, Any]:
        assert current_session is not None and current_user is not None
        return {"email": current_user.email, "session": current_session.session.id}

    @app.get("/admin")
    @role_required("admin")
    def admin() -> str:
        return "admin area"

    @app.get("/teapot")
    def teapot() -> str:
        raise APIError(418, "TEAPOT", "I'm a teapot")

    @app.get("/helper")
    def helper() -> str:
        return require_session(request).user.email

    @app.get("/helper-role")
    def helper_role() -> str:
        return require_role(request, "admin").user.email

    @with_auth
    def plain(req: Any, session: Any) -> str:
        return f"plain {session.user.name}"

    app.add_url_rule("/plain", "plain", lambda: plain(request))
    return app


def client_for(app: Flask, email: str | None = "alice@example.com") -> HTTPClient:
    client = HTTPClient("wsgi", app)
    if email:
        res = client.post("/api/auth/sign-up/email",
                          json={"email": email, "password": "correct-horse-1", "name": "Alice"})
        assert res.status == 200, res.body
    return client


def test_extension_is_registered_and_mounts_the_handler(auth: AuthKit) -> None:
    app = make_app(auth)
    assert app.extensions["authkit"].auth is auth
    assert client_for(app, None).get("/api/auth/ok").json == {"ok": True}
    with pytest.raises(ConfigError, match="already initialised"):
        FlaskAuthKit(app, auth=auth)
    with pytest.raises(ConfigError, match="needs an AuthKit"):
        FlaskAuthKit(Flask("other"))


def test_config_keys_drive_the_middleware(auth: AuthKit) -> None:
    app = make_app(auth, AUTHKIT_PROTECT=["/reports/:path*"], AUTHKIT_SIGN_IN_PATH="/login",
                   AUTHKIT_ROLES={"/ops/*": "ops"}, AUTHKIT_AUTH_PAGES=["/login"],
                   AUTHKIT_AFTER_SIGN_IN_PATH="/dashboard")
    anon = client_for(app, None)
    res = anon.get("/reports/q1", headers=HTML)
    assert res.status == 302 and res.header("Location") == "/login?callbackURL=%2Freports%2Fq1"
    assert anon.get("/reports/q1", headers=JSON).status == 401
    signed = client_for(app)
    assert signed.get("/ops/x", headers=JSON).status == 403
    assert signed.get("/login").header("Location") == "/dashboard"


def test_proxies_and_template_globals(auth: AuthKit) -> None:
    app = make_app(auth)
    assert client_for(app, None).get("/").body == b"anon"
    client = client_for(app)
    assert client.get("/").body == b"alice@example.com"
    assert client.get("/dashboard").json["email"] == "alice@example.com"


def test_login_required(auth: AuthKit) -> None:
    anon = client_for(make_app(auth), None)
    res = anon.get("/dashboard?tab=2", headers=HTML)
    assert res.status == 302
    assert res.header("Location") == "/sign-in?callbackURL=%2Fdashboard%3Ftab%3D2"
    res = anon.get("/dashboard", headers=JSON)
    assert res.status == 401 and res.json["code"] == "UNAUTHORIZED"


def test_role_required(auth: AuthKit) -> None:
    app = make_app(auth)
    client = client_for(app)
    assert client.get("/admin", headers=JSON).status == 403
    assert client.get("/admin", headers=HTML).status == 403
    user = auth.storage.get_user_by_email("alice@example.com")
    assert user is not None
    auth.storage.update_user(user.id, {"role": "user,admin"})
    assert client.get("/admin").body == b"admin area"
    assert client_for(app, None).get("/admin", headers=HTML).status == 302


def test_api_errors_render_as_json(auth: AuthKit) -> None:
    res = client_for(make_app(auth), None).get("/teapot")
    assert res.status == 418
    assert res.json == {"message": "I'm a teapot", "code": "TEAPOT"}


def test_helpers_take_flask_requests(auth: AuthKit) -> None:
    app = make_app(auth)
    anon = client_for(app, None)
    res = anon.get("/helper")
    assert res.status == 401 and res.header("Location") == "/sign-in?callbackURL=%2Fhelper"
    assert anon.get("/plain").status == 401
    client = client_for(app)
    assert client.get("/helper").body == b"alice@example.com"
    assert client.get("/plain").body == b"plain Alice"
    res = client.get("/helper-role")
    assert res.status == 403 and res.json["code"] == "FORBIDDEN"


def test_missing_flask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "flask", None)
    monkeypatch.delitem(sys.modules, "flask_authkit")
    with pytest.raises(ImportError, match=r"pip install 'authkit-server\[flask\]'"):
        importlib.import_module("flask_authkit")
