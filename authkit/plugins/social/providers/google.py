"""Google: the user comes from the token response's ID token; ID-token sign-in checks it
against Google's keys (RS256, issuer, audience, at most one hour old)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..id_token import unverified_claims
from ..oauth2 import AuthorizationRequest, OAuth2Tokens
from .base import OAuthProvider, Profile


class Google(OAuthProvider):
    """``google``; options ``access_type``, ``display``, ``hd``, ``include_granted_scopes``."""

    id = "google"
    name = "Google"
    default_scopes = ("email", "profile", "openid")
    default_authorization_endpoint = "https://accounts.google.com/o/oauth2/v2/auth"
    default_token_endpoint = "https://oauth2.googleapis.com/token"
    hosts = ("accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com",
             "openidconnect.googleapis.com")
    jwks_uri = "https://www.googleapis.com/oauth2/v3/certs"
    id_token_issuers = ("https://accounts.google.com", "accounts.google.com")
    id_token_max_age = 3600
    extra_options = frozenset({"access_type", "display", "hd", "include_granted_scopes",
                               "jwks_uri"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        if options.get("jwks_uri"):
            self.jwks_uri = options["jwks_uri"]

    def authorization_request(self, **kwargs: Any) -> AuthorizationRequest:
        request = super().authorization_request(**kwargs)
        request.display = self.options.get("display")
        request.hd = self.options.get("hd")
        request.access_type = self.options.get("access_type")
        if self.options.get("include_granted_scopes", True):
            request.extra = [("include_granted_scopes", "true")]
        return request

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        # Received over TLS straight from Google's token endpoint: decoded, not re-verified.
        if not tokens.id_token:
            return None
        claims = unverified_claims(tokens.id_token)
        if claims is None:
            return None
        hd = self.options.get("hd")
        if hd and hd != "*" and claims.get("hd") != hd:
            return None
        return self.profile_from_claims(claims)
