"""Flask as Flask-Login users expect it: current_user is always an object, unknown
AUTHKIT_* config keys are refused with "did you mean", and the 403 page is replaceable."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_authkit import (
    AnonymousUser,
    AuthenticatedUser,
    FlaskAuthKit,
    current_user,
    login_required,
    role_required,
)

from authkit import AuthKit, ConfigError
from authkit.plugins.admin import admin
from tests.support import fixtures
from tests.support.fixtures import MakeAuth

clock, make_auth = fixtures.clock, fixtures.make_auth
HTML = {"Accept": "text/html"}


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(plugins=[admin()])


def make_app(auth: AuthKit, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    FlaskAuthKit(app, auth=auth)

    @app.get("/whoami")
    def whoami() -> dict[str, Any]:
        return {"authenticated": current_user.is_authenticated,
                "anonymous": current_user.is_anonymous, "id": current_user.get_id(),
                "email": current_user.email, "role": getattr(current_user, "role", None),
                "kind": type(current_user._get_current_object()).__name__,  # type: ignore
                "template": render_template_string(
                    "{% if current_user.is_authenticated %}hi {{ current_user.name }}"
                    "{% else %}anon{% endif %}")}

    @app.get("/private")
    @login_required
    def private() -> str:
        return f"private {current_user.email}"

    @app.get("/admin")
    @role_required("admin")
    def admin_page() -> str:
        return "admin area"

    return app


def sign_in(client: Any, email: str) -> None:
    res = client.post("/api/auth/sign-up/email", json={"email": email, "password":
                                                        "pass-word-1", "name": "Ann"},
                      headers={"Origin": "http://localhost:3000"})
    assert res.status_code == 200, res.get_data(as_text=True)


def test_current_user_is_anonymous_then_authenticated(auth: AuthKit) -> None:
    client = make_app(auth).test_client()
    assert client.get("/whoami").get_json() == {
        "authenticated": False, "anonymous": True, "id": None, "email": None, "role": None,
        "kind": "AnonymousUser", "template": "anon"}
    sign_in(client, "ann@example.com")
    seen = client.get("/whoami").get_json()
    assert seen["authenticated"] is True and seen["anonymous"] is False
    assert seen["email"] == "ann@example.com" and seen["role"] == "user"
    assert seen["kind"] == "AuthenticatedUser" and seen["template"] == "hi Ann"
    assert seen["id"] == auth.storage.get_user_by_email("ann@example.com").id


def test_user_objects_behave_like_flask_login_ones() -> None:
    anon = AnonymousUser()
    assert not anon and anon.get_id() is None and anon.roles == frozenset()
    assert AuthenticatedUser.is_authenticated and not AuthenticatedUser.is_anonymous


def test_login_required_and_role_required(auth: AuthKit) -> None:
    client = make_app(auth).test_client()
    res = client.get("/private", headers=HTML)
    assert res.status_code == 302 and "/sign-in?callbackURL=%2Fprivate" in res.headers["Location"]
    assert client.get("/private", headers={"Accept": "application/json"}).status_code == 401
    sign_in(client, "bob@example.com")
    assert client.get("/private").get_data(as_text=True) == "private bob@example.com"
    refused = client.get("/admin", headers=HTML)
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    assert 'href="/"' in page and 'name="viewport"' in page
    user = auth.storage.get_user_by_email("bob@example.com")
    auth.storage.update_user(user.id, {"role": "admin"})
    assert client.get("/admin").get_data(as_text=True) == "admin area"


@pytest.mark.parametrize(("key", "meant"), [("AUTHKIT_PROTCT", "AUTHKIT_PROTECT"),
                                            ("AUTHKIT_ROLE", "AUTHKIT_ROLES"),
                                            ("AUTHKIT_SIGNIN_PATH", "AUTHKIT_SIGN_IN_PATH")])
def test_misspelt_config_key_is_refused_with_a_suggestion(auth: AuthKit, key: str,
                                                          meant: str) -> None:
    with pytest.raises(ConfigError, match=f"{key} \\(did you mean {meant}\\?\\)"):
        make_app(auth, **{key: ["/private"]})


def test_unrelated_config_key_is_refused_listing_the_known_ones(auth: AuthKit) -> None:
    with pytest.raises(ConfigError, match="AUTHKIT_SECRET; flask_authkit reads AUTHKIT_PROTECT"):
        make_app(auth, AUTHKIT_SECRET="x")


def test_forbidden_page_can_be_replaced(auth: AuthKit) -> None:
    page = "<!doctype html><title>No</title><p>Ask an admin. <a href='/'>Home</a></p>"
    client = make_app(auth, AUTHKIT_ROLES={"/admin": "admin"},
                      AUTHKIT_FORBIDDEN_PAGE=page).test_client()
    sign_in(client, "cy@example.com")
    res = client.get("/admin", headers=HTML)
    assert res.status_code == 403 and res.get_data(as_text=True) == page
