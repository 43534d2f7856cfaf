"""Key pairs as JWKs, and compact JWS signing, for the algorithms Better Auth's jwt plugin uses.

JWK member orders follow what ``jose``'s ``exportJWK`` writes on Node (Better Auth stores
``JSON.stringify`` of them), so a row written here reads byte-for-byte like one written there:
Ed25519 ``{crv, x, kty}`` / private ``{crv, d, x, kty}``; EC ``{kty, x, y, crv}`` / ``+ d``;
RSA ``{kty, n, e}`` / ``+ d, p, q, dp, dq, qi``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from ...errors import ConfigError

ALGORITHMS = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
_EC = {"ES256": (ec.SECP256R1(), "P-256", hashes.SHA256(), 32),
       "ES512": (ec.SECP521R1(), "P-521", hashes.SHA512(), 66)}
_EC_BY_CRV = {crv: alg for alg, (_, crv, _, _) in _EC.items()}

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class KeyPairConfig:
    """``jwks.keyPairConfig``: the algorithm of generated keys (and RSA's modulus length)."""

    alg: str = "EdDSA"
    modulus_length: int = 2048

    def __post_init__(self) -> None:
        if self.alg not in ALGORITHMS:
            raise ConfigError(f"jwt: alg {self.alg!r} is not one of {', '.join(ALGORITHMS)}")
        if self.modulus_length < 2048:
            raise ConfigError("jwt: an RSA modulus shorter than 2048 bits is refused")

    @property
    def crv(self) -> str | None:
        """The curve stored in the ``crv`` column (``None`` for RSA)."""
        if self.alg == "EdDSA":
            return "Ed25519"
        return _EC[self.alg][1] if self.alg in _EC else None


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of ``b64url`` (padding optional)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int(value: int, size: int | None = None) -> str:
    length = size if size is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(length, "big"))


def _from_int(text: str) -> int:
    return int.from_bytes(b64url_decode(text), "big")


def generate(config: KeyPairConfig) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh key pair as (public JWK, private JWK), members in jose's order."""
    key: PrivateKey
    if config.alg == "EdDSA":
        key = ed25519.Ed25519PrivateKey.generate()
    elif config.alg in _EC:
        key = ec.generate_private_key(_EC[config.alg][0])
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=config.modulus_length)
    return public_jwk(key.public_key()), private_jwk(key)


def public_jwk(key: PublicKey) -> dict[str, str]:
    """A public key as jose exports it."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"crv": "Ed25519", "x": b64url(raw), "kty": "OKP"}
    if isinstance(key, ec.EllipticCurvePublicKey):
        alg = _EC_BY_CRV.get(_crv_name(key.curve))
        if alg is None:
            raise ValueError(f"unsupported curve {key.curve.name}")
        size = _EC[alg][3]
        nums = key.public_numbers()
        return {"kty": "EC", "x": _int(nums.x, size), "y": _int(nums.y, size),
                "crv": _EC[alg][1]}
    pub = key.public_numbers()
    return {"kty": "RSA", "n": _int(pub.n), "e": _int(pub.e)}


def private_jwk(key: PrivateKey) -> dict[str, str]:
    """A private key as jose exports it."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        d = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        pub = public_jwk(key.public_key())
        return {"crv": "Ed25519", "d": b64url(d), "x": pub["x"], "kty": "OKP"}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        out = public_jwk(key.public_key())
        size = _EC[_EC_BY_CRV[out["crv"]]][3]
        return {**out, "d": _int(key.private_numbers().private_value, size)}
    priv = key.private_numbers()
    return {**public_jwk(key.public_key()), "d": _int(priv.d), "p": _int(priv.p),
            "q": _int(priv.q), "dp": _int(priv.dmp1), "dq": _int(priv.dmq1),
            "qi": _int(priv.iqmp)}


def _crv_name(curve: ec.EllipticCurve) -> str:
    return {"secp256r1": "P-256", "secp521r1": "P-521"}.get(curve.name, curve.name)


def load_private(jwk: dict[str, Any]) -> PrivateKey:
    """A private JWK (any of the supported types) → a ``cryptography`` key."""
    kty = jwk.get("kty")
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(b64url_decode(jwk["d"]))
    if kty == "EC" and jwk.get("crv") in _EC_BY_CRV:
        curve = _EC[_EC_BY_CRV[jwk["crv"]]][0]
        return ec.derive_private_key(_from_int(jwk["d"]), curve)
    if kty == "RSA":
        pub = rsa.RSAPublicNumbers(_from_int(jwk["e"]), _from_int(jwk["n"]))
        return rsa.RSAPrivateNumbers(
            p=_from_int(jwk["p"]), q=_from_int(jwk["q"]), d=_from_int(jwk["d"]),
            dmp1=_from_int(jwk["dp"]), dmq1=_from_int(jwk["dq"]), iqmp=_from_int(jwk["qi"]),
            public_numbers=pub).private_key()
    raise ValueError(f"unsupported private JWK (kty {kty!r})")


def load_public(jwk: dict[str, Any]) -> PublicKey:
    """A public JWK → a ``cryptography`` key."""
    kty = jwk.get("kty")
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    if kty == "EC" and jwk.get("crv") in _EC_BY_CRV:
        curve = _EC[_EC_BY_CRV[jwk["crv"]]][0]
        return ec.EllipticCurvePublicNumbers(_from_int(jwk["x"]), _from_int(jwk["y"]),
                                             curve).public_key()
    if kty == "RSA":
        return rsa.RSAPublicNumbers(_from_int(jwk["e"]), _from_int(jwk["n"])).public_key()
    raise ValueError(f"unsupported public JWK (kty {kty!r})")


def sign(alg: str, key: PrivateKey, message: bytes) -> bytes:
    """The JWS signature of ``message`` (raw ``r‖s`` for ECDSA, as JWS requires)."""
    if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    if alg in _EC and isinstance(key, ec.EllipticCurvePrivateKey):
        _, _, digest, size = _EC[alg]
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(digest)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg == "RS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256" and isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                             salt_length=32), hashes.SHA256())
    raise ValueError(f"key does not match algorithm {alg}")


def verify(alg: str, key: PublicKey, message: bytes, signature: bytes) -> bool:
    """Check a JWS signature; a mismatched key type or a bad signature is ``False``."""
    try:
        if alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
            return True
        if alg in _EC and isinstance(key, ec.EllipticCurvePublicKey):
            _, _, digest, size = _EC[alg]
            if len(signature) != 2 * size:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(digest))
            return True
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            return True
        if alg == "PS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                       salt_length=32), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False
