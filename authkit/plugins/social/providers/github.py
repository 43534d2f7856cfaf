"""GitHub (OAuth apps and GitHub Apps): ``/user`` plus ``/user/emails`` for the e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..http_client import OAuthHTTPError
from ..oauth2 import OAuth2Tokens
from .base import OAuthProvider, Profile, UserInfo


class GitHub(OAuthProvider):
    """``github``; GitHub Enterprise: override the endpoints and ``api_url``."""

    id = "github"
    name = "GitHub"
    default_scopes = ("read:user", "user:email")
    default_authorization_endpoint = "https://github.com/login/oauth/authorize"
    default_token_endpoint = "https://github.com/login/oauth/access_token"
    default_userinfo_endpoint = "https://api.github.com/user"
    hosts = ("github.com", "api.github.com")
    extra_options = frozenset({"emails_endpoint"})

    def fetch_profile(self, tokens: OAuth2Tokens, *, nonce: str | None = None,
                      user_param: Mapping[str, Any] | None = None) -> Profile | None:
        if not tokens.access_token or not self.userinfo_endpoint:
            return None
        headers = {"authorization": f"Bearer {tokens.access_token}", "user-agent": "better-auth"}
        try:
            profile = self.client.get_json(self.userinfo_endpoint, headers=headers)
            emails_url = self.options.get("emails_endpoint") or f"{self.userinfo_endpoint}/emails"
            emails = self.client.get_json(emails_url, headers=headers)
        except OAuthHTTPError:
            return None
        if not isinstance(profile, dict) or profile.get("id") is None:
            return None
        entries = [e for e in emails if isinstance(e, dict)] if isinstance(emails, list) else []
        email = profile.get("email")
        if not email:
            primary = next((e for e in entries if e.get("primary")), entries[0] if entries else None)
            email = primary.get("email") if primary else None
        match = next((e for e in entries if e.get("email") == email), None)
        profile = {**profile, "email": email}
        name = profile.get("name") or profile.get("login") or ""
        return Profile(UserInfo(
            id=str(profile["id"]), email=email if isinstance(email, str) else None,
            email_verified=bool(match and match.get("verified") is True),
            name=str(name), image=profile.get("avatar_url")), profile)
