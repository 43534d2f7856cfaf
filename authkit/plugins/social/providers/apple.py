"""Sign in with Apple: the user from the ID token, the name from the ``user`` form field
Apple posts (once) with ``response_mode=form_post``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..id_token import unverified_claims
from ..oauth2 import AuthorizationRequest, OAuth2Tokens
from .base import OAuthProvider, Profile, UserInfo, verified


class Apple(OAuthProvider):
    """``apple``; option ``app_bundle_identifier`` (an extra accepted audience)."""

    id = "apple"
    name = "Apple"
    default_scopes = ("email", "name")
    default_authorization_endpoint = "https://appleid.apple.com/auth/authorize"
    default_token_endpoint = "https://appleid.apple.com/auth/token"
    hosts = ("appleid.apple.com",)
    jwks_uri = "https://appleid.apple.com/auth/keys"
    id_token_issuers = ("https://appleid.apple.com",)
    extra_options = frozenset({"app_bundle_identifier", "audience"})

    def authorization_request(self, **kwargs: Any) -> AuthorizationRequest:
        request = super().authorization_request(**kwargs)
        request.response_mode = "form_post"
        return request

    def audiences(self) -> list[str]:
        extra = [self.options.get("app_bundle_identifier"), self.options.get("audience")]
        return [self.client_id, *[a for a in extra if isinstance(a, str) and a]]

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        if not tokens.id_token:
            return None
        claims = unverified_claims(tokens.id_token)
        if claims is None:
            return None
        profile = self.profile_from_claims(claims)
        if profile is not None and user_param:
            name = user_param.get("name")
            if isinstance(name, Mapping):
                full = " ".join(str(name.get(k) or "") for k in ("firstName", "lastName"))
                profile.user.name = full.strip()
        return profile

    def profile_from_claims(self, claims: dict[str, Any]) -> Profile | None:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            return None
        email = claims.get("email")
        return Profile(UserInfo(
            id=sub, email=email if isinstance(email, str) else None,
            email_verified=verified(claims.get("email_verified")),
            name=str(claims.get("name") or ""), image=None), dict(claims))
