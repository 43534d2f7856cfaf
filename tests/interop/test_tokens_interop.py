"""JWT keys and API keys shared by Node Better Auth 1.7.25 and authkit on one SQLite file.

Both servers run the jwt and api-key plugins with one secret. JWT: whichever side makes the
signing key first, the other decrypts and signs with the same row (same ``kid``), both publish
it, Node's tokens verify with authkit's ``JWKSVerifier`` and authkit's with PyJWT against
authkit's ``/jwks``. API keys: a key made on either side authenticates on the other as the
same user, and the per-key counters (``requestCount``, ``remaining``) are shared. Skipped
without node/npm or the reference folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from authkit.plugins.jwt.verifier import InvalidToken, JWKSVerifier

from ..support.live_servers import Server, authkit_server, reference_server, require_node

SECRET = "tokens-interop-secret-0123456789-tokens-interop"
KNOBS = {"API_KEY_RATE_LIMIT_MAX": "100", "API_KEY_RATE_LIMIT_WINDOW_MS": "60000"}


@dataclass
class Pair:
    node: Server
    authkit: Server
    db: Path

    def rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql, args))

    def execute(self, sql: str, *args: Any) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute(sql, args)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_node()
    workdir = tmp_path_factory.mktemp("tokens-interop")
    db = workdir / "shared.db"
    env = {"AUTHKIT_PLUGINS": "jwt,api-key", **{f"AUTHKIT_{k}": v for k, v in KNOBS.items()}}
    # authkit migrates first; Node then adds nothing it does not find (KEEP_DB).
    with authkit_server(workdir, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env=env) as ak, \
            reference_server(workdir, db_path=db, secret=SECRET, keep_db=True,
                             plugins="jwt,api-key", extra_env=KNOBS) as node:
        yield Pair(node, ak, db)


def _sign_up(server: Server, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.base_url + "/api/auth", timeout=30,
                          headers={"Origin": server.base_url})
    res = client.post("/sign-up/email", json={"email": email, "password": "correct-horse-1",
                                              "name": email.split("@")[0]})
    assert res.status_code == 200, res.text
    return client, res.json()["user"]["id"]


def _kid(token: str) -> str:
    return str(pyjwt.get_unverified_header(token)["kid"])


def _pyjwt_verify(token: str, server: Server) -> dict[str, Any]:
    jwks = httpx.get(server.base_url + "/api/auth/jwks", timeout=30).json()
    key = pyjwt.PyJWKSet.from_dict(jwks)[_kid(token)]
    claims: dict[str, Any] = pyjwt.decode(token, key.key, algorithms=["EdDSA"],
                                          audience=server.base_url, issuer=server.base_url)
    return claims


class Clock:
    """The verifier's monotonic clock, moved by hand."""

    now = 0.0

    def __call__(self) -> float:
        return self.now


def _verifier(server: Server, clock: Clock) -> JWKSVerifier:
    return JWKSVerifier(server.base_url + "/api/auth/jwks", issuer=server.base_url,
                        audience=server.base_url, clock=clock)


def test_jwt_keys_are_shared_both_ways(pair: Pair) -> None:
    # Node makes the first key; authkit signs with that very row.
    node_client, node_user = _sign_up(pair.node, "jwt-node@example.com")
    node_token = node_client.get("/token").json()["token"]
    ak_client, ak_user = _sign_up(pair.authkit, "jwt-authkit@example.com")
    ak_token = ak_client.get("/token").json()["token"]
    assert _kid(ak_token) == _kid(node_token)
    assert len(pair.rows("select id from jwks")) == 1
    # A token from Node verifies with authkit's helper (against Node's /jwks) ...
    clock = Clock()
    verifier = _verifier(pair.node, clock)
    assert verifier.verify(node_token)["sub"] == node_user
    # ... and authkit's with PyJWT against authkit's /jwks; both publish the same key.
    assert _pyjwt_verify(ak_token, pair.authkit)["sub"] == ak_user
    node_keys = httpx.get(pair.node.base_url + "/api/auth/jwks").json()["keys"]
    ak_keys = httpx.get(pair.authkit.base_url + "/api/auth/jwks").json()["keys"]
    assert node_keys == ak_keys
    # The other side's token is refused where issuer and audience differ.
    with pytest.raises(InvalidToken):
        verifier.verify(ak_token)

    # Now authkit makes the key: the row is retired (expired past the grace period) so that
    # the next signer must create one; authkit signs first, Node decrypts and uses it.
    pair.execute("update jwks set expiresAt = '2000-01-01T00:00:00.000Z'")
    ak_token2 = ak_client.get("/token").json()["token"]
    new_kid = _kid(ak_token2)
    assert new_kid != _kid(ak_token)
    node_token2 = node_client.get("/token").json()["token"]
    assert _kid(node_token2) == new_kid
    # An unknown kid refetches the key set, but not more than once per refetch_interval.
    with pytest.raises(InvalidToken, match="no published key"):
        verifier.verify(node_token2)
    clock.now += verifier.refetch_interval
    assert verifier.verify(node_token2)["sub"] == node_user
    assert verifier.fetches == 2
    assert [k["kid"] for k in httpx.get(pair.node.base_url + "/api/auth/jwks").json()["keys"]
            ] == [new_kid]
    assert _pyjwt_verify(ak_token2, pair.authkit)["sub"] == ak_user
    node_client.close()
    ak_client.close()


def _session(server: Server, key: str) -> httpx.Response:
    return httpx.get(server.base_url + "/api/auth/get-session", headers={"x-api-key": key},
                     timeout=30)


def _count(pair: Pair, key_id: str) -> tuple[int, int | None]:
    (row,) = pair.rows("select requestCount, remaining from apikey where id = ?", key_id)
    return row["requestCount"], row["remaining"]


@pytest.mark.parametrize("maker", ["node", "authkit"])
def test_api_keys_work_on_both_sides_with_shared_counters(pair: Pair, maker: str) -> None:
    made_on, other = (pair.node, pair.authkit) if maker == "node" else (pair.authkit, pair.node)
    client, user_id = _sign_up(made_on, f"ak-{maker}@example.com")
    created = client.post("/api-key/create", json={"name": "shared", "metadata": {"m": 1}}).json()
    key = created["key"]
    for server in (other, made_on, other):
        res = _session(server, key)
        assert res.status_code == 200, res.text
        assert res.json()["user"]["id"] == user_id and res.json()["session"]["id"] == created["id"]
    assert _count(pair, created["id"]) == (3, None)
    # Both sides read the same key object (metadata, dates, flags).
    other_view = httpx.get(other.base_url + "/api/auth/api-key/get",
                           params={"id": created["id"]}, headers={"x-api-key": key}).json()
    own_view = client.get("/api-key/get", params={"id": created["id"]}).json()
    for view in (own_view, other_view):
        view.pop("requestCount"), view.pop("lastRequest"), view.pop("updatedAt")
    assert own_view == other_view and own_view["metadata"] == {"m": 1}
    # A quota set in the row is consumed by both sides, then the key is gone on both.
    pair.execute("update apikey set remaining = 2 where id = ?", created["id"])
    assert _session(other, key).status_code == 200
    assert _session(made_on, key).status_code == 200
    client.close()
    assert _count(pair, created["id"])[1] == 0
    exhausted = _session(other, key)
    assert (exhausted.status_code, exhausted.json()["code"]) == (429, "USAGE_EXCEEDED")
    gone = _session(made_on, key)
    assert (gone.status_code, gone.json()["code"]) == (401, "INVALID_API_KEY")


def test_disabled_on_one_side_fails_on_the_other(pair: Pair) -> None:
    client, _ = _sign_up(pair.authkit, "ak-disable@example.com")
    created = client.post("/api-key/create", json={}).json()
    node = httpx.Client(base_url=pair.node.base_url + "/api/auth",
                        headers={"x-api-key": created["key"]}, timeout=30)
    assert node.post("/api-key/update", json={"keyId": created["id"], "enabled": False}
                     ).status_code == 200
    node.close()
    client.close()
    res = _session(pair.authkit, created["key"])
    assert (res.status_code, res.json()["code"]) == (401, "KEY_DISABLED")


def test_versioned_secrets_on_both_sides(tmp_path: Path) -> None:
    """A key row written under the plain secret still decrypts on both sides once versioned
    secrets are on; the next key is written in the `$ba$2$` envelope and Node uses it."""
    require_node()
    db = tmp_path / "versioned.db"
    env = {"AUTHKIT_PLUGINS": "jwt"}
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env=env) as ak:
        old_kid = httpx.get(ak.base_url + "/api/auth/jwks", timeout=30).json()["keys"][0]["kid"]
    (row,) = Pair(ak, ak, db).rows("select privateKey from jwks")
    assert not row["privateKey"].startswith('"$ba$')
    versions = f"2:second-secret-value-0123456789abcdef,1:{SECRET}"
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env={**env, "AUTHKIT_SECRETS": versions}) as ak, \
            reference_server(tmp_path, db_path=db, secret=SECRET, keep_db=True, plugins="jwt",
                             extra_env={"BETTER_AUTH_SECRETS": versions}) as node:
        pair = Pair(node, ak, db)
        node_client, _ = _sign_up(node, "v-node@example.com")
        ak_client, ak_user = _sign_up(ak, "v-authkit@example.com")
        assert _kid(node_client.get("/token").json()["token"]) == old_kid
        assert _kid(ak_client.get("/token").json()["token"]) == old_kid
        pair.execute("update jwks set expiresAt = '2000-01-01T00:00:00.000Z'")
        token = ak_client.get("/token").json()["token"]
        rows = pair.rows("select id, privateKey from jwks where id = ?", _kid(token))
        assert rows[0]["privateKey"].startswith('"$ba$2$')
        node_token = node_client.get("/token").json()["token"]
        assert _kid(node_token) == _kid(token)
        assert _pyjwt_verify(token, ak)["sub"] == ak_user
        node_client.close()
        ak_client.close()
