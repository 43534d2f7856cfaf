"""Compact JWS: ``base64url(header).base64url(payload).base64url(signature)``.

The header is exactly ``{"alg", "kid"}`` (no ``typ``) and both parts are ``JSON.stringify``
text, so an Ed25519 token signed here is byte-for-byte the one Better Auth signs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ...errors import AuthError
from ...jsjson import stringify
from . import keys


class InvalidToken(AuthError, ValueError):
    """A token that is malformed or whose signature does not verify."""


def encode(claims: Mapping[str, Any], *, alg: str, kid: str, key: keys.PrivateKey) -> str:
    """Sign ``claims`` with ``key``."""
    header = stringify({"alg": alg, "kid": kid})
    signing_input = (keys.b64url(header.encode()) + "."
                     + keys.b64url(stringify(dict(claims)).encode()))
    signature = keys.sign(alg, key, signing_input.encode("ascii"))
    return signing_input + "." + keys.b64url(signature)


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS; no verification."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a compact JWS")
    try:
        header = json.loads(keys.b64url_decode(parts[0]))
        claims = json.loads(keys.b64url_decode(parts[1]))
        signature = keys.b64url_decode(parts[2])
    except ValueError as exc:
        raise InvalidToken("undecodable token") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("header and payload must be JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def decode(token: str, lookup: Callable[[str], tuple[str, keys.PublicKey] | None],
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the signature with the key ``lookup(kid)`` gives as ``(alg, key)``."""
    header, claims, signing_input, signature = split(token)
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidToken("no kid in the header")
    found = lookup(kid)
    if found is None:
        raise InvalidToken(f"unknown kid {kid!r}")
    alg, key = found
    if header.get("alg") != alg or not keys.verify(alg, key, signing_input, signature):
        raise InvalidToken("signature does not verify")
    return header, claims
