"""authkit and the Node reference on one database and one secret, behind one public URL (as
two instances behind a load balancer would be): a provider sign-in on either finds the same
user and account on the other; a flow or a link started on one finishes on the other; tokens
encrypted by either are read by the other. Run with the database state strategy and plain
secret, and with the cookie strategy and versioned secrets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.live_servers import Server, authkit_server, reference_server

from .live import SECRET, Browser, Hop, idp_server, idp_user

V2 = "new-secret-v2-0123456789abcdef0123456789"
MODES: dict[str, dict[str, str]] = {
    "database": {"SOCIAL_ENCRYPT_TOKENS": "on"},
    "cookie+versioned": {"SOCIAL_ENCRYPT_TOKENS": "on", "SOCIAL_STATE_STRATEGY": "cookie",
                         "SOCIAL_SECRETS": f"2:{V2},1:{SECRET}"},
}


@dataclass
class Pair:
    node: Server
    authkit: Server
    idp: Server
    public: str

    def browser(self, on: str) -> Browser:
        # Both instances answer for the same public base URL; a test picks which one serves.
        target = self.node if on == "node" else self.authkit
        b = Browser(self.public, self.idp.base_url)
        b.api = target.base_url + "/api/auth"
        return b


@pytest.fixture(scope="module", params=list(MODES))
def pair(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    knobs = MODES[request.param]
    workdir = tmp_path_factory.mktemp("social-interop")
    db = workdir / "shared.db"
    with idp_server(workdir) as idp:
        common = {"SOCIAL_FAKE_IDP": idp.base_url, "GENERIC_OAUTH_IDP": idp.base_url, **knobs}
        with reference_server(workdir, db_path=db, secret=SECRET, keep_db=False,
                              plugins="social,generic-oauth", extra_env=common) as node:
            extra = {"AUTHKIT_PLUGINS": "social,generic-oauth",
                     "AUTHKIT_BASE_URL": node.base_url,
                     **{f"AUTHKIT_{k}": v for k, v in common.items()}}
            with authkit_server(workdir, database_url=f"sqlite:///{db}", secret=SECRET,
                                extra_env=extra) as authkit:
                yield Pair(node, authkit, idp, node.base_url)


def _origin_headers(pair: Pair) -> dict[str, str]:
    return {"origin": pair.public}


def _session(b: Browser) -> dict[str, Any]:
    res = b.get("/get-session")
    assert res.status_code == 200 and res.json(), res.text
    body: dict[str, Any] = res.json()
    return body


def _accounts(b: Browser) -> list[dict[str, Any]]:
    res = b.get("/list-accounts")
    assert res.status_code == 200, res.text
    found: list[dict[str, Any]] = res.json()
    return found


@pytest.mark.parametrize("first,second", [("node", "authkit"), ("authkit", "node")])
@pytest.mark.parametrize("provider", ["local-oidc", "github"])
def test_sign_in_on_one_is_the_same_user_and_account_on_the_other(
        pair: Pair, first: str, second: str, provider: str) -> None:
    user = idp_user(pair.idp.base_url, f"x{first[0]}{provider[:3]}")
    one, two = pair.browser(first), pair.browser(second)
    try:
        assert one.sign_in(provider, user["login"], callbackURL="/dash",
                           newUserCallbackURL="/welcome").location == "/welcome"
        uid = _session(one)["user"]["id"]
        hop = two.sign_in(provider, user["login"], callbackURL="/dash",
                          newUserCallbackURL="/welcome")
        assert hop.location == "/dash"
        assert _session(two)["user"]["id"] == uid
        first_accounts, second_accounts = _accounts(one), _accounts(two)
        assert [a["id"] for a in first_accounts] == [a["id"] for a in second_accounts]
        assert len(second_accounts) == 1
        # The access token the second server stored (encrypted) is read by the first, and
        # the provider accepts it.
        account_id = second_accounts[0]["id"]
        for b in (one, two):
            res = b.post("/get-access-token", {"accountId": account_id})
            assert res.status_code == 200, res.text
            token = res.json()["accessToken"]
            if provider == "local-oidc":
                me = httpx.get(f"{pair.idp.base_url}/me",
                               headers={"authorization": f"Bearer {token}"})
                assert me.status_code == 200 and me.json()["sub"] == user["sub"]
            else:
                me = httpx.get(f"{pair.idp.base_url}/api.github.com/user",
                               headers={"authorization": f"Bearer {token}"})
                assert me.status_code == 200 and me.json()["login"] == user["login"]
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("start,finish", [("node", "authkit"), ("authkit", "node")])
def test_flow_started_on_one_finishes_on_the_other(pair: Pair, start: str, finish: str) -> None:
    user = idp_user(pair.idp.base_url, f"f{start[0]}")
    a, b = pair.browser(start), pair.browser(finish)
    try:
        res = a.post("/sign-in/social", {"provider": "local-oidc", "callbackURL": "/dash",
                                         "newUserCallbackURL": "/welcome"})
        url = a.authorize(res.json()["url"], user["login"], stop_at_callback=True)
        assert isinstance(url, str)
        b.jar = dict(a.jar)
        res = b.request("GET", url.replace(a.api, b.api))
        assert (res.status_code, res.headers.get("location")) == (302, "/welcome")
        assert _session(b)["user"]["email"] == user["email"]
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("start,finish", [("node", "authkit"), ("authkit", "node")])
def test_link_started_on_one_finishes_on_the_other(pair: Pair, start: str, finish: str) -> None:
    owner = idp_user(pair.idp.base_url, f"l{start[0]}")
    a, b = pair.browser(start), pair.browser(finish)
    try:
        assert a.sign_in("github", owner["login"]).status == 302
        res = a.post("/link-social", {"provider": "local-oidc", "callbackURL": "/linked"})
        assert res.status_code == 200, res.text
        url = a.authorize(res.json()["url"], owner["login"], stop_at_callback=True)
        assert isinstance(url, str)
        b.jar = dict(a.jar)
        res = b.request("GET", url.replace(a.api, b.api))
        assert res.headers.get("location") == "/linked"
        assert sorted(x["providerId"] for x in _accounts(a)) == ["github", "local-oidc"]
    finally:
        a.close()
        b.close()


def test_refresh_on_one_and_unlink_on_the_other(pair: Pair) -> None:
    user = idp_user(pair.idp.base_url, "ru")
    node, authkit = pair.browser("node"), pair.browser("authkit")
    try:
        hop = node.sign_in("local-oidc", user["login"])
        assert isinstance(hop, Hop) and hop.status == 302
        authkit.jar = dict(node.jar)
        (account,) = _accounts(node)
        refreshed = authkit.post("/refresh-token", {"accountId": account["id"]})
        assert refreshed.status_code == 200, refreshed.text
        seen = node.post("/get-access-token", {"accountId": account["id"]}).json()
        assert seen["accessToken"] == refreshed.json()["accessToken"]
        again = node.post("/refresh-token", {"accountId": account["id"]})
        assert again.status_code == 200, again.text
        assert authkit.post("/get-access-token", {"accountId": account["id"]}).json()[
            "accessToken"] == again.json()["accessToken"]
        # A second account, then unlink it on one; the other no longer lists it.
        res = authkit.post("/link-social", {"provider": "github", "callbackURL": "/l"})
        hop2 = authkit.authorize(res.json()["url"], user["login"])
        assert isinstance(hop2, Hop) and hop2.location == "/l"
        github = next(a for a in _accounts(node) if a["providerId"] == "github")
        assert node.post("/unlink-account", {"accountId": github["id"]}).json() == {
            "status": True}
        assert [a["providerId"] for a in _accounts(authkit)] == ["local-oidc"]
    finally:
        node.close()
        authkit.close()
