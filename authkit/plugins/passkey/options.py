"""The options of ``passkey()`` and the relying-party rules derived from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ...errors import ConfigError

_SELECTION_KEYS = {"resident_key": "residentKey", "user_verification": "userVerification",
                   "authenticator_attachment": "authenticatorAttachment",
                   "require_resident_key": "requireResidentKey"}


@dataclass(frozen=True, kw_only=True)
class PasskeyOptions:
    """Every option of the plugin; see ``passkey()``."""

    rp_id: str | None = None
    rp_name: str | None = None
    origin: str | Sequence[str] | None = None
    authenticator_selection: Mapping[str, object] = field(default_factory=dict)
    challenge_cookie: str = "better-auth-passkey"

    def __post_init__(self) -> None:
        selection: dict[str, object] = {}
        for key, value in self.authenticator_selection.items():
            wire = _SELECTION_KEYS.get(key, key)
            if wire not in _SELECTION_KEYS.values():
                raise ConfigError(f"passkey(authenticator_selection=...): unknown key {key!r}; "
                                  f"use {', '.join(_SELECTION_KEYS)}")
            selection[wire] = value
        object.__setattr__(self, "authenticator_selection", selection)
        if isinstance(self.origin, str):
            object.__setattr__(self, "origin", self.origin.strip() or None)
        elif self.origin is not None:
            origins = [o.strip() for o in self.origin if o.strip()]
            object.__setattr__(self, "origin", origins or None)

    def rp_id_for(self, base_url: str | None) -> str:
        """The expected RP ID: ``rp_id``, else the base URL's host, else ``localhost``."""
        if self.rp_id:
            return self.rp_id
        host = urlsplit(base_url).hostname if base_url else None
        return host or "localhost"
