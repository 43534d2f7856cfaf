"""Microsoft Entra ID: the user from the ID token; ``tenant_id`` picks the tenant
(``common`` by default, or ``organizations``, ``consumers``, a tenant id)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..id_token import IdTokenError, unverified_claims, verify_id_token
from ..oauth2 import AuthorizationRequest, OAuth2Tokens
from .base import OAuthProvider, Profile, UserInfo, verified


class Microsoft(OAuthProvider):
    """``microsoft``; options ``tenant_id``, ``authority`` (default
    ``https://login.microsoftonline.com``)."""

    id = "microsoft"
    name = "Microsoft EntraID"
    default_scopes = ("openid", "profile", "email", "User.Read", "offline_access")
    hosts = ("login.microsoftonline.com", "graph.microsoft.com")
    extra_options = frozenset({"tenant_id", "authority"})

    def __init__(self, **options: Any) -> None:
        self.tenant = str(options.get("tenant_id") or "common")
        self.authority = str(options.get("authority") or "https://login.microsoftonline.com")
        base = f"{self.authority.rstrip('/')}/{self.tenant}"
        self.default_authorization_endpoint = f"{base}/oauth2/v2.0/authorize"
        self.default_token_endpoint = f"{base}/oauth2/v2.0/token"
        self.jwks_uri = f"{base}/discovery/v2.0/keys"
        super().__init__(**options)

    def authorization_request(self, **kwargs: Any) -> AuthorizationRequest:
        request = super().authorization_request(**kwargs)
        request.prompt = self.prompt
        return request

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        if not tokens.id_token:
            return None
        claims = unverified_claims(tokens.id_token)
        return None if claims is None else self.profile_from_claims(claims)

    def profile_from_claims(self, claims: dict[str, Any]) -> Profile | None:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            return None
        email = claims.get("email") or claims.get("preferred_username")
        return Profile(UserInfo(
            id=sub, email=email if isinstance(email, str) else None,
            email_verified=verified(claims.get("email_verified")),
            name=str(claims.get("name") or ""), image=None), dict(claims))

    def check_id_token(self, token: str, nonce: str | None) -> dict[str, Any] | None:
        if self.custom_verify_id_token is not None:
            return super().check_id_token(token, nonce)
        claims = unverified_claims(token)
        tid = claims.get("tid") if claims else None
        if not isinstance(tid, str) or "/" in tid:
            return None
        if self.tenant not in ("common", "organizations", "consumers") and tid != self.tenant:
            return None
        # Multi-tenant apps: the issuer names the token's own tenant.
        issuer = f"{self.authority.rstrip('/')}/{tid}/v2.0"
        try:
            return verify_id_token(token, jwks=self.jwks(), issuers=(issuer,),
                                   audience=self.audiences(), nonce=nonce)
        except IdTokenError:
            return None
