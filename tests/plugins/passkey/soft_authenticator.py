"""A software WebAuthn authenticator (ES256) for tests: it answers registration and
authentication options as a browser plus platform authenticator would, and every part of
its answer can be bent (origin, RP ID, challenge, counter, flags, signing key) to check
that the server refuses it. The same shapes as the reference scenario's SoftAuthenticator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64u(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One key pair the authenticator holds."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    counter: int = 0

    def cose(self) -> bytes:
        """The COSE_Key of the public key (EC2, P-256, ES256)."""
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})


@dataclass
class SoftAuthenticator:
    """Answers options like ``navigator.credentials`` with a platform authenticator."""

    origin: str
    fmt: str = "none"
    backup_eligible: bool = False
    backed_up: bool = False
    creds: dict[str, Credential] = field(default_factory=dict)

    def _flags(self, *, attested: bool, up: bool = True) -> int:
        return ((UP if up else 0) | UV | (BE if self.backup_eligible else 0)
                | (BS if self.backed_up else 0) | (AT if attested else 0))

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge,
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def register(self, options: dict[str, Any], *, origin: str | None = None,
                 rp_id: str | None = None, challenge: str | None = None,
                 att_stmt: dict[str, Any] | None = None,
                 cred_id: str | None = None) -> dict[str, Any]:
        """A RegistrationResponseJSON for ``options`` (overrides bend it)."""
        raw_id = unb64u(cred_id) if cred_id else os.urandom(16)
        cred = Credential(raw_id, ec.generate_private_key(ec.SECP256R1()),
                          options["rp"]["id"], unb64u(options["user"]["id"]))
        rp_hash = hashlib.sha256((rp_id or cred.rp_id).encode()).digest()
        auth_data = (rp_hash + bytes([self._flags(attested=True)]) + (0).to_bytes(4, "big")
                     + bytes(16) + len(cred.id).to_bytes(2, "big") + cred.id + cred.cose())
        client_data = self._client_data("webauthn.create", challenge or options["challenge"],
                                        origin)
        statement: dict[str, Any] = {}
        if self.fmt == "packed":
            sig = cred.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                ec.ECDSA(hashes.SHA256()))
            statement = {"alg": -7, "sig": sig}
        if att_stmt is not None:
            statement = att_stmt
        attestation = cbor2.dumps({"fmt": self.fmt, "attStmt": statement,
                                   "authData": auth_data})
        self.creds[b64u(cred.id)] = cred
        return {"id": b64u(cred.id), "rawId": b64u(cred.id), "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data),
                             "attestationObject": b64u(attestation),
                             "transports": ["internal"]},
                "authenticatorAttachment": "platform", "clientExtensionResults": {}}

    def assert_(self, options: dict[str, Any], *, cred_id: str | None = None,
                origin: str | None = None, rp_id: str | None = None,
                challenge: str | None = None, counter: int | None = None, up: bool = True,
                key: ec.EllipticCurvePrivateKey | None = None) -> dict[str, Any]:
        """An AuthenticationResponseJSON for ``options`` (overrides bend it)."""
        kid = cred_id or next(reversed(self.creds))
        cred = self.creds[kid]
        cred.counter = cred.counter + 1 if counter is None else counter
        rp_hash = hashlib.sha256((rp_id or options["rpId"]).encode()).digest()
        auth_data = rp_hash + bytes([self._flags(attested=False, up=up)]) + \
            cred.counter.to_bytes(4, "big")
        client_data = self._client_data("webauthn.get", challenge or options["challenge"],
                                        origin)
        signature = (key or cred.key).sign(auth_data + hashlib.sha256(client_data).digest(),
                                           ec.ECDSA(hashes.SHA256()))
        return {"id": kid, "rawId": kid, "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data),
                             "authenticatorData": b64u(auth_data),
                             "signature": b64u(signature), "userHandle": b64u(cred.user_handle)},
                "authenticatorAttachment": "platform", "clientExtensionResults": {}}
