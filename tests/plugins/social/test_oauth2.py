"""The sans-IO OAuth pieces: PKCE, URL building in Better Auth's order and encoding, token
responses, client authentication."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from authkit.plugins.social.oauth2 import (
    AuthorizationRequest,
    ClientCredentials,
    TokenError,
    build_url,
    code_challenge,
    parse_tokens,
)
from authkit.plugins.social.providers import PRESETS

NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def test_pkce_s256() -> None:
    # base64url, unpadded, of SHA-256("") and of SHA-256("abc"): well-known digests.
    assert code_challenge("") == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
    assert code_challenge("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"


def test_build_url_replaces_in_place_and_appends() -> None:
    url = build_url("https://idp.example/auth?tenant=a&state=old&x=1&state=dup",
                    [("state", "new"), ("scope", "a b"), ("tilde", "~*")])
    assert url == ("https://idp.example/auth?tenant=a&state=new&x=1&scope=a+b"
                   "&tilde=%7E*")


def test_github_authorization_url_order() -> None:
    github = PRESETS["github"](client_id="ba-github-client", client_secret="s")
    request = github.authorization_request(
        state="S" * 32, code_verifier="v" * 128,
        redirect_uri="http://127.0.0.1:3320/api/auth/callback/github", login_hint="me")
    url = request.url()
    keys = [part.split("=")[0] for part in url.split("?", 1)[1].split("&")]
    assert keys == ["response_type", "client_id", "state", "scope", "redirect_uri",
                    "login_hint", "code_challenge_method", "code_challenge"]
    assert url.startswith("https://github.com/login/oauth/authorize?response_type=code&"
                          "client_id=ba-github-client&state=" + "S" * 32 +
                          "&scope=read%3Auser+user%3Aemail&redirect_uri=http%3A%2F%2F127.0.0.1"
                          "%3A3320%2Fapi%2Fauth%2Fcallback%2Fgithub")


def test_presets_differ_where_better_auth_does() -> None:
    google = PRESETS["google"](client_id="g", client_secret="s", access_type="offline")
    url = google.authorization_request(state="s", code_verifier="v" * 43,
                                       redirect_uri="http://x/cb").url()
    assert "scope=email+profile+openid" in url and "access_type=offline" in url
    assert url.endswith("&include_granted_scopes=true")
    discord = PRESETS["discord"](client_id="d", client_secret="s")
    url = discord.authorization_request(state="s", code_verifier="v" * 43,
                                        redirect_uri="http://x/cb").url()
    assert "prompt=none" in url and "code_challenge" not in url
    microsoft = PRESETS["microsoft"](client_id="m", client_secret="s", tenant_id="contoso")
    assert microsoft.authorization_endpoint == \
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize"
    gitlab = PRESETS["gitlab"](client_id="l", issuer="https://git.example.com/")
    assert gitlab.token_endpoint == "https://git.example.com/oauth/token"
    apple = PRESETS["apple"](client_id="a")
    assert "response_mode=form_post" in apple.authorization_request(
        state="s", code_verifier="v" * 43, redirect_uri="http://x/cb").url()


def test_additional_params_come_last() -> None:
    request = AuthorizationRequest(endpoint="https://i/a", client_id="c", state="s",
                                   scopes=["openid"], redirect_uri="https://r/cb",
                                   additional={"audience": "api"})
    assert request.url().endswith("&redirect_uri=https%3A%2F%2Fr%2Fcb&audience=api")


def test_parse_tokens() -> None:
    tokens = parse_tokens({"access_token": "a", "refresh_token": "r", "expires_in": 60,
                           "refresh_token_expires_in": "120", "scope": "openid email",
                           "id_token": "x.y.z", "token_type": "Bearer"}, NOW)
    assert tokens.access_token_expires_at == NOW + timedelta(seconds=60)
    assert tokens.refresh_token_expires_at == NOW + timedelta(seconds=120)
    assert tokens.scopes == ["openid", "email"]
    assert "x.y.z" not in repr(tokens)
    # GitHub: comma-joined scopes stay one entry (split on whitespace only).
    assert parse_tokens({"access_token": "a", "scope": "read:user,user:email"},
                        NOW).scopes == ["read:user,user:email"]
    assert parse_tokens({"access_token": "a", "scope": ["x", "y"]}, NOW).scopes == ["x", "y"]


@pytest.mark.parametrize("body", [{"error": "bad_verification_code"}, [], "text", None])
def test_token_errors(body: object) -> None:
    with pytest.raises(TokenError):
        parse_tokens(body, NOW)


def test_client_authentication() -> None:
    form: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    ClientCredentials("id with space", "s:cr%t", "basic").apply(form, headers)
    assert form == []
    raw = base64.b64decode(headers["authorization"].removeprefix("Basic ")).decode()
    assert raw == "id+with+space:s%3Acr%25t"
    ClientCredentials("id", "secret").apply(form, headers := {})
    assert form == [("client_id", "id"), ("client_secret", "secret")] and headers == {}
    assert "s3cr3t-value" not in repr(ClientCredentials("id", "s3cr3t-value"))
