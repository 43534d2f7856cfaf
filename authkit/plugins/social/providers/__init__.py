"""Provider presets by id, and the base class for your own."""

from __future__ import annotations

from .apple import Apple
from .base import OAuthProvider, Profile, UserInfo
from .discord import Discord
from .github import GitHub
from .gitlab import GitLab
from .google import Google
from .microsoft import Microsoft

PRESETS: dict[str, type[OAuthProvider]] = {
    cls.id: cls for cls in (GitHub, Google, Discord, Microsoft, Apple, GitLab)
}

__all__ = ["PRESETS", "Apple", "Discord", "GitHub", "GitLab", "Google", "Microsoft",
           "OAuthProvider", "Profile", "UserInfo"]
