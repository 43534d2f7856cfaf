"""The ``jwks`` table: key rows as Better Auth writes them, key choice, rotation and grace.

``privateKey`` holds ``JSON.stringify(symmetricEncrypt(secret, JSON.stringify(privateJWK)))``:
the ciphertext string inside JSON double quotes, so Node and authkit read each other's rows.
Keys are made lazily, when something needs one and none is usable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...crypto.symmetric import symmetric_decrypt, symmetric_encrypt
from ...errors import AuthError
from ...jsjson import stringify
from ...storage.fields import FieldSpec
from ...storage.query import Sort
from ...tokens import generate_id
from . import keys

if TYPE_CHECKING:
    from ...core import AuthKit

MODEL = "jwks"
JWKS_TABLE: dict[str, Sequence[FieldSpec]] = {MODEL: (
    FieldSpec("publicKey", "string", required=True),
    FieldSpec("privateKey", "string", required=True),
    FieldSpec("createdAt", "date", required=True),
    FieldSpec("expiresAt", "date"),
    FieldSpec("alg", "string"),
    FieldSpec("crv", "string"),
)}


class PrivateKeyError(AuthError):
    """A stored private key that cannot be decrypted or parsed (wrong secret, damaged row)."""


@dataclass(frozen=True)
class KeyRow:
    """One ``jwks`` row."""

    id: str
    public_key: str
    private_key: str
    created_at: datetime
    expires_at: datetime | None
    alg: str | None
    crv: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> KeyRow:
        return cls(row["id"], row["publicKey"], row["privateKey"], row["createdAt"],
                   row.get("expiresAt"), row.get("alg"), row.get("crv"))


@dataclass(frozen=True)
class SigningKey:
    """A key ready to sign: its ``kid``, algorithm and private key."""

    kid: str
    alg: str
    key: keys.PrivateKey


class KeyStore:
    """Reads and creates the signing keys of one ``AuthKit``."""

    def __init__(self, config: keys.KeyPairConfig, *, rotation_interval: int | None,
                 grace_period: int, encrypt: bool) -> None:
        self.config = config
        self.rotation_interval = rotation_interval
        self.grace_period = grace_period
        self.encrypt = encrypt
        self._cache: dict[tuple[str, str], keys.PrivateKey] = {}
        self._create_lock = threading.Lock()

    def rows(self, auth: AuthKit) -> list[KeyRow]:
        """Every row, oldest first."""
        return [KeyRow.of(r) for r in auth.storage.find_rows(MODEL, sort=Sort("createdAt"))]

    def alg_of(self, row: KeyRow) -> str:
        """A row's algorithm; rows from before the ``alg`` column count as the configured one."""
        return row.alg or self.config.alg

    def published(self, auth: AuthKit) -> list[dict[str, Any]]:
        """The JWKS: every key except those past their expiry plus the grace period."""
        rows = self._published_rows(auth, auth.now())
        if not rows:
            self.create(auth)
            rows = self._published_rows(auth, auth.now())
        return [self.jwk(r) for r in rows]

    def _published_rows(self, auth: AuthKit, now: datetime) -> list[KeyRow]:
        grace = timedelta(seconds=self.grace_period)
        return [r for r in self.rows(auth)
                if r.expires_at is None or r.expires_at + grace > now]

    def jwk(self, row: KeyRow) -> dict[str, Any]:
        """The public JWK as ``/jwks`` lists it: ``alg, crv, <publicKey members>, kid``."""
        out: dict[str, Any] = {"alg": self.alg_of(row)}
        crv = row.crv or (self.config.crv if row.alg is None else None)
        if crv is not None:
            out["crv"] = crv
        out.update(json.loads(row.public_key))
        out.pop("kid", None)
        out["kid"] = row.id
        return out

    def signing_key(self, auth: AuthKit) -> SigningKey:
        """The newest live key of the configured algorithm (else the newest live key of any),
        made first when there is none."""
        row = self._choose(auth)
        if row is None:
            with self._create_lock:
                row = self._choose(auth) or self.create(auth)
        return SigningKey(row.id, self.alg_of(row), self.private_key(auth, row))

    def _choose(self, auth: AuthKit) -> KeyRow | None:
        now = auth.now()
        live = [r for r in self.rows(auth) if r.expires_at is None or r.expires_at > now]
        same = [r for r in live if self.alg_of(r) == self.config.alg]
        pick = same or live
        return pick[-1] if pick else None

    def create(self, auth: AuthKit) -> KeyRow:
        """Generate and store a key pair of the configured algorithm."""
        public, private = keys.generate(self.config)
        now = auth.now()
        text = stringify(private)
        stored = json.dumps(symmetric_encrypt(auth.secret_config, text)) if self.encrypt else text
        expires = (now + timedelta(seconds=self.rotation_interval)
                   if self.rotation_interval else None)
        row = auth.storage.create_row(MODEL, {
            "id": generate_id(), "publicKey": stringify(public), "privateKey": stored,
            "createdAt": now, "expiresAt": expires, "alg": self.config.alg,
            "crv": self.config.crv,
        })
        return KeyRow.of(row)

    def private_key(self, auth: AuthKit, row: KeyRow) -> keys.PrivateKey:
        """The row's private key (decrypted once per process)."""
        cache_key = (row.id, row.private_key)
        found = self._cache.get(cache_key)
        if found is None:
            found = keys.load_private(self._private_jwk(auth, row))
            self._cache[cache_key] = found
        return found

    def _private_jwk(self, auth: AuthKit, row: KeyRow) -> dict[str, Any]:
        try:
            value = json.loads(row.private_key)
            if self.encrypt:
                if not isinstance(value, str):
                    raise PrivateKeyError("expected an encrypted private key")
                value = json.loads(symmetric_decrypt(auth.secret_config, value))
            if not isinstance(value, dict):
                raise PrivateKeyError("the private key is not a JWK")
            return value
        except PrivateKeyError:
            raise
        except Exception as exc:  # a wrong secret, a damaged row: one clear error
            raise PrivateKeyError(
                f"failed to decrypt the private key of jwks row {row.id}: check the secret "
                "(or disable_private_key_encryption if the keys were stored in clear)") from exc

    def public_key(self, row: KeyRow) -> keys.PublicKey:
        """The row's public key."""
        return keys.load_public(json.loads(row.public_key))
