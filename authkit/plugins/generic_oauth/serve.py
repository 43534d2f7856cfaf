"""``AUTHKIT_PLUGINS=generic-oauth`` for ``authkit serve``: the reference deployment's two
genericOAuth providers (``plugins/generic-oauth.mjs``), read as ``AUTHKIT_<KNOB>``:
``local-oidc`` (OpenID Connect by discovery) and ``local-oauth2`` (plain OAuth 2.0 with HTTP
Basic client authentication), both served by a local test provider."""

from __future__ import annotations

from typing import Any

from ..serve_registry import PREFIX, ServeContext, ServeResult
from . import generic_oauth

KNOBS: dict[str, str] = {
    "AUTHKIT_GENERIC_OAUTH_IDP": "base URL of the OpenID provider (default http://127.0.0.1:4010)",
    "AUTHKIT_GENERIC_OAUTH_PROVIDERS": "providers to configure (default local-oidc,local-oauth2)",
    "AUTHKIT_GENERIC_OAUTH_OIDC_CLIENT_ID": "local-oidc client id (default ba-oidc-client)",
    "AUTHKIT_GENERIC_OAUTH_OIDC_CLIENT_SECRET": "local-oidc client secret",
    "AUTHKIT_GENERIC_OAUTH_OAUTH2_CLIENT_ID": "local-oauth2 client id (default ba-oauth2-client)",
    "AUTHKIT_GENERIC_OAUTH_OAUTH2_CLIENT_SECRET": "local-oauth2 client secret",
    "AUTHKIT_GENERIC_OAUTH_PKCE": "on/off: PKCE for both providers (on)",
    "AUTHKIT_GENERIC_OAUTH_OVERRIDE_USER_INFO": "providers that overwrite the profile on sign-in",
    "AUTHKIT_GENERIC_OAUTH_DISABLE_IMPLICIT_SIGN_UP": "providers that sign up only on request",
    "AUTHKIT_GENERIC_OAUTH_DISABLE_SIGN_UP": "providers that never sign up",
    "AUTHKIT_GENERIC_OAUTH_REQUIRE_EMAIL_VERIFICATION": "providers that refuse unverified users",
    "AUTHKIT_GENERIC_OAUTH_ACCESS_TOKEN_EXPIRES_IN": "seconds, when a token response has no "
                                                     "expires_in",
}


def configure(ctx: ServeContext) -> ServeResult:
    """Build ``generic_oauth()`` from the knobs."""
    idp = (ctx.text("GENERIC_OAUTH_IDP") or "http://127.0.0.1:4010").rstrip("/")
    raw = ctx.env.get(PREFIX + "GENERIC_OAUTH_PROVIDERS")
    enabled = (["local-oidc", "local-oauth2"] if raw is None
               else [v.strip() for v in raw.split(",") if v.strip()])
    lists = {key: set(ctx.csv(f"GENERIC_OAUTH_{key}")) for key in (
        "OVERRIDE_USER_INFO", "DISABLE_IMPLICIT_SIGN_UP", "DISABLE_SIGN_UP",
        "REQUIRE_EMAIL_VERIFICATION")}
    expires_in = ctx.num("GENERIC_OAUTH_ACCESS_TOKEN_EXPIRES_IN", 0)

    def common(provider_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pkce": ctx.flag("GENERIC_OAUTH_PKCE", True),
            "override_user_info": provider_id in lists["OVERRIDE_USER_INFO"],
            "disable_implicit_sign_up": provider_id in lists["DISABLE_IMPLICIT_SIGN_UP"],
            "disable_sign_up": provider_id in lists["DISABLE_SIGN_UP"],
            "require_email_verification": provider_id in lists["REQUIRE_EMAIL_VERIFICATION"],
        }
        if expires_in:
            out["access_token_expires_in"] = expires_in
        return out

    config: list[dict[str, Any]] = []
    if "local-oidc" in enabled:
        config.append({
            "provider_id": "local-oidc", "name": "Local OIDC",
            "discovery_url": f"{idp}/.well-known/openid-configuration",
            "client_id": ctx.text("GENERIC_OAUTH_OIDC_CLIENT_ID", "ba-oidc-client"),
            "client_secret": ctx.text("GENERIC_OAUTH_OIDC_CLIENT_SECRET", "ba-oidc-secret"),
            "scopes": ["email", "profile"], **common("local-oidc"),
        })
    if "local-oauth2" in enabled:
        config.append({
            "provider_id": "local-oauth2", "name": "Local OAuth2",
            "authorization_url": f"{idp}/github.com/login/oauth/authorize",
            "token_url": f"{idp}/github.com/login/oauth/access_token",
            "user_info_url": f"{idp}/api.github.com/user",
            "client_id": ctx.text("GENERIC_OAUTH_OAUTH2_CLIENT_ID", "ba-oauth2-client"),
            "client_secret": ctx.text("GENERIC_OAUTH_OAUTH2_CLIENT_SECRET", "ba-oauth2-secret"),
            "scopes": ["read:user", "user:email"], "authentication": "basic",
            **common("local-oauth2"),
        })
    return ServeResult(plugins=[generic_oauth(config=config)] if config else [])
