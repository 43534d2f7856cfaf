"""Password hashing: scrypt as Better Auth stores it, bcrypt without truncation, argon2id.

Every stored hash names its method by its shape, so one column can hold several during a
migration and :func:`verify_any` picks the right check::

    <32 hex salt>:<128 hex key>                       scrypt, Better Auth 1.7 (the default)
    $bcrypt-sha256$v=2,t=2b,r=<cost>$<salt>$<digest>  bcrypt over HMAC-SHA256 (passlib's format)
    $2a$ / $2b$ / $2y$<cost>$<salt+digest>            plain bcrypt written by other systems
    $argon2id$v=19$m=..,t=..,p=..$<salt>$<digest>     argon2id (needs the argon2 extra)

Every algorithm NFKC-normalizes the password first (docs/security.md#credentials), as Better Auth
does, so the
composed and decomposed forms of "café" are the same password. A malformed hash verifies as
False instead of raising: Better Auth answers a 500 there, which tells an attacker something.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from typing import Any, Protocol

import bcrypt

from authkit.errors import ConfigError

__all__ = [
    "Argon2Hasher",
    "BcryptHasher",
    "PasswordHasher",
    "ScryptHasher",
    "make_hasher",
    "password_length",
    "verify_any",
]

_SCRYPT_RE = re.compile(r"\A[0-9a-f]{32}:[0-9a-f]{128}\Z")
# passlib's bcrypt_sha256 v2; a 22-char bcrypt64 salt and a 31-char digest.
_BCRYPT_SHA256_RE = re.compile(
    r"\A\$bcrypt-sha256\$v=2,t=2b,r=(?P<rounds>[0-9]{2})"
    r"\$(?P<salt>[./A-Za-z0-9]{21}[.Oeu])\$(?P<digest>[./A-Za-z0-9]{31})\Z"
)
_BCRYPT_RE = re.compile(r"\A\$2[aby]\$(?P<rounds>[0-9]{2})\$[./A-Za-z0-9]{53}\Z")
_ARGON2_PREFIX = "$argon2"

# bcrypt only reads the first 72 bytes of its key; bcrypt >= 5 raises past them instead.
_BCRYPT_MAX_BYTES = 72
_ARGON2_MISSING = "argon2id hashing needs the argon2-cffi package: pip install 'authkit-server[argon2]'"


def password_length(password: str) -> int:
    """The length of ``password`` in UTF-16 code units, as a JS ``string.length`` counts.

    Better Auth's 8..128 limits count this way, so an emoji counts twice
    (docs/security.md#credentials).
    """
    # surrogatepass: a lone surrogate (possible from JSON) is one unit in JS too.
    return len(password.encode("utf-16-le", "surrogatepass")) // 2


def _password_bytes(password: str) -> bytes:
    """The bytes every algorithm hashes: NFKC, then UTF-8 as Node's Buffer encodes it."""
    # Join surrogate pairs first (JS strings hold them as one character), so NFKC sees the
    # real code point; after NFKC a lone surrogate becomes U+FFFD, as Node's UTF-8 encoder
    # does, instead of raising UnicodeEncodeError in the middle of a verify.
    joined = password.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    normalized = unicodedata.normalize("NFKC", joined)
    cleaned = normalized.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return cleaned.encode("utf-8")


class PasswordHasher(Protocol):
    """What the endpoints need from a password hashing algorithm."""

    name: str

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``, in this algorithm's stored format."""
        ...

    def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches ``stored``; False for a malformed hash, never raises."""
        ...

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made by another algorithm or with other parameters."""
        ...

    def dummy_verify(self, password: str) -> None:
        """The work of one real verify, for an unknown user, so timing tells nothing."""
        ...


class _DummyMixin:
    """A dummy hash made once per hasher, lazily so constructing a hasher stays cheap."""

    _dummy: str | None = None

    def hash(self, password: str) -> str:
        raise NotImplementedError

    def verify(self, password: str, stored: str) -> bool:
        raise NotImplementedError

    def dummy_verify(self, password: str) -> None:
        """Run one real verify against a throw-away hash of this hasher's algorithm and cost."""
        # docs/security.md#credentials: an unknown email must cost what a known one costs with
        # *this* algorithm;
        # two threads racing here both compute a valid dummy, which is harmless.
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_urlsafe(24))
        self.verify(password, self._dummy)


class ScryptHasher(_DummyMixin):
    """Better Auth's scrypt: ``"<saltHex>:<keyHex>"``, the salt's hex text is the scrypt salt.

    Parameters: ``n`` (CPU/memory cost, a power of two), ``r`` (block size), ``p``
    (parallelism). Only the defaults (16384, 16, 1) interoperate with Better Auth, whose format
    does not record them.
    """

    name: str = "scrypt"

    def __init__(self, *, n: int = 16384, r: int = 16, p: int = 1) -> None:
        if n < 2 or n & (n - 1):
            raise ConfigError(f"scrypt n must be a power of two greater than 1, got {n}")
        if r < 1 or p < 1:
            raise ConfigError(f"scrypt r and p must be at least 1, got r={r} p={p}")
        self.n, self.r, self.p = n, r, p
        # hashlib's default maxmem (32 MiB) is below what N=16384, r=16 needs
        # (docs/wire-compatibility.md#password-hashing).
        self._maxmem = max(64 * 1024 * 1024, 128 * r * (n + p + 2) + (1 << 20))

    def _key(self, password: str, salt_hex: str) -> str:
        return hashlib.scrypt(
            _password_bytes(password),
            salt=salt_hex.encode("ascii"),
            n=self.n,
            r=self.r,
            p=self.p,
            dklen=64,
            maxmem=self._maxmem,
        ).hex()

    def hash(self, password: str) -> str:
        """A new ``"<32 hex salt>:<128 hex key>"`` hash with a fresh 16-byte salt."""
        salt_hex = secrets.token_hex(16)
        return f"{salt_hex}:{self._key(password, salt_hex)}"

    def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches a Better Auth scrypt hash; False if malformed."""
        if not isinstance(stored, str) or not _SCRYPT_RE.match(stored):
            return False
        salt_hex, key_hex = stored.split(":")
        return hmac.compare_digest(self._key(password, salt_hex), key_hex)

    def needs_rehash(self, stored: str) -> bool:
        """True for any other algorithm; scrypt parameters are not stored, so never for them."""
        return not (isinstance(stored, str) and _SCRYPT_RE.match(stored))


def _bcrypt_sha256_digest(password: str, salt: str, rounds: int) -> str:
    """The 31-char digest of passlib's bcrypt_sha256 v2 for ``salt`` (22 bcrypt64 chars)."""
    # HMAC keyed by the salt text, base64'd: 44 bytes, no NUL, under bcrypt's 72, so every
    # byte of the password counts (docs/security.md#credentials) and a stolen sha256 table does not
    # apply.
    mac = hmac.new(salt.encode("ascii"), _password_bytes(password), hashlib.sha256).digest()
    full = bcrypt.hashpw(base64.b64encode(mac), f"$2b${rounds:02d}${salt}".encode("ascii"))
    return full.decode("ascii")[-31:]


def _verify_bcrypt_sha256(password: str, stored: str) -> bool:
    m = _BCRYPT_SHA256_RE.match(stored)
    if m is None:
        return False
    rounds = int(m["rounds"])
    if not 4 <= rounds <= 31:
        return False
    digest = _bcrypt_sha256_digest(password, m["salt"], rounds)
    return hmac.compare_digest(digest, m["digest"])


def _verify_plain_bcrypt(password: str, stored: str) -> bool:
    """Check a ``$2a$``/``$2b$``/``$2y$`` hash from another system, refusing to truncate."""
    if _BCRYPT_RE.match(stored) is None or not 4 <= int(stored[4:6]) <= 31:
        return False
    secret = _password_bytes(password)
    # bcrypt ignores bytes past 72 and stops at a NUL in most implementations: a password it
    # cannot see whole is a non-match, never a match on a prefix (docs/security.md#credentials).
    if len(secret) > _BCRYPT_MAX_BYTES or b"\x00" in secret:
        return False
    try:
        return bcrypt.checkpw(secret, stored.encode("ascii"))
    except ValueError:  # a salt the library rejects despite our regex
        return False


class BcryptHasher(_DummyMixin):
    """bcrypt with the password pre-hashed by HMAC-SHA256, stored in passlib's format.

    Parameter: ``rounds``, the log2 cost (4..31, default 12). Hashes look like
    ``$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>`` and verify in passlib's
    ``bcrypt_sha256``; plain ``$2b$`` hashes from elsewhere still verify up to 72 bytes.
    """

    name: str = "bcrypt"

    def __init__(self, *, rounds: int = 12) -> None:
        if not 4 <= rounds <= 31:
            raise ConfigError(f"bcrypt rounds must be between 4 and 31, got {rounds}")
        self.rounds = rounds

    def hash(self, password: str) -> str:
        """A new bcrypt-sha256 v2 hash at this hasher's cost."""
        # gensalt's 22nd char always has its unused bits clear, as passlib's v2 demands.
        salt = bcrypt.gensalt(self.rounds).decode("ascii")[-22:]
        digest = _bcrypt_sha256_digest(password, salt, self.rounds)
        return f"$bcrypt-sha256$v=2,t=2b,r={self.rounds:02d}${salt}${digest}"

    def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches a bcrypt-sha256 or plain bcrypt hash; False if not."""
        if not isinstance(stored, str):
            return False
        if stored.startswith("$bcrypt-sha256$"):
            return _verify_bcrypt_sha256(password, stored)
        return _verify_plain_bcrypt(password, stored)

    def needs_rehash(self, stored: str) -> bool:
        """True unless ``stored`` is bcrypt-sha256 v2 at this cost (plain bcrypt truncates)."""
        m = _BCRYPT_SHA256_RE.match(stored) if isinstance(stored, str) else None
        return m is None or int(m["rounds"]) != self.rounds


class Argon2Hasher(_DummyMixin):
    """argon2id through argon2-cffi, in the PHC string format it writes.

    Parameters: ``time_cost``, ``memory_cost`` (KiB), ``parallelism``; the defaults are
    argon2-cffi's (RFC 9106 low-memory profile). Better Auth cannot read these hashes, so
    choose it only when no Node server shares the database.
    """

    name: str = "argon2id"

    def __init__(
        self,
        *,
        time_cost: int | None = None,
        memory_cost: int | None = None,
        parallelism: int | None = None,
    ) -> None:
        try:
            # An optional extra: mypy must pass whether or not it is installed.
            import argon2  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ImportError(_ARGON2_MISSING) from exc
        defaults = argon2.PasswordHasher()
        self._bad: tuple[type[Exception], ...] = (
            argon2.exceptions.VerificationError,
            argon2.exceptions.InvalidHashError,
        )
        self._ph = argon2.PasswordHasher(
            time_cost=time_cost if time_cost is not None else defaults.time_cost,
            memory_cost=memory_cost if memory_cost is not None else defaults.memory_cost,
            parallelism=parallelism if parallelism is not None else defaults.parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        """A new ``$argon2id$...`` hash."""
        return self._ph.hash(_password_bytes(password))

    def verify(self, password: str, stored: str) -> bool:
        """Whether ``password`` matches an argon2 hash; False for a mismatch or a bad hash."""
        if not isinstance(stored, str) or not stored.startswith(_ARGON2_PREFIX):
            return False
        try:
            return bool(self._ph.verify(stored, _password_bytes(password)))
        except self._bad:
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True unless ``stored`` is argon2id with this hasher's parameters."""
        if not isinstance(stored, str) or not stored.startswith("$argon2id$"):
            return True
        try:
            return bool(self._ph.check_needs_rehash(stored))
        except ValueError:  # argon2's InvalidHashError is one
            return True


def verify_any(password: str, stored: str, preferred: PasswordHasher) -> bool:
    """Verify ``password`` against a hash in any supported format; False if malformed.

    The configured ``preferred`` hasher checks its own format (so its parameters apply);
    other formats are checked with that algorithm's defaults, which lets users hashed
    before an algorithm change still sign in and be rehashed.
    """
    if not isinstance(stored, str):
        return False
    if _SCRYPT_RE.match(stored):
        scrypt = preferred if isinstance(preferred, ScryptHasher) else _default_scrypt
        return scrypt.verify(password, stored)
    if stored.startswith("$bcrypt-sha256$"):
        if isinstance(preferred, BcryptHasher):
            return preferred.verify(password, stored)
        return _verify_bcrypt_sha256(password, stored)
    if stored.startswith("$2"):
        return _verify_plain_bcrypt(password, stored)
    if stored.startswith(_ARGON2_PREFIX):
        if isinstance(preferred, Argon2Hasher):
            return preferred.verify(password, stored)
        try:
            return Argon2Hasher().verify(password, stored)
        except ImportError:
            return False
    return False


_default_scrypt = ScryptHasher()

_HASHERS: dict[str, type[ScryptHasher | BcryptHasher | Argon2Hasher]] = {
    "scrypt": ScryptHasher,
    "bcrypt": BcryptHasher,
    "argon2id": Argon2Hasher,
}


def make_hasher(name: str, **params: Any) -> PasswordHasher:
    """The hasher called ``name`` ("scrypt", "bcrypt" or "argon2id") built with ``params``."""
    cls = _HASHERS.get(name)
    if cls is None:
        choices = ", ".join(repr(n) for n in _HASHERS)
        raise ConfigError(f"unknown password hasher {name!r}: choose one of {choices}")
    try:
        hasher: PasswordHasher = cls(**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for the {name!r} password hasher: {exc}") from exc
    return hasher
