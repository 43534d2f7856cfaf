"""``social()``: sign in with GitHub, Google, Discord, Microsoft, Apple, GitLab or any OAuth
provider, link provider accounts, and use their tokens (Better Auth's ``socialProviders`` and
``account`` options).

::

    from authkit.plugins.social import social

    auth = AuthKit(..., plugins=[social(
        providers={"github": {"client_id": "...", "client_secret": "..."},
                   "google": {"client_id": "...", "client_secret": "...",
                              "access_type": "offline"}},
        account_linking={"trusted_providers": ["google"]},
    )])

Routes: ``POST /sign-in/social`` (redirect or ID-token sign-in), ``GET|POST /callback/:id``,
``POST /link-social``, ``POST /unlink-account``, ``POST /get-access-token``,
``POST /refresh-token``, ``GET /account-info``; OAuth accounts show in ``/list-accounts``.
Providers are presets by id (``providers/``) or your own ``OAuthProvider`` objects;
``authkit.plugins.generic_oauth`` adds any OpenID provider by discovery URL.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...errors import ConfigError, Redirect
from ...hooks import HookMatcher
from ..base import Plugin
from . import account_routes, callback, routes
from .errors import SOCIAL_ERROR_CODES
from .http_client import OAuthHTTP
from .options import AccountLinking, SocialOptions, coerce_linking
from .providers import PRESETS, OAuthProvider, Profile, UserInfo
from .state import state_cookie

if TYPE_CHECKING:
    from ...core import AuthKit
    from ...endpoints.context import Context
    from ...endpoints.registry import Endpoint

__all__ = ["PRESETS", "AccountLinking", "OAuthProvider", "Profile", "SocialOptions",
           "SocialPlugin", "UserInfo", "social"]

log = logging.getLogger("authkit.oauth")

# The hosts Better Auth's presets call; ``fake_idp`` sends these to a local test provider.
FAKE_HOSTS = ("github.com", "api.github.com", "accounts.google.com", "oauth2.googleapis.com",
              "www.googleapis.com", "openidconnect.googleapis.com", "discord.com")


class SocialPlugin(Plugin):
    """See ``social()``."""

    id = "social"
    error_codes = SOCIAL_ERROR_CODES

    def __init__(self, providers: Sequence[OAuthProvider], options: SocialOptions) -> None:
        self.options = options
        self._providers: dict[str, OAuthProvider] = {}
        self.auth: AuthKit | None = None
        rewrite = (options.fake_idp, FAKE_HOSTS) if options.fake_idp else None
        self.http = OAuthHTTP(transport=options.transport, timeout=options.timeout,
                              rewrite_hosts=rewrite)
        for provider in providers:
            self.add_provider(provider)
        self.before = (HookMatcher(_is_sign_out, self._before_sign_out),
                       HookMatcher(_is_error_page, self._error_page_redirect))
        self.after = (HookMatcher(_is_sign_out, self._after_sign_out),)

    # -- providers -----------------------------------------------------------------------
    def add_provider(self, provider: OAuthProvider, *, first: bool = False) -> None:
        """Register a provider (``first``: ahead of the others, as genericOAuth does)."""
        if provider.id in self._providers:
            raise ConfigError(f"two OAuth providers have the id {provider.id!r}")
        provider.bind(self.http)
        if first:
            self._providers = {provider.id: provider, **self._providers}
        else:
            self._providers[provider.id] = provider

    def provider(self, provider_id: str) -> OAuthProvider | None:
        """The configured provider of an id, or ``None`` (also while a generic provider's
        discovery document cannot be fetched)."""
        found = self._providers.get(provider_id)
        if found is None or not found.prepare():
            return None
        return found

    @property
    def providers(self) -> list[OAuthProvider]:
        """Every configured provider, in order."""
        return list(self._providers.values())

    def init(self, auth: AuthKit) -> None:
        self.auth = auth
        if self.options.store_state_strategy == "cookie":
            # Signing out (or any end of the session cookie) drops a pending OAuth state too.
            auth.sessions.cleared_with_session.append(state_cookie(auth, "oauth_state"))
        if self.options.fake_idp:
            if auth.production:
                raise ConfigError("the social fake_idp option (AUTHKIT_SOCIAL_FAKE_IDP) sends "
                                  "provider calls to a test server; it is refused in production")
            log.warning("OAuth TEST MODE: calls to %s go to %s instead. Never use this with "
                        "real users.", ", ".join(FAKE_HOSTS), self.options.fake_idp)

    # -- endpoints -----------------------------------------------------------------------
    def endpoints(self) -> Sequence[Endpoint]:
        from ...endpoints.registry import endpoint

        def bound(fn: Any) -> Any:
            return functools.update_wrapper(functools.partial(fn, plugin=self), fn)

        return [
            endpoint("sign_in_social", "/sign-in/social", "POST", bound(routes.sign_in_social),
                     body=routes.SocialBody, plugin=self.id,
                     summary="Sign in with a social provider",
                     error_codes=("PROVIDER_NOT_FOUND", "ID_TOKEN_NOT_SUPPORTED",
                                  "INVALID_TOKEN", "USER_EMAIL_NOT_FOUND", "OAUTH_LINK_ERROR",
                                  "EMAIL_NOT_VERIFIED", "INVALID_CALLBACK_URL")),
            endpoint("callback_oauth", "/callback/:id", "GET", bound(callback.callback),
                     plugin=self.id, summary="OAuth callback (always a redirect)"),
            endpoint("callback_oauth_post", "/callback/:id", "POST", bound(callback.callback),
                     allow_form=True, plugin=self.id,
                     summary="OAuth callback for response_mode=form_post"),
            endpoint("link_social_account", "/link-social", "POST", bound(routes.link_social),
                     body=routes.SocialBody, plugin=self.id,
                     summary="Link a social account to the user",
                     error_codes=("UNAUTHORIZED", "PROVIDER_NOT_FOUND",
                                  "SOCIAL_ACCOUNT_ALREADY_LINKED", "LINKING_NOT_ALLOWED",
                                  "LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", "LINKING_FAILED")),
            endpoint("unlink_account", "/unlink-account", "POST",
                     bound(account_routes.unlink_account), body=account_routes.UnlinkBody,
                     plugin=self.id, summary="Unlink an account",
                     error_codes=("UNAUTHORIZED", "SESSION_NOT_FRESH",
                                  "FAILED_TO_UNLINK_LAST_ACCOUNT", "ACCOUNT_NOT_FOUND")),
            endpoint("get_access_token", "/get-access-token", "POST",
                     bound(account_routes.get_access_token), plugin=self.id,
                     summary="Get a valid access token, refreshing it if needed",
                     error_codes=("ACCOUNT_NOT_FOUND", "PROVIDER_NOT_SUPPORTED",
                                  "FAILED_TO_GET_ACCESS_TOKEN")),
            endpoint("refresh_token", "/refresh-token", "POST",
                     bound(account_routes.refresh_token), plugin=self.id,
                     summary="Refresh the provider tokens of an account",
                     error_codes=("ACCOUNT_NOT_FOUND", "PROVIDER_NOT_SUPPORTED",
                                  "TOKEN_REFRESH_NOT_SUPPORTED", "REFRESH_TOKEN_NOT_FOUND",
                                  "FAILED_TO_REFRESH_ACCESS_TOKEN")),
            endpoint("account_info", "/account-info", "GET",
                     bound(account_routes.account_info), plugin=self.id,
                     summary="The provider's profile of an account",
                     error_codes=("ACCOUNT_NOT_FOUND", "PROVIDER_NOT_CONFIGURED",
                                  "ACCESS_TOKEN_NOT_FOUND", "FAILED_TO_GET_USER_INFO")),
        ]

    # -- sign-out: RP-initiated logout at providers that offer it -------------------------
    def _before_sign_out(self, ctx: Context) -> None:
        auth = ctx.auth
        token = auth.sessions.token_from(ctx)
        found = auth.db.get_session(token) if token else None
        if found is None:
            return
        candidates = []
        for account in auth.db.get_accounts(found.user_id):
            provider = self.provider(account.provider_id)
            if provider is not None and account.id_token:
                candidates.append((account.updated_at, account, provider))
        if not candidates:
            return
        body = ctx.raw_body if isinstance(ctx.raw_body, dict) else {}
        callback_url = body.get("callbackURL")
        post_logout = None
        if isinstance(callback_url, str) and callback_url:
            parts = urlsplit(ctx.base_url)
            post_logout = (callback_url if "://" in callback_url
                           else f"{parts.scheme}://{parts.netloc}{callback_url}")
        state = body.get("state") if isinstance(body.get("state"), str) else None
        candidates.sort(key=lambda item: item[0], reverse=True)
        for _, account, provider in candidates:
            url = provider.end_session_url(id_token=account.id_token,
                                           post_logout_redirect_uri=post_logout, state=state)
            if url:
                ctx.__dict__["_oauth_logout"] = (url, body.get("disableRedirect") is True)
                break
        return

    def _error_page_redirect(self, ctx: Context) -> None:
        """With ``error_url`` (Better Auth's ``onAPIError.errorURL``) the built-in error page
        sends the browser there instead, with the (whitelisted) code and the description."""
        target = self.options.error_url
        if not target:
            return
        query = ctx.query if isinstance(ctx.query, dict) else {}
        code = query.get("error")
        code = code if isinstance(code, str) and _ERROR_CODE.match(code) else "UNKNOWN"
        description = query.get("error_description")
        raise Redirect(callback.with_error(
            target, code, description if isinstance(description, str) else None))

    def _after_sign_out(self, ctx: Context, result: Any) -> Any:
        found = ctx.__dict__.pop("_oauth_logout", None)
        if found is None or not isinstance(result, dict) or result.get("success") is not True:
            return None
        url, disable_redirect = found
        if not disable_redirect:
            ctx.set_header("Location", url)
        return {"success": True, "url": url, "redirect": not disable_redirect}

    def close(self) -> None:
        """Close the pooled connections to the providers."""
        self.http.close()

    def state_cookie_names(self) -> tuple[str, str]:
        """The names of the two state cookies (for apps that clear cookies themselves)."""
        assert self.auth is not None
        return state_cookie(self.auth, "state").name, state_cookie(self.auth, "oauth_state").name


def _is_sign_out(ctx: Context) -> bool:
    return ctx.endpoint.name == "sign_out"


def _is_error_page(ctx: Context) -> bool:
    return ctx.endpoint.name == "error"


# The error codes the error page passes on as they are (others become UNKNOWN).
_ERROR_CODE = re.compile(r"^['A-Za-z0-9_-]+$")


def social(*, providers: Mapping[str, Mapping[str, Any] | OAuthProvider | None]
           | Sequence[OAuthProvider] = (),
           account_linking: AccountLinking | Mapping[str, Any] | None = None,
           **options: Any) -> SocialPlugin:
    """The social sign-in plugin.

    :param providers: ``{"github": {client_id, client_secret, ...}, ...}`` (preset ids; a
        value ``None`` or with ``enabled: False`` is dropped) or a list of ``OAuthProvider``.
    :param account_linking: ``AccountLinking`` or its options as a dict.
    :param options: the rest of ``SocialOptions`` (``store_state_strategy``,
        ``encrypt_oauth_tokens``, ``update_account_on_sign_in``, ``error_url``,
        ``transport``, ``timeout``, ...).
    """
    try:
        opts = SocialOptions(account_linking=coerce_linking(account_linking), **options)
    except TypeError as exc:
        raise ConfigError(f"social(): {exc}") from None
    built: list[OAuthProvider] = []
    if isinstance(providers, Mapping):
        for name, config in providers.items():
            if config is None:
                continue
            if isinstance(config, OAuthProvider):
                built.append(config)
                continue
            if config.get("enabled") is False:
                continue
            preset = PRESETS.get(name)
            if preset is None:
                raise ConfigError(f"social(): no provider preset named {name!r}; presets: "
                                  f"{', '.join(PRESETS)} (or pass an OAuthProvider)")
            built.append(preset(**{k: v for k, v in config.items() if k != "enabled"}))
    else:
        built.extend(providers)
    return SocialPlugin(built, opts)
