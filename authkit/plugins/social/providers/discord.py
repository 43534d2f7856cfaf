"""Discord: ``/users/@me``; no PKCE; ``prompt=none`` unless configured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..http_client import OAuthHTTPError
from ..oauth2 import AuthorizationRequest, OAuth2Tokens
from .base import OAuthProvider, Profile, UserInfo, verified


class Discord(OAuthProvider):
    """``discord``; option ``permissions`` (only sent with the ``bot`` scope)."""

    id = "discord"
    name = "Discord"
    default_scopes = ("identify", "email")
    default_authorization_endpoint = "https://discord.com/api/oauth2/authorize"
    default_token_endpoint = "https://discord.com/api/oauth2/token"
    default_userinfo_endpoint = "https://discord.com/api/users/%40me"
    hosts = ("discord.com",)
    pkce = False
    extra_options = frozenset({"permissions"})

    def authorization_request(self, **kwargs: Any) -> AuthorizationRequest:
        request = super().authorization_request(**kwargs)
        request.prompt = self.prompt or "none"
        permissions = self.options.get("permissions")
        if permissions is not None and "bot" in request.scopes:
            request.extra = [("permissions", str(permissions))]
        return request

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
        user_id = str(profile["id"])
        avatar = profile.get("avatar")
        if avatar:
            ext = "gif" if str(avatar).startswith("a_") else "png"
            image = f"https://cdn.discordapp.com/avatars/{user_id}/{avatar}.{ext}"
        else:
            discriminator = str(profile.get("discriminator") or "0")
            index = (int(user_id) >> 22) % 6 if discriminator == "0" else int(discriminator) % 5
            image = f"https://cdn.discordapp.com/embed/avatars/{index}.png"
        profile = {**profile, "image_url": image}
        name = profile.get("global_name") or profile.get("username") or ""
        email = profile.get("email")
        return Profile(UserInfo(id=user_id, email=email if isinstance(email, str) else None,
                                email_verified=verified(profile.get("verified")),
                                name=str(name), image=image,
                                json_keys=("name", "email", "emailVerified", "image")), profile)
