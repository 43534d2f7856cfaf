"""``AUTHKIT_PLUGINS=social`` for ``authkit serve``: the github, google and discord presets
and every ``account`` option, from the same knobs as the reference deployment's
``plugins/social.mjs`` (read as ``AUTHKIT_<KNOB>``)."""

from __future__ import annotations

import sys
from typing import Any

from ...errors import ConfigError
from ..serve_registry import PREFIX, ServeContext, ServeResult
from . import social

KNOBS: dict[str, str] = {
    "AUTHKIT_SOCIAL_FAKE_IDP": "TESTS ONLY (refused in production): base URL of a local test "
                               "provider that receives the presets' calls to github.com, "
                               "googleapis.com, discord.com ...",
    "AUTHKIT_SOCIAL_PROVIDERS": "presets to configure (default github,google,discord; '' = none)",
    "AUTHKIT_SOCIAL_GITHUB_CLIENT_ID": "github client id (default ba-github-client)",
    "AUTHKIT_SOCIAL_GITHUB_CLIENT_SECRET": "github client secret",
    "AUTHKIT_SOCIAL_GOOGLE_CLIENT_ID": "google client id",
    "AUTHKIT_SOCIAL_GOOGLE_CLIENT_SECRET": "google client secret",
    "AUTHKIT_SOCIAL_DISCORD_CLIENT_ID": "discord client id",
    "AUTHKIT_SOCIAL_DISCORD_CLIENT_SECRET": "discord client secret",
    "AUTHKIT_SOCIAL_GOOGLE_ACCESS_TYPE": "google access_type (default offline; '' = not sent)",
    "AUTHKIT_SOCIAL_TRUSTED_PROVIDERS": "providers trusted to verify e-mails (default google)",
    "AUTHKIT_SOCIAL_ACCOUNT_LINKING": "on/off: account linking (default on)",
    "AUTHKIT_SOCIAL_ALLOW_DIFFERENT_EMAILS": "on/off: link-social with another e-mail (off)",
    "AUTHKIT_SOCIAL_REQUIRE_LOCAL_EMAIL_VERIFIED": "on/off: implicit linking needs the local "
                                                   "user verified (on)",
    "AUTHKIT_SOCIAL_DISABLE_IMPLICIT_LINKING": "on/off: never link on sign-in (off)",
    "AUTHKIT_SOCIAL_ALLOW_UNLINKING_ALL": "on/off: allow unlinking the last account (off)",
    "AUTHKIT_SOCIAL_UPDATE_USER_INFO_ON_LINK": "on/off: copy name/image on link (off)",
    "AUTHKIT_SOCIAL_STATE_STRATEGY": "database (default) or cookie",
    "AUTHKIT_SOCIAL_SKIP_STATE_COOKIE_CHECK": "on/off (off)",
    "AUTHKIT_SOCIAL_ENCRYPT_TOKENS": "on/off: store provider tokens encrypted (off)",
    "AUTHKIT_SOCIAL_UPDATE_ACCOUNT_ON_SIGN_IN": "on/off: refresh stored tokens on sign-in (on)",
    "AUTHKIT_SOCIAL_OVERRIDE_USER_INFO": "presets that overwrite the user's profile on sign-in",
    "AUTHKIT_SOCIAL_DISABLE_IMPLICIT_SIGN_UP": "presets that sign up only with requestSignUp",
    "AUTHKIT_SOCIAL_DISABLE_SIGN_UP": "presets that never sign up",
    "AUTHKIT_SOCIAL_REQUIRE_EMAIL_VERIFICATION": "presets that refuse unverified users",
    "AUTHKIT_SOCIAL_SECRETS": "versioned secrets '2:new,1:old' (first = current)",
    "AUTHKIT_SOCIAL_ERROR_URL": "where callback errors go (default <baseURL>/error)",
}

_DEFAULTS = {
    "github": ("ba-github-client", "ba-github-secret"),
    "google": ("ba-google-client.apps.googleusercontent.com", "ba-google-secret"),
    "discord": ("ba-discord-client", "ba-discord-secret"),
}


def _raw_csv(ctx: ServeContext, name: str, default: list[str]) -> list[str]:
    # Unset means the default; set but empty means none (as the reference module reads it).
    value = ctx.env.get(PREFIX + name)
    if value is None:
        return default
    return [v.strip() for v in value.split(",") if v.strip()]


def configure(ctx: ServeContext) -> ServeResult:
    """Build ``social()`` from the knobs."""
    fake_idp = ctx.text("SOCIAL_FAKE_IDP")
    if fake_idp:
        if ctx.production:
            raise ConfigError("AUTHKIT_SOCIAL_FAKE_IDP sends provider calls to a test server and "
                              "is refused with AUTHKIT_ENV=production")
        print(f"authkit: WARNING AUTHKIT_SOCIAL_FAKE_IDP is set: OAuth calls to GitHub, Google "
              f"and Discord go to {fake_idp}. TEST MODE ONLY.", file=sys.stderr)
    presets = _raw_csv(ctx, "SOCIAL_PROVIDERS", ["github", "google", "discord"])
    unknown = [p for p in presets if p not in _DEFAULTS]
    if unknown:
        raise ConfigError(f"AUTHKIT_SOCIAL_PROVIDERS: unknown preset(s) {unknown}; "
                          "use github, google, discord")
    lists = {key: set(ctx.csv(f"SOCIAL_{key}")) for key in (
        "OVERRIDE_USER_INFO", "DISABLE_IMPLICIT_SIGN_UP", "DISABLE_SIGN_UP",
        "REQUIRE_EMAIL_VERIFICATION")}
    providers: dict[str, dict[str, Any]] = {}
    for name in presets:
        upper = name.upper()
        client_id, secret = _DEFAULTS[name]
        config: dict[str, Any] = {
            "client_id": ctx.text(f"SOCIAL_{upper}_CLIENT_ID", client_id),
            "client_secret": ctx.text(f"SOCIAL_{upper}_CLIENT_SECRET", secret),
            "override_user_info_on_sign_in": name in lists["OVERRIDE_USER_INFO"],
            "disable_implicit_sign_up": name in lists["DISABLE_IMPLICIT_SIGN_UP"],
            "disable_sign_up": name in lists["DISABLE_SIGN_UP"],
            "require_email_verification": name in lists["REQUIRE_EMAIL_VERIFICATION"],
        }
        if name == "google":
            access = ctx.env.get(PREFIX + "SOCIAL_GOOGLE_ACCESS_TYPE")
            access = "offline" if access is None else access.strip()
            if access:
                config["access_type"] = access
        providers[name] = config
    strategy = ctx.text("SOCIAL_STATE_STRATEGY", "database")
    plugin = social(
        providers=providers,
        account_linking={
            "enabled": ctx.flag("SOCIAL_ACCOUNT_LINKING", True),
            "trusted_providers": _raw_csv(ctx, "SOCIAL_TRUSTED_PROVIDERS", ["google"]),
            "allow_different_emails": ctx.flag("SOCIAL_ALLOW_DIFFERENT_EMAILS", False),
            "require_local_email_verified": ctx.flag("SOCIAL_REQUIRE_LOCAL_EMAIL_VERIFIED",
                                                     True),
            "disable_implicit_linking": ctx.flag("SOCIAL_DISABLE_IMPLICIT_LINKING", False),
            "allow_unlinking_all": ctx.flag("SOCIAL_ALLOW_UNLINKING_ALL", False),
            "update_user_info_on_link": ctx.flag("SOCIAL_UPDATE_USER_INFO_ON_LINK", False),
        },
        store_state_strategy=strategy,
        skip_state_cookie_check=ctx.flag("SOCIAL_SKIP_STATE_COOKIE_CHECK", False),
        encrypt_oauth_tokens=ctx.flag("SOCIAL_ENCRYPT_TOKENS", False),
        update_account_on_sign_in=ctx.flag("SOCIAL_UPDATE_ACCOUNT_ON_SIGN_IN", True),
        error_url=ctx.text("SOCIAL_ERROR_URL"),
        fake_idp=fake_idp,
    )
    options: dict[str, Any] = {}
    secrets = ctx.text("SOCIAL_SECRETS")
    if secrets:
        options["secrets"] = secrets
    return ServeResult(plugins=[plugin], options=options)
