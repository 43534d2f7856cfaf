"""MiddlewareOptions: the middleware's options, written once for every entry point."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import flask_authkit
import pytest
import starlette_authkit
from flask import Flask
from starlette.applications import Starlette

from authkit import ASGIAuthMiddleware, ConfigError, MiddlewareOptions, WSGIAuthMiddleware
from authkit.middleware import AuthRules

from .support.fixtures import MakeAuth


def _app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b""]


def test_every_entry_point_reads_the_same_options(make_auth: MakeAuth) -> None:
    auth = make_auth()
    options = MiddlewareOptions(protect=["/dashboard"], sign_in_path="/login")
    wsgi = WSGIAuthMiddleware(_app, auth, options)
    asgi = ASGIAuthMiddleware(_app, auth, protect=["/dashboard"], sign_in_path="/login")
    assert wsgi.rules.options == asgi.rules.options == options
    flask = Flask(__name__)
    flask.config.update(AUTHKIT_PROTECT=["/dashboard"], AUTHKIT_SIGN_IN_PATH="/login")
    flask_authkit.FlaskAuthKit(flask, auth=auth)
    assert flask.extensions["authkit"].middleware.rules.options == options
    app = Starlette()
    starlette_authkit.install(app, make_auth(), options, api_paths=["/json/*"])
    outer = next(m for m in app.user_middleware if m.kwargs.get("options") is not None)
    assert outer.kwargs["options"] == MiddlewareOptions(
        protect=["/dashboard"], sign_in_path="/login", api_paths=["/json/*"])


def test_flask_has_one_config_key_per_option() -> None:
    assert sorted(flask_authkit._CONFIG) == sorted(
        f"AUTHKIT_{f.name.upper()}" for f in fields(MiddlewareOptions))


@pytest.mark.parametrize("build", [
    lambda auth: WSGIAuthMiddleware(_app, auth, protcet=["/x"]),
    lambda auth: ASGIAuthMiddleware(_app, auth, protcet=["/x"]),
    lambda auth: starlette_authkit.authkit_middleware(auth, protcet=["/x"]),
    lambda auth: AuthRules(protcet=["/x"]),
])
def test_a_misspelt_option_is_refused_with_the_fix(make_auth: MakeAuth, build: Any) -> None:
    with pytest.raises(ConfigError, match=r"protcet \(did you mean 'protect'\?\)"):
        build(make_auth())
