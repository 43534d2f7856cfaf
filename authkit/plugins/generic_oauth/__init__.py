"""``generic_oauth()``: sign in with any OpenID provider (by its discovery URL) or any
OAuth 2.0 provider (by explicit URLs), as Better Auth's ``genericOAuth``.

::

    from authkit.plugins.generic_oauth import generic_oauth
    from authkit.plugins.social import social

    auth = AuthKit(..., plugins=[social(), generic_oauth(config=[
        {"provider_id": "keycloak", "client_id": "...", "client_secret": "...",
         "discovery_url": "https://sso.example.com/realms/main/.well-known/openid-configuration",
         "scopes": ["email", "profile"]},
    ])])

The providers have no routes of their own: they join the social plugin's list and are used
through ``/sign-in/social``, ``/callback/:id`` and ``/link-social`` (a social plugin with
default options is added when none is configured). Discovery runs at start-up and, if the
provider is unreachable then, again on the first request that names the provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..base import Plugin
from ..social import SocialPlugin, social
from .provider import GenericOAuthProvider

if TYPE_CHECKING:
    from ...core import AuthKit

__all__ = ["GenericOAuthPlugin", "GenericOAuthProvider", "generic_oauth"]


class GenericOAuthPlugin(Plugin):
    """See ``generic_oauth()``."""

    id = "generic-oauth"

    def __init__(self, providers: Sequence[GenericOAuthProvider]) -> None:
        self.providers = list(providers)

    def init(self, auth: AuthKit) -> None:
        host = next((p for p in auth.plugins if isinstance(p, SocialPlugin)), None)
        if host is None:
            # The OAuth routes are core Better Auth; without social() configured, serve them
            # with its defaults so these providers work on their own.
            host = social()
            for ep in host.endpoints():
                auth.registry.add(ep)
            auth.plugins = (*auth.plugins, host)
            host.init(auth)
        # Better Auth puts genericOAuth providers ahead of the presets.
        for provider in reversed(self.providers):
            host.add_provider(provider, first=True)
        for provider in self.providers:
            provider.prepare()


def generic_oauth(*, config: Sequence[Mapping[str, Any] | GenericOAuthProvider]
                  ) -> GenericOAuthPlugin:
    """The genericOAuth plugin: one provider per ``config`` entry (options of
    ``GenericOAuthProvider``)."""
    built = [c if isinstance(c, GenericOAuthProvider) else GenericOAuthProvider(**dict(c))
             for c in config]
    return GenericOAuthPlugin(built)
