"""``AUTHKIT_PLUGINS=social,generic-oauth``: the knobs become the plugins' options."""

from __future__ import annotations

import pytest

from authkit.errors import ConfigError
from authkit.plugins.generic_oauth import GenericOAuthPlugin
from authkit.plugins.serve_registry import ServeContext, configure, known_knobs
from authkit.plugins.social import SocialPlugin


def _configure(env: dict[str, str], production: bool = False) -> tuple[SocialPlugin, dict]:  # type: ignore[type-arg]
    result = configure(["social"], ServeContext(env=env, production=production))
    (plugin,) = result.plugins
    assert isinstance(plugin, SocialPlugin)
    plugin.close()
    return plugin, result.options


def test_defaults_match_the_reference_module() -> None:
    plugin, options = _configure({})
    assert [p.id for p in plugin.providers] == ["github", "google", "discord"]
    assert plugin.provider("google").options["access_type"] == "offline"  # type: ignore[union-attr]
    linking = plugin.options.account_linking
    assert linking.trusted(None) == {"google"} and linking.enabled
    assert linking.require_local_email_verified and not linking.allow_different_emails
    assert plugin.options.store_state_strategy == "database"
    assert not plugin.options.encrypt_oauth_tokens and plugin.options.update_account_on_sign_in
    assert options == {}


def test_knobs() -> None:
    plugin, options = _configure({
        "AUTHKIT_SOCIAL_PROVIDERS": "github", "AUTHKIT_SOCIAL_TRUSTED_PROVIDERS": "",
        "AUTHKIT_SOCIAL_GITHUB_CLIENT_ID": "cid", "AUTHKIT_SOCIAL_STATE_STRATEGY": "cookie",
        "AUTHKIT_SOCIAL_ENCRYPT_TOKENS": "on", "AUTHKIT_SOCIAL_DISABLE_SIGN_UP": "github",
        "AUTHKIT_SOCIAL_SECRETS": "2:new-secret,1:old-secret",
        "AUTHKIT_SOCIAL_ERROR_URL": "/oops", "AUTHKIT_SOCIAL_ALLOW_UNLINKING_ALL": "on"})
    (github,) = plugin.providers
    assert github.client_id == "cid" and github.disable_sign_up
    assert plugin.options.account_linking.trusted(None) == frozenset()
    assert plugin.options.account_linking.allow_unlinking_all
    assert plugin.options.store_state_strategy == "cookie"
    assert plugin.options.encrypt_oauth_tokens and plugin.options.error_url == "/oops"
    assert options == {"secrets": "2:new-secret,1:old-secret"}
    plugin, _ = _configure({"AUTHKIT_SOCIAL_PROVIDERS": ""})
    assert plugin.providers == []


def test_fake_idp_is_refused_in_production_and_loud_otherwise(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match="production"):
        _configure({"AUTHKIT_SOCIAL_FAKE_IDP": "http://127.0.0.1:4010"}, production=True)
    plugin, _ = _configure({"AUTHKIT_SOCIAL_FAKE_IDP": "http://127.0.0.1:4010"})
    assert plugin.options.fake_idp == "http://127.0.0.1:4010"
    assert "TEST MODE ONLY" in capsys.readouterr().err


@pytest.mark.parametrize("env", [{"AUTHKIT_SOCIAL_PROVIDERS": "myspace"},
                                 {"AUTHKIT_SOCIAL_STATE_STRATEGY": "session"},
                                 {"AUTHKIT_SOCIAL_ENCRYPT_TOKENS": "maybe"}])
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        _configure(env)


def test_generic_oauth_knobs_and_every_name_is_known() -> None:
    result = configure(["generic-oauth"], ServeContext(env={
        "AUTHKIT_GENERIC_OAUTH_IDP": "http://idp.example/",
        "AUTHKIT_GENERIC_OAUTH_PROVIDERS": "local-oauth2",
        "AUTHKIT_GENERIC_OAUTH_PKCE": "off",
        "AUTHKIT_GENERIC_OAUTH_ACCESS_TOKEN_EXPIRES_IN": "60"}))
    (plugin,) = result.plugins
    assert isinstance(plugin, GenericOAuthPlugin)
    (provider,) = plugin.providers
    assert provider.id == "local-oauth2" and not provider.pkce
    assert provider.token_endpoint == "http://idp.example/github.com/login/oauth/access_token"
    assert provider.options["access_token_expires_in"] == 60
    assert provider.credentials.authentication == "basic"
    knobs = known_knobs()
    for name in ("AUTHKIT_SOCIAL_FAKE_IDP", "AUTHKIT_SOCIAL_SECRETS",
                 "AUTHKIT_GENERIC_OAUTH_IDP", "AUTHKIT_GENERIC_OAUTH_OAUTH2_CLIENT_SECRET"):
        assert name in knobs
