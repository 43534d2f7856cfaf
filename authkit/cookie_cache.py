"""The session cookie cache (``session_data``), wire-compatible with Better Auth 1.7.25.

A signed (``compact``, ``jwt``) or encrypted (``jwe``) copy of the session and user rides in
a cookie, so ``get-session`` can answer without a database read
(docs/wire-compatibility.md#cookie-cache). A cache issued
by Better Auth verifies here and the reverse, with the same secret.

The price is a revocation window: a session deleted in the database (sign-out elsewhere,
revocation, ban) keeps working from its cache until the cache expires, at most
``cookie_cache.max_age`` seconds (docs/security.md#sessions). Sensitive endpoints,
``?disableCookieCache=true``
and the cache's own rules below bypass it:

* it is read only next to a valid ``session_token`` cookie carrying the same token;
* a cache with another ``version``, past its expiry, for an expired session, or failing its
  signature/decryption is ignored, its cookie expired, and the database read
  (docs/security.md#sessions);
* it is written only by ``SessionService.set_cookies`` (after every sign-in rule passed,
  docs/security.md#sessions) and by a database read of a live session.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from . import jsjson
from .config import AdvancedOptions
from .cookies import CookieSpec, serialize
from .endpoints.fields import hidden_fields
from .jwe import b64url, b64url_decode, check_times, decrypt, encrypt, new_jti
from .models import Session, SessionWithUser, User
from .tokens import SecretList

if TYPE_CHECKING:
    from .config import SessionOptions
    from .core import AuthKit
    from .endpoints.context import Context
    from .storage.fields import FieldSpec

log = logging.getLogger("authkit")

JWE_SALT = "better-auth-session"
# Per-cookie byte ceiling (Safari's ~4093 floor, minus room): Better Auth's number, so both
# split a large cache at the same places. (Better Auth's cap of 100 chunks is replaced by
# MAX_CACHE_HEADER_BYTES below, which is far lower.)
MAX_COOKIE_SIZE = 4050
# Compact expiry of a rememberMe:false session (docs/wire-compatibility.md#quirks quirk), and the
# JWT/JWE fallback.
DONT_REMEMBER_CACHE_SECONDS = 60
DEFAULT_TOKEN_SECONDS = 300
_JWT_HEADER = b64url(b'{"alg":"HS256"}')
# What the cache may add to a request's Cookie header, in bytes ("name=value; " of every
# chunk). nginx and Apache refuse a request whose single header line passes 8 KB by default
# (large_client_header_buffers 8k, LimitRequestFieldSize 8190), and the Cookie header also
# carries the session token and the application's own cookies: 6,000 bytes leaves them
# 2 KB. A larger cache is skipped (the database answers instead), so no cookie authkit
# sets can make a browser's next request too large for authkit or the proxy in front.
MAX_CACHE_HEADER_BYTES = 6000  # the default of session.cookie_cache.max_header_bytes
HEADER_ROOM = 2048
# The largest cache value read at all (chunks joined); anything bigger is refused unread.
MAX_VALUE_SIZE = 64 * 1024
# Verified compact caches remembered by their exact cookie value: a browser sends the same
# value on every request until the cache is rewritten, and re-parsing it (JSON plus date
# revival) is most of a cache hit's cost. Only values that passed the HMAC are kept, so a
# flood of forged cookies cannot fill it; the per-request rules (token, version, expiry)
# still run on every hit.
_MEMO_SIZE = 1024

_COMPACT_TAIL = re.compile(r',"expiresAt":(-?\d+),"signature":"([A-Za-z0-9_-]+)"\}')
_SESSION_CORE = ("id", "createdAt", "updatedAt", "userId", "expiresAt", "token", "ipAddress",
                 "userAgent")
_USER_CORE = ("id", "createdAt", "updatedAt", "email", "emailVerified", "name", "image")


@dataclass
class CachedSessionWithUser(SessionWithUser):
    """A session answered from the cookie cache (never authoritative for sensitive work)."""

    from_cache = True

    def to_json(self) -> dict[str, Any]:
        """Better Auth's cache-hit shape: zod's key order (schema keys first, then extras)."""
        return {"session": _ordered(self.session.to_json(), _SESSION_CORE),
                "user": _ordered(self.user.to_json(), _USER_CORE)}


def _ordered(data: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    out = {k: data[k] for k in first if k in data}
    out.update((k, v) for k, v in data.items() if k not in out)
    return out


@dataclass(frozen=True)
class Decoded:
    """A verified cache: its payload (dates revived) and its expiry in epoch ms."""

    payload: dict[str, Any]
    expires_at_ms: int
    # The records built from ``payload`` the first time (see ``CookieCache._records``).
    built: list[tuple[Session, User]] = field(default_factory=list, compare=False, repr=False)


class CookieCache:
    """Encode, decode, read and write ``session_data`` for one ``AuthKit``."""

    def __init__(self, auth: AuthKit | None = None, *,
                 session_options: SessionOptions | None = None, spec: CookieSpec | None = None,
                 secrets: SecretList | None = None, now: Callable[[], datetime] | None = None,
                 user_fields: Sequence[FieldSpec] = (),
                 session_fields: Sequence[FieldSpec] = (),
                 max_cookie_header_size: int | None = None) -> None:
        """``CookieCache(session_options=..., spec=..., secrets=..., now=...)`` with what it
        uses; ``CookieCache(auth)`` takes them from an ``AuthKit``."""
        if auth is not None:
            session_options, spec, secrets, now = (
                auth.options.session, auth.cookies.session_data, auth.secrets, auth.now)
            user_fields, session_fields = auth.user_fields, auth.session_fields
            max_cookie_header_size = auth.options.advanced.max_cookie_header_size
        if session_options is None or spec is None or secrets is None or now is None:
            raise TypeError("CookieCache needs session_options, spec, secrets and now")
        self.session_options = session_options
        self.options = session_options.cookie_cache
        self.spec: CookieSpec = spec
        self.secrets = secrets
        self.now = now
        self._session_hidden = hidden_fields(session_fields)
        self._user_hidden = hidden_fields(user_fields)
        # advanced.max_cookie_header_size: the Cookie header authkit itself accepts.
        self.max_cookie_header_size = (AdvancedOptions().max_cookie_header_size
                                       if max_cookie_header_size is None
                                       else max_cookie_header_size)
        self._memo: dict[str, Decoded] = {}
        self._memo_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """``session.cookie_cache.enabled``."""
        return self.options.enabled

    # -- codec ---------------------------------------------------------------------------
    def payload(self, session: Session, user: User, now_ms: int) -> dict[str, Any]:
        """``P`` of docs/wire-compatibility.md#cookie-cache: returned fields only, ``updatedAt`` in
        ms, the version."""
        return {"session": session.to_json(), "user": user.to_json(), "updatedAt": now_ms,
                "version": self.options.version}

    def encode(self, payload: dict[str, Any], now_ms: int, max_age: int | None) -> str:
        """The cookie value for ``payload`` (``max_age=None``: a rememberMe:false session)."""
        secrets = self.secrets
        strategy = self.options.strategy
        if strategy == "compact":
            expires = now_ms + (max_age or DONT_REMEMBER_CACHE_SECONDS) * 1000
            return sign_compact(payload, expires, secrets.current.key)
        iat = now_ms // 1000
        claims = {**payload, "iat": iat, "exp": iat + (max_age or DEFAULT_TOKEN_SECONDS)}
        if strategy == "jwt":
            return sign_jwt(claims, secrets.current.key)
        claims["jti"] = new_jti()
        return encrypt(jsjson.stringify(claims), secrets, JWE_SALT)

    def decode(self, value: str, now_ms: int) -> Decoded | None:
        """A verified, schema-checked cache, or ``None`` (tampered, expired token, malformed)."""
        if len(value) > MAX_VALUE_SIZE:
            return None
        try:
            strategy = self.options.strategy
            if strategy == "compact":
                return self._decode_compact_memo(value)
            if strategy == "jwt":
                claims = self._verify_jwt(value, now_ms // 1000)
            else:
                claims = decrypt(value, self.secrets, JWE_SALT, now_ms // 1000)
        except (ValueError, UnicodeDecodeError):
            return None  # JWEError is a ValueError
        payload = _check_payload(jsjson.revive(claims))
        if payload is None:
            return None
        exp = claims.get("exp")
        expires = int(exp * 1000) if isinstance(exp, int | float) and exp else now_ms
        return Decoded(payload, expires)

    def _decode_compact_memo(self, value: str) -> Decoded | None:
        # Compact decoding does not depend on the clock (expiry is checked per request), so
        # a verified value decodes the same every time.
        hit = self._memo.get(value)
        if hit is not None:
            return hit
        decoded = self._decode_compact(value)
        if decoded is not None and _flat_records(decoded.payload):
            with self._memo_lock:
                if len(self._memo) >= _MEMO_SIZE:
                    del self._memo[next(iter(self._memo))]  # the oldest entry
                self._memo[value] = decoded
        return decoded

    def _decode_compact(self, value: str) -> Decoded | None:
        text = b64url_decode(value).decode("utf-8", errors="replace")
        fast = self._compact_fast(text)
        if fast is not None:
            return fast
        outer = jsjson.parse(text)
        if not isinstance(outer, dict):
            return None
        inner, expires, signature = (outer.get(k) for k in ("session", "expiresAt", "signature"))
        if (not isinstance(inner, dict) or not isinstance(signature, str)
                or isinstance(expires, bool) or not isinstance(expires, int | float)):
            return None
        # The verifier signs what it decoded, re-serialised as JavaScript would
        # (docs/wire-compatibility.md#cookie-cache).
        expected = _hmac_b64url(self.secrets.current.key,
                                jsjson.stringify({**inner, "expiresAt": expires}))
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return None
        payload = _check_payload(inner)
        return None if payload is None else Decoded(payload, int(expires))

    def _compact_fast(self, text: str) -> Decoded | None:
        """Verify against the cookie's own bytes when they are what JSON.stringify wrote.

        Both writers emit canonical JSON, so the signed text is the ``session`` member as it
        stands plus ``expiresAt``: one HMAC, no re-serialisation. Anything else (or a
        mismatch) takes the canonical path, so this never accepts what it would refuse.
        """
        cut = text.rfind(',"expiresAt":')
        if not text.startswith('{"session":{') or cut < 0:
            return None
        tail = _COMPACT_TAIL.fullmatch(text, cut)
        inner_text = text[len('{"session":'):cut]
        if tail is None or not inner_text.endswith("}"):
            return None
        signed = f'{inner_text[:-1]},"expiresAt":{tail.group(1)}}}'
        expected = _hmac_b64url(self.secrets.current.key, signed)
        if not hmac.compare_digest(expected.encode(), tail.group(2).encode()):
            return None
        payload = _check_payload(jsjson.parse(inner_text))
        return None if payload is None else Decoded(payload, int(tail.group(1)))

    def _verify_jwt(self, token: str, now_s: int) -> dict[str, Any]:
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("not a JWS")
        header = jsjson.parse(b64url_decode(parts[0]), revive=False)
        # HS256 only: the one algorithm either side issues (no alg confusion, no "none").
        if not isinstance(header, dict) or header.get("alg") != "HS256" or "crit" in header \
                or "b64" in header:
            raise ValueError("unsupported JWS header")
        expected = _hmac_b64url(self.secrets.current.key, f"{parts[0]}.{parts[1]}")
        if not hmac.compare_digest(expected.encode(), parts[2].encode("utf-8", "replace")):
            raise ValueError("bad signature")
        claims = jsjson.parse(b64url_decode(parts[1]), revive=False)
        if not isinstance(claims, dict):
            raise ValueError("claims are not an object")  # noqa: TRY004 - "invalid token"
        check_times(claims, now_s, 0)
        return claims

    # -- per request ---------------------------------------------------------------------
    def _present(self, ctx: Context) -> dict[str, str]:
        """``session_data`` cookies of the request, base name and ``.N`` chunks."""
        name = self.spec.name
        return {key: value for key, value in ctx.cookies.items()
                if key == name or _chunk_index(name, key) is not None}

    def _joined(self, present: dict[str, str]) -> str | None:
        if self.spec.name in present:
            return present[self.spec.name] or None
        chunks = sorted((_chunk_index(self.spec.name, k) or 0, v) for k, v in present.items())
        return "".join(v for _, v in chunks) or None

    def read(self, ctx: Context, token: str | None, *,
             disable: bool = False) -> CachedSessionWithUser | None:
        """The cached session when every rule holds; otherwise ``None`` (read the database).

        A cache cookie sent while the cache is off is cleared, as is one that fails a rule.
        """
        present = self._present(ctx)
        if not self.enabled:
            if present:
                self.clean(ctx, present)
            return None
        if token is None or disable or not present:
            return None
        value = self._joined(present)
        now = self.now()
        now_ms = int(now.timestamp() * 1000)
        decoded = self.decode(value, now_ms) if value else None
        if decoded is None or not self._holds(decoded, token, now, now_ms):
            ctx.expire_cookie(self.spec)
            self.clean(ctx, {k: v for k, v in present.items() if k != self.spec.name})
            return None
        session, user = self._records_of(decoded)
        return CachedSessionWithUser(session, user)

    def _records_of(self, decoded: Decoded) -> tuple[Session, User]:
        """Fresh records for a decoded cache: copies of the ones built on its first hit (a
        remembered compact value is hit on every request), so no caller shares one."""
        if decoded.built:
            session, user = decoded.built[0]
            return _copy_record(session), _copy_record(user)
        records = self._records(decoded.payload)
        if all("createdAt" in part and "updatedAt" in part
               for part in (decoded.payload["session"], decoded.payload["user"])):
            # Without them the records take the current time: not something to keep.
            decoded.built.append(records)
            return _copy_record(records[0]), _copy_record(records[1])
        return records

    def _holds(self, decoded: Decoded, token: str, now: datetime, now_ms: int) -> bool:
        cached = decoded.payload["session"]
        return (hmac.compare_digest(str(cached["token"]).encode(), token.encode())
                and decoded.payload.get("version", "1") == self.options.version
                and decoded.expires_at_ms >= now_ms
                and cached["expiresAt"] >= now
                and self._within_absolute_cap(cached, now))

    def _within_absolute_cap(self, cached: dict[str, Any], now: datetime) -> bool:
        """``session.absolute_max_age`` holds for cached sessions too (docs/security.md#decisions,
        docs/security.md#sessions): a session past it is read from the database, which ends it,
        instead of
        living on in the cache for up to ``max_age``. No ``createdAt``: cannot tell, so no."""
        cap = self.session_options.absolute_max_age
        if cap is None:
            return True
        created = cached.get("createdAt")
        return isinstance(created, datetime) and now < created + timedelta(seconds=cap)

    def write(self, ctx: Context, session: Session, user: User, *,
              dont_remember: bool = False) -> None:
        """Queue the cache cookie(s) for ``session``, chunked above 4 KB (no-op when off)."""
        if not self.enabled:
            return
        now_ms = int(self.now().timestamp() * 1000)
        max_age = None if dont_remember else self.options.max_age
        value = self.encode(self.payload(session, user, now_ms), now_ms, max_age)
        # Stale chunks of the request are expired first; new values then replace them.
        entries: dict[str, str] = {name: "" for name in self._present(ctx)}
        name = self.spec.name
        size = MAX_COOKIE_SIZE - len(serialize(f"{name}.99", "", max_age=max_age,
                                               attrs=self.spec.attrs))
        count = math.ceil(len(value) / size) if size > 0 else math.inf
        budget = self.header_budget
        header_bytes = _header_bytes(name, value, count)
        if header_bytes > budget:
            log.warning(
                "session cookie cache skipped: it would add %d bytes to every request's Cookie "
                "header, over the %d allowed (nginx and Apache refuse a header line over 8 KB "
                "by default, authkit one over advanced.max_cookie_header_size=%d); this "
                "session is read from the database instead", header_bytes, budget,
                self.max_cookie_header_size,
                extra={"event": "cookie_cache.skipped", "bytes": header_bytes,
                       "limit": budget})
        elif count <= 1:
            entries[name] = value
        else:
            for i in range(int(count)):
                entries[f"{name}.{i}"] = value[i * size:(i + 1) * size]
        for key, chunk in entries.items():
            spec = CookieSpec(key, self.spec.attrs)
            if chunk:
                ctx.set_cookie(spec, chunk, max_age=max_age)
            else:
                ctx.expire_cookie(spec)

    @property
    def header_budget(self) -> int:
        """The most the cache may add to a Cookie header: ``max_header_bytes`` (default
        ``MAX_CACHE_HEADER_BYTES``), and always 2 KB under authkit's own
        ``advanced.max_cookie_header_size``, kept for the session token and other cookies."""
        return min(self.options.max_header_bytes,
                   self.max_cookie_header_size - HEADER_ROOM)

    def expired_lines(self, cookies: dict[str, str]) -> list[str]:
        """Set-Cookie lines deleting every ``session_data`` cookie (and chunk) in ``cookies``."""
        name = self.spec.name
        return [CookieSpec(key, self.spec.attrs).render_expired() for key in cookies
                if key == name or _chunk_index(name, key) is not None]

    def clean(self, ctx: Context, present: dict[str, str] | None = None) -> None:
        """Expire every ``session_data`` cookie (and chunk) the request carries."""
        for key in present if present is not None else self._present(ctx):
            ctx.expire_cookie(CookieSpec(key, self.spec.attrs))

    # -- payload → records -----------------------------------------------------------------
    def _records(self, payload: dict[str, Any]) -> tuple[Session, User]:
        s, u = dict(payload["session"]), dict(payload["user"])
        now = self.now()
        session = Session(
            id=s.pop("id"), token=s.pop("token"), user_id=s.pop("userId"),
            expires_at=s.pop("expiresAt"), created_at=s.pop("createdAt", now),
            updated_at=s.pop("updatedAt", now), ip_address=s.pop("ipAddress", None),
            user_agent=s.pop("userAgent", None), extra=s, hidden=self._session_hidden)
        user = User(
            id=u.pop("id"), name=u.pop("name"), email=u.pop("email"),
            email_verified=u.pop("emailVerified", False), image=u.pop("image", None),
            created_at=u.pop("createdAt", now), updated_at=u.pop("updatedAt", now), extra=u,
            hidden=self._user_hidden)
        return session, user


R = TypeVar("R", Session, User)


def _copy_record(record: R) -> R:
    """A shallow copy with its own ``extra`` (values are flat: see ``_flat_records``)."""
    copy = object.__new__(type(record))
    copy.__dict__.update(record.__dict__)
    copy.extra = dict(record.extra)
    return copy


def sign_compact(payload: dict[str, Any], expires_ms: int, key: bytes) -> str:
    """The ``compact`` value: base64url of ``{session: P, expiresAt, signature}``."""
    signature = _hmac_b64url(key, jsjson.stringify({**payload, "expiresAt": expires_ms}))
    text = jsjson.stringify({"session": payload, "expiresAt": expires_ms,
                             "signature": signature})
    return b64url(text.encode("utf-8"))


def sign_jwt(claims: dict[str, Any], key: bytes) -> str:
    """The ``jwt`` value: HS256 over ``claims`` as jose's ``SignJWT`` writes it."""
    body = f"{_JWT_HEADER}.{b64url(jsjson.stringify(claims).encode('utf-8'))}"
    return f"{body}.{_hmac_b64url(key, body)}"


def _hmac_b64url(key: bytes, text: str) -> str:
    return b64url(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest())


def _header_bytes(name: str, value: str, count: float) -> float:
    """Bytes of ``name=value; `` pairs the cache's cookies add to a Cookie header."""
    if count <= 1:
        return len(name) + 1 + len(value) + 2
    if count == math.inf:
        return math.inf
    return len(value) + int(count) * (len(name) + len(".99") + 3)


def _chunk_index(name: str, key: str) -> int | None:
    # Better Auth's parseCookieChunkIndex: "<name>.<canonical non-negative integer>".
    if not key.startswith(name + "."):
        return None
    suffix = key[len(name) + 1:]
    if not suffix.isdigit() or not suffix.isascii() or str(int(suffix)) != suffix:
        return None
    return int(suffix)


def _flat_records(payload: dict[str, Any]) -> bool:
    """No list or object inside the records: ``_records`` copies one level, so a shared
    payload stays unchanged whatever the caller does with the records it gets."""
    return all(not isinstance(v, dict | list) for part in ("session", "user")
               for v in payload[part].values())


def _is_date(value: Any) -> bool:
    return isinstance(value, datetime)


def _opt_str(data: dict[str, Any], key: str) -> bool:
    return data.get(key) is None or isinstance(data[key], str)


def _check_payload(value: Any) -> dict[str, Any] | None:
    """Better Auth's cookieCachePayloadSchema (zod, loose), on revived data."""
    if not isinstance(value, dict):
        return None
    session, user = value.get("session"), value.get("user")
    updated = value.get("updatedAt")
    if not isinstance(session, dict) or not isinstance(user, dict):
        return None
    if isinstance(updated, bool) or not isinstance(updated, int | float):
        return None
    if "version" in value and not isinstance(value["version"], str):
        return None
    ok_session = (
        isinstance(session.get("id"), str) and isinstance(session.get("token"), str)
        and _is_date(session.get("expiresAt"))
        and isinstance(session.get("userId"), str | int | float)
        and not isinstance(session.get("userId"), bool)
        and _opt_str(session, "ipAddress") and _opt_str(session, "userAgent")
        and all(_is_date(session[k]) for k in ("createdAt", "updatedAt") if k in session)
    )
    ok_user = (
        isinstance(user.get("id"), str) and isinstance(user.get("email"), str)
        and isinstance(user.get("name"), str) and _opt_str(user, "image")
        and isinstance(user.get("emailVerified", False), bool)
        and all(_is_date(user[k]) for k in ("createdAt", "updatedAt") if k in user)
    )
    if not (ok_session and ok_user):
        return None
    session = dict(session)
    user = dict(user)
    # z.coerce.string() on userId and the email's toLowerCase() transform.
    uid = session["userId"]
    session["userId"] = uid if isinstance(uid, str) else jsjson.js_number(uid)
    user["email"] = user["email"].lower()
    return {**value, "session": session, "user": user}

