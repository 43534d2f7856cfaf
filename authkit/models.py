"""Records: ``User``, ``Session``, ``Account``, ``Verification`` and their wire shapes.

Attributes are snake_case; ``to_json()`` gives Better Auth's camelCase JSON with dates as
``toISOString()`` text. Columns contributed by plugins or ``additional_fields`` live in
``extra`` under their wire (camelCase) names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any


def iso(value: datetime | None) -> str | None:
    """``datetime`` → ``2026-12-05T02:12:01.877Z`` (JS ``toISOString``), ``None`` stays."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # isoformat is several times cheaper than strftime on the get-session hot path.
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601 text (``Z`` or offset, any precision) into an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_ms(value: datetime) -> datetime:
    """Truncate to milliseconds: JS dates, and so Better Auth's rows, have no finer precision."""
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


# Words that make a column a credential: its value never appears in a record's ``repr`` (so
# logging a session or a user cannot leak a token, a hash, an OTP or a key).
_CREDENTIAL_WORDS = ("token", "secret", "password", "hash", "otp", "key", "code")
MASK = "'***'"


def is_credential_name(name: str) -> bool:
    """Does a column named ``name`` hold a credential (``token``, ``twoFactorSecret``,
    ``backupCodes``, ``apiKey``...)? Timestamps about one (``…ExpiresAt``) do not."""
    low = name.lower().replace("_", "")
    return not low.endswith("expiresat") and any(word in low for word in _CREDENTIAL_WORDS)


def masked_repr(record: Any, secret_fields: frozenset[str] = frozenset()) -> str:
    """``Name(field=value, ...)`` of a dataclass record with credentials shown as ``'***'``:
    the fields in ``secret_fields``, any field or ``extra`` key named like a credential."""
    parts = []
    for f in fields(record):
        if not f.repr:
            continue
        value = getattr(record, f.name)
        if value is not None and (f.name in secret_fields or is_credential_name(f.name)):
            text = MASK
        elif f.name == "extra" and isinstance(value, dict):
            text = "{" + ", ".join(
                f"{k!r}: {MASK if v is not None and is_credential_name(k) else repr(v)}"
                for k, v in value.items()) + "}"
        else:
            text = repr(value)
        parts.append(f"{f.name}={text}")
    return f"{type(record).__name__}({', '.join(parts)})"


# The columns every Better Auth user and session row has, in its column order: wire (column)
# name -> record attribute. Storage, hooks, secondary storage and the wire shape all read
# these; to_json() sends them in this order with ``id`` moved last, as the real server does.
USER_COLUMNS: Mapping[str, str] = MappingProxyType({
    "id": "id", "name": "name", "email": "email", "emailVerified": "email_verified",
    "image": "image", "createdAt": "created_at", "updatedAt": "updated_at",
})
SESSION_COLUMNS: Mapping[str, str] = MappingProxyType({
    "id": "id", "expiresAt": "expires_at", "token": "token", "createdAt": "created_at",
    "updatedAt": "updated_at", "ipAddress": "ip_address", "userAgent": "user_agent",
    "userId": "user_id",
})
_USER_WIRE = tuple((k, v) for k, v in USER_COLUMNS.items() if k != "id")
_SESSION_WIRE = tuple((k, v) for k, v in SESSION_COLUMNS.items() if k != "id")


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    return value


@dataclass
class User:
    """A user row."""

    id: str
    name: str
    email: str
    email_verified: bool
    image: str | None
    created_at: datetime
    updated_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)
    # Extra fields declared ``returned=False``: kept for the server, never sent.
    hidden: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def to_json(self, hidden: frozenset[str] | None = None) -> dict[str, Any]:
        """The wire shape, without the ``hidden`` fields."""
        hidden = self.hidden if hidden is None else hidden
        # Key order as the real server sends it (SQL adapter row order, id last).
        out: dict[str, Any] = {key: _wire(getattr(self, attr)) for key, attr in _USER_WIRE}
        for key, value in self.extra.items():
            if key not in hidden:
                out[key] = _wire(value)
        out["id"] = self.id
        return out

    def __repr__(self) -> str:
        # Plugin columns that are credentials (a 2FA secret, say) never print.
        return masked_repr(self)

    def __getattr__(self, name: str) -> Any:
        # Plugin fields read naturally: ``user.role`` for the admin plugin's ``role`` column.
        extra = self.__dict__.get("extra", {})
        camel = _camel(name)
        if camel in extra:
            return extra[camel]
        raise AttributeError(name)


@dataclass
class Session:
    """A session row. ``token`` is the raw token (the cookie carries it signed)."""

    id: str
    token: str
    user_id: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    ip_address: str | None = None
    user_agent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    hidden: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def to_json(self, hidden: frozenset[str] | None = None) -> dict[str, Any]:
        """The wire shape, without the ``hidden`` fields."""
        hidden = self.hidden if hidden is None else hidden
        out: dict[str, Any] = {key: _wire(getattr(self, attr)) for key, attr in _SESSION_WIRE}
        for key, value in self.extra.items():
            if key not in hidden:
                out[key] = _wire(value)
        out["id"] = self.id
        return out

    def __repr__(self) -> str:
        # The raw token is the credential the cookie carries: it never prints.
        return masked_repr(self)

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__.get("extra", {})
        camel = _camel(name)
        if camel in extra:
            return extra[camel]
        raise AttributeError(name)


@dataclass
class SessionWithUser:
    """What ``get_session`` returns: the session and its user."""

    session: Session
    user: User

    def to_json(self) -> dict[str, Any]:
        """``{"session": …, "user": …}``."""
        return {"session": self.session.to_json(), "user": self.user.to_json()}


@dataclass
class Account:
    """An account row; ``provider_id="credential"`` holds the password hash."""

    id: str
    account_id: str
    provider_id: str
    user_id: str
    password: str | None
    created_at: datetime
    updated_at: datetime
    scope: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    id_token: str | None = None
    access_token_expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None

    def __repr__(self) -> str:
        # The password hash and provider tokens never print.
        return masked_repr(self)

    def to_json(self) -> dict[str, Any]:
        """The list-accounts shape: never the hash or provider tokens."""
        # Better Auth's key order (the row id comes after the dates).
        return {
            "accountId": self.account_id,
            "providerId": self.provider_id,
            "userId": self.user_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "id": self.id,
            "scopes": [s for s in (self.scope or "").split(",") if s],
        }


@dataclass
class Verification:
    """A verification row (reset and delete-account tokens)."""

    id: str
    identifier: str
    value: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        # The identifier often embeds the token (``reset-password:<token>``) and the value
        # is a token, an OTP or what it unlocks: neither prints.
        return masked_repr(self, frozenset({"identifier", "value"}))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)
