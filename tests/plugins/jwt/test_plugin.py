"""The jwt plugin over HTTP (WSGI) and auth.api: /token, /jwks, set-auth-jwt, the stored key
row, every algorithm, rotation with grace, the claim options and the server-only calls."""

from __future__ import annotations

import json
from typing import Any

import jwt as pyjwt
import pytest

from authkit import AuthKit
from authkit.crypto.symmetric import symmetric_decrypt
from authkit.errors import ConfigError
from authkit.plugins.bearer import bearer
from authkit.plugins.jwt import PrivateKeyError, jwt

from ...support.clients import HTTPClient, make_client
from ...support.fixtures import Clock, MakeAuth, sign_up

ORIGIN = "http://localhost:3000"


def _client(make_auth: MakeAuth, **options: Any) -> tuple[AuthKit, HTTPClient]:
    extra = options.pop("plugins", [])
    auth = make_auth(plugins=[jwt(**options), *extra])
    return auth, make_client("wsgi", auth)


def _verify(token: str, jwks: dict[str, Any], **kw: Any) -> dict[str, Any]:
    header = pyjwt.get_unverified_header(token)
    key = pyjwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    kw.setdefault("audience", ORIGIN)
    kw.setdefault("issuer", ORIGIN)
    claims: dict[str, Any] = pyjwt.decode(token, key.key, algorithms=[header["alg"]],
                                          options={"verify_exp": False}, **kw)
    return claims


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "ES512", "RS256", "PS256"])
def test_token_verifies_with_pyjwt_against_jwks(make_auth: MakeAuth, alg: str) -> None:
    auth, client = _client(make_auth, alg=alg)
    user = sign_up(client).json["user"]
    token = client.get("/api/auth/token").json["token"]
    jwks = client.get("/api/auth/jwks", use_jar=False).json
    (key,) = jwks["keys"]
    assert key["alg"] == alg and not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    claims = _verify(token, jwks)
    assert claims["sub"] == user["id"] and claims["email"] == "alice@example.com"
    assert claims["exp"] - claims["iat"] == 900
    assert next(iter(claims)) == "iat" and list(claims)[-4:] == ["sub", "exp", "iss", "aud"]
    (row,) = auth.storage.find_rows("jwks")
    assert (row["id"], row["alg"]) == (key["kid"], alg)


def test_private_key_is_stored_as_json_quoted_ciphertext(make_auth: MakeAuth) -> None:
    auth, client = _client(make_auth)
    sign_up(client)
    client.get("/api/auth/token")
    (row,) = auth.storage.find_rows("jwks")
    hex_text = json.loads(row["privateKey"])
    assert isinstance(hex_text, str) and row["privateKey"] == f'"{hex_text}"'
    private = json.loads(symmetric_decrypt(auth.secret_config, hex_text))
    assert list(private) == ["crv", "d", "x", "kty"]
    assert json.loads(row["publicKey"]) == {"crv": "Ed25519", "x": private["x"], "kty": "OKP"}
    assert row["crv"] == "Ed25519" and row["expiresAt"] is None


def test_unencrypted_keys_and_wrong_secret(make_auth: MakeAuth, tmp_path: Any) -> None:
    auth, client = _client(make_auth, disable_private_key_encryption=True)
    sign_up(client)
    client.get("/api/auth/token")
    (row,) = auth.storage.find_rows("jwks")
    assert json.loads(row["privateKey"])["kty"] == "OKP"
    # A key encrypted under another secret cannot be used: a clear error, not a bad token.
    db = f"sqlite:///{tmp_path}/shared.db"
    first = make_auth(database=db, plugins=[jwt()])
    first.api.get_jwks()
    other = make_auth(database=db, migrate=False, secret="another-secret-0123456789-0123456789",
                      plugins=[jwt()])
    with pytest.raises(PrivateKeyError, match="failed to decrypt"):
        other.api.sign_jwt(body={"payload": {"sub": "x"}})


def test_versioned_secrets_write_the_envelope(make_auth: MakeAuth) -> None:
    auth = make_auth(secret=None, secrets=[(2, "second-secret-value-0123456789abcdef"),
                                           (1, "first-secret-value-0123456789abcdef")],
                     plugins=[jwt()])
    auth.api.get_jwks()
    (row,) = auth.storage.find_rows("jwks")
    assert json.loads(row["privateKey"]).startswith("$ba$2$")
    token = auth.api.sign_jwt(body={"payload": {"sub": "u"}})["token"]
    assert auth.api.verify_jwt(body={"token": token})["payload"]["sub"] == "u"


def test_get_session_header_and_expose(make_auth: MakeAuth) -> None:
    auth, client = _client(make_auth, plugins=[bearer()])
    res = sign_up(client)
    assert res.header("set-auth-jwt") is None
    got = client.get("/api/auth/get-session")
    assert got.header("set-auth-jwt") is not None
    assert got.header_all("access-control-expose-headers") == ["set-auth-jwt"]
    anon = make_client("wsgi", auth)
    none = anon.get("/api/auth/get-session")
    assert none.json is None and none.header("set-auth-jwt") is None
    assert anon.get("/api/auth/token").status == 401


def test_header_can_be_disabled_and_jwks_path_moved(make_auth: MakeAuth) -> None:
    _, client = _client(make_auth, disable_setting_jwt_header=True,
                        jwks_path="/.well-known/jwks.json")
    sign_up(client)
    assert client.get("/api/auth/get-session").header("set-auth-jwt") is None
    assert client.get("/api/auth/jwks").status == 404
    assert len(client.get("/api/auth/.well-known/jwks.json").json["keys"]) == 1
    with pytest.raises(ConfigError):
        jwt(jwks_path="/../x")


def test_claim_options(make_auth: MakeAuth) -> None:
    _, client = _client(make_auth, issuer="https://issuer.example", audience=["api-a", "api-b"],
                        expiration_time="1h",
                        define_payload=lambda s: {"id": s.user.id, "email": s.user.email},
                        get_subject=lambda s: "subject-" + s.user.id)
    user = sign_up(client).json["user"]
    token = client.get("/api/auth/token").json["token"]
    jwks = client.get("/api/auth/jwks").json
    claims = _verify(token, jwks, audience="api-b", issuer="https://issuer.example")
    assert claims == {"iat": claims["iat"], "id": user["id"], "email": "alice@example.com",
                      "sub": "subject-" + user["id"], "exp": claims["iat"] + 3600,
                      "iss": "https://issuer.example", "aud": ["api-a", "api-b"]}


def test_rotation_keeps_old_keys_for_the_grace_period(make_auth: MakeAuth, clock: Clock) -> None:
    auth, client = _client(make_auth, rotation_interval=60, grace_period=120)
    sign_up(client)
    first = client.get("/api/auth/token").json["token"]
    kid1 = pyjwt.get_unverified_header(first)["kid"]
    clock.advance(30)
    assert pyjwt.get_unverified_header(client.get("/api/auth/token").json["token"])["kid"] == kid1
    clock.advance(31)  # the first key has expired: the next signing makes a new one
    second = client.get("/api/auth/token").json["token"]
    kid2 = pyjwt.get_unverified_header(second)["kid"]
    assert kid2 != kid1
    jwks = client.get("/api/auth/jwks").json
    assert [k["kid"] for k in jwks["keys"]] == [kid1, kid2]
    _verify(first, jwks)
    assert auth.api.verify_jwt(body={"token": second})["payload"] is not None
    clock.advance(119 - 1)  # kid1 expired at +60; still published until +180
    assert next(k["kid"] for k in client.get("/api/auth/jwks").json["keys"]) == kid1
    clock.advance(2)
    kids = [k["kid"] for k in client.get("/api/auth/jwks").json["keys"]]
    assert kid1 not in kids and len(auth.storage.find_rows("jwks")) >= 2  # rows are kept


def test_server_only_sign_and_verify(make_auth: MakeAuth, clock: Clock) -> None:
    auth, client = _client(make_auth)
    assert client.post("/api/auth/sign-jwt", json={}).status == 404
    token = auth.api.sign_jwt(body={"payload": {"sub": "svc", "scope": "read"},
                                    "overrideOptions": {"jwt": {"expirationTime": "1m"}}})["token"]
    payload = auth.api.verify_jwt(body={"token": token})["payload"]
    assert payload["scope"] == "read" and payload["exp"] - payload["iat"] == 60
    assert auth.api.verify_jwt(body={"token": token, "issuer": "https://x"})["payload"] is None
    assert auth.api.verify_jwt(body={"token": token[:-4] + "AAAA"})["payload"] is None
    assert auth.api.verify_jwt(body={"token": "not.a.jwt"})["payload"] is None
    clock.advance(61)
    assert auth.api.verify_jwt(body={"token": token})["payload"] is None


def test_rsa_keys_fit_every_database(make_auth: MakeAuth, db_url: str) -> None:
    # The longest rows (a 2048-bit RSA private JWK, encrypted) on SQLite, PostgreSQL, MariaDB.
    auth = make_auth(database=db_url, plugins=[jwt(alg="RS256", rotation_interval=3600)])
    token = auth.api.sign_jwt(body={"payload": {"sub": "svc"}})["token"]
    assert auth.api.verify_jwt(body={"token": token})["payload"]["sub"] == "svc"
    (row,) = auth.storage.find_rows("jwks")
    assert len(row["privateKey"]) > 3000 and row["expiresAt"] is not None
    assert _verify(token, auth.api.get_jwks())["sub"] == "svc"
