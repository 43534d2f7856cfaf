"""CORS for the auth handler (issue 6 item 5; docs/security.md#origins-and-csrf)."""

from __future__ import annotations

from typing import Any

import pytest

from authkit.cors import CORS, CORSOptions, normalize_path
from authkit.errors import ConfigError
from authkit.http import Headers, Request

from .support.clients import make_client

APP = "https://app.example.com"
OK = "/api/auth/ok"


@pytest.fixture
def cors_auth(make_auth: Any) -> Any:
    return make_auth(base_url="https://auth.example.com",
                     trusted_origins=[APP, "https://*.tenant.example.com"], cors=True)


def preflight(client: Any, origin: str | None, path: str = "/api/auth/sign-in/email",
              method: str = "POST", **extra: str) -> Any:
    headers = {"Access-Control-Request-Method": method,
               "Access-Control-Request-Headers": "content-type, x-evil"}
    if origin is not None:
        headers["Origin"] = origin
    headers.update(extra)
    return client.request("OPTIONS", path, headers=headers, origin=False, use_jar=False)


def acao(res: Any) -> str | None:
    return res.header("access-control-allow-origin")


def test_preflight_from_trusted_origin(cors_auth, kind):  # docs/security.md#origins-and-csrf
    res = preflight(make_client(kind, cors_auth), APP)
    assert res.status == 204 and res.body == b""
    assert acao(res) == APP
    assert res.header("access-control-allow-credentials") == "true"
    assert "Origin" in res.header("vary")
    assert res.header("access-control-allow-methods") == "GET, POST, OPTIONS"
    assert res.header("access-control-allow-headers") == "Content-Type"  # x-evil not granted
    assert res.header("access-control-max-age") == "600"
    assert res.header("access-control-allow-private-network") is None


@pytest.mark.parametrize("origin", ["https://evil.com", "null", None,
                                    "https://app.example.com.evil.com",
                                    "http://app.example.com", "https://app.example.com/x"])
def test_preflight_from_other_origin_gets_no_cors(cors_auth, kind, origin):  # docs/security.md#origins-and-csrf
    res = preflight(make_client(kind, cors_auth), origin)
    assert res.status == 204
    assert acao(res) is None
    assert res.header("access-control-allow-credentials") is None
    assert res.header("access-control-allow-methods") is None


def test_wildcard_trusted_origin(cors_auth, kind):
    res = preflight(make_client(kind, cors_auth), "https://a.tenant.example.com")
    assert acao(res) == "https://a.tenant.example.com"


def test_disallowed_method_gets_no_cors(cors_auth, kind):
    assert acao(preflight(make_client(kind, cors_auth), APP, method="DELETE")) is None


def test_actual_responses_carry_cors_errors_included(cors_auth, kind):
    client = make_client(kind, cors_auth, origin=APP)
    res = client.get(OK, headers={"Origin": APP})
    assert res.status == 200 and acao(res) == APP
    assert res.header("access-control-allow-credentials") == "true"
    assert "Origin" in res.header("vary")
    # An SPA must be able to read a 401, or it cannot show "wrong password".
    res = client.post("/api/auth/sign-in/email",
                      json={"email": "nobody@example.com", "password": "whatever-1"})
    assert res.status == 401 and acao(res) == APP
    assert res.header("access-control-expose-headers") == "set-auth-token"


def test_actual_response_to_other_origin_only_varies(cors_auth, kind):
    res = make_client(kind, cors_auth).get(OK, headers={"Origin": "https://evil.com"})
    assert res.status == 200 and acao(res) is None
    assert res.header("vary") == "Origin"


def test_off_by_default_like_better_auth(make_auth, kind):  # docs/wire-compatibility.md#corrections
    client = make_client(kind, make_auth(trusted_origins=[APP]))
    res = preflight(client, APP)
    assert res.status == 404 and res.body == b""
    assert acao(client.get(OK, headers={"Origin": APP})) is None


def test_never_star_with_credentials(make_auth):  # docs/security.md#origins-and-csrf
    with pytest.raises(ConfigError, match="credentials"):
        make_auth(cors={"origins": ["*"]})


def test_star_without_credentials(make_auth, kind):
    auth = make_auth(cors={"origins": ["*"], "credentials": False})
    res = preflight(make_client(kind, auth), "https://anyone.example")
    assert acao(res) == "*"
    assert res.header("access-control-allow-credentials") is None


def test_explicit_origins_replace_trusted(make_auth, kind):
    auth = make_auth(trusted_origins=[APP], cors={"origins": ["https://spa.example.com"]})
    client = make_client(kind, auth)
    assert acao(preflight(client, "https://spa.example.com")) == "https://spa.example.com"
    assert acao(preflight(client, APP)) is None


def test_private_network_only_when_configured(make_auth, kind):  # docs/security.md#origins-and-csrf
    ask = {"Access-Control-Request-Private-Network": "true"}
    plain = make_auth(trusted_origins=[APP], cors=True)
    res = preflight(make_client(kind, plain), APP, **ask)
    assert res.header("access-control-allow-private-network") is None
    allowed = make_auth(trusted_origins=[APP], cors={"allow_private_network": True})
    res = preflight(make_client(kind, allowed), APP, **ask)
    assert res.header("access-control-allow-private-network") == "true"


def _request(path: str) -> Request:
    return Request("OPTIONS", path, headers=Headers({"Origin": APP}))


@pytest.mark.parametrize(("path", "covered"), [
    ("/api/auth/x", True),
    ("/API/auth/x", False),            # case-sensitive, like the router
    ("/api/auth/x+y", True),           # "+" is a plain character in a path
    ("/api/../api/auth/x", True),      # dot segments resolved before matching
    ("/api/auth/../../admin", False),
    ("/api/authx", False),
])
def test_path_rules_on_normalized_path(cors_auth, path, covered):  # docs/security.md#origins-and-csrf
    assert cors_auth.cors.covers(_request(path)) is covered


def test_path_rule_plus_is_not_space(make_auth):  # Flask-CORS CVE-2024-6844
    auth = make_auth(trusted_origins=[APP], cors={"paths": ["/api/auth/x y"]})
    assert auth.cors.covers(_request("/api/auth/x y"))
    assert not auth.cors.covers(_request("/api/auth/x+y"))


def test_normalize_path():
    assert normalize_path("/a/./b/../c/") == "/a/c/"
    assert normalize_path("/API/x+y") == "/API/x+y"
    assert normalize_path("/../../etc") == "/etc"


def test_options_validated(make_auth):
    with pytest.raises(ConfigError):
        make_auth(cors={"origins": "https://a.example"})
    with pytest.raises(ConfigError):
        make_auth(cors={"paths": ["api/auth/*"]})
    with pytest.raises(ConfigError):
        make_auth(cors={"max_age": -1})
    with pytest.raises(ConfigError, match="unknown"):
        make_auth(cors={"origin": [APP]})
    assert CORS.build(make_auth(), None) is None
    assert isinstance(CORSOptions(), CORSOptions)


def test_sign_in_from_spa_origin_works_end_to_end(make_auth, kind):
    # What the official client does from another origin with credentials: "include".
    auth = make_auth(trusted_origins=[APP], cors=True)
    client = make_client(kind, auth, origin=APP)
    assert preflight(client, APP).status == 204
    res = client.post("/api/auth/sign-up/email", json={
        "email": "spa@example.com", "password": "correct-horse-1", "name": "Spa"},
        headers={"Origin": APP})
    assert res.status == 200 and acao(res) == APP
    res = client.get("/api/auth/get-session", headers={"Origin": APP})
    assert res.json["user"]["email"] == "spa@example.com" and acao(res) == APP
