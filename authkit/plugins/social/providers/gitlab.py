"""GitLab (gitlab.com or self-hosted through ``issuer``): ``/api/v4/user``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..http_client import OAuthHTTPError
from ..oauth2 import OAuth2Tokens
from .base import OAuthProvider, Profile, UserInfo, verified


class GitLab(OAuthProvider):
    """``gitlab``; option ``issuer`` (default ``https://gitlab.com``) moves every endpoint."""

    id = "gitlab"
    name = "GitLab"
    default_scopes = ("read_user",)
    hosts = ("gitlab.com",)
    extra_options = frozenset({"issuer"})

    def __init__(self, **options: Any) -> None:
        base = str(options.get("issuer") or "https://gitlab.com").rstrip("/")
        self.default_authorization_endpoint = f"{base}/oauth/authorize"
        self.default_token_endpoint = f"{base}/oauth/token"
        self.default_userinfo_endpoint = f"{base}/api/v4/user"
        super().__init__(**options)

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        if not tokens.access_token or not self.userinfo_endpoint:
            return None
        try:
            profile = self.client.get_json(
                self.userinfo_endpoint, headers={"authorization": f"Bearer {tokens.access_token}"})
        except OAuthHTTPError:
            return None
        if not isinstance(profile, dict) or profile.get("id") is None:
            return None
        if profile.get("state") not in (None, "active") or profile.get("locked"):
            return None
        email = profile.get("email")
        return Profile(UserInfo(
            id=str(profile["id"]), email=email if isinstance(email, str) else None,
            email_verified=verified(profile.get("email_verified")),
            name=str(profile.get("name") or profile.get("username") or ""),
            image=profile.get("avatar_url")), profile)
