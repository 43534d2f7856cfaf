"""Differential test of social sign-in and genericOAuth: the Node reference (Better Auth 1.7.25)
and ``authkit serve`` run side by side with the same knobs against one ``idp.mjs``, each on its
own database, and every edge case below is driven on both. Status, the Location (path, error
and error_description), the JSON error (code and message) or the JSON shape of a success, and
the Set-Cookie names and attributes must be the same (random values are ignored).

Run in both state strategies. A case whose difference is deliberate is listed in
``EXPECTED_DIFFERENCES`` with the reason; the test then checks the difference is still there.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.plugins.social.live import SECRET, Browser, Hop, idp_call, idp_server, idp_user
from tests.support.live_servers import Server, authkit_server, reference_server
from tests.support.wire_observe import differences, observe, shape

MODES: dict[str, dict[str, str]] = {
    "database": {},
    "cookie": {"SOCIAL_STATE_STRATEGY": "cookie", "SOCIAL_ENCRYPT_TOKENS": "on"},
    # The per-provider and linking options, so their refusals are compared too.
    "options": {"SOCIAL_ERROR_URL": "/errors?from=auth", "SOCIAL_TRUSTED_PROVIDERS": "google,github",
                "SOCIAL_DISABLE_IMPLICIT_SIGN_UP": "github",
                "SOCIAL_REQUIRE_EMAIL_VERIFICATION": "discord",
                "SOCIAL_OVERRIDE_USER_INFO": "google", "SOCIAL_ALLOW_DIFFERENT_EMAILS": "on",
                "SOCIAL_UPDATE_USER_INFO_ON_LINK": "on", "SOCIAL_ALLOW_UNLINKING_ALL": "on",
                "SOCIAL_SKIP_STATE_COOKIE_CHECK": "on", "SOCIAL_UPDATE_ACCOUNT_ON_SIGN_IN": "off",
                "SOCIAL_REQUIRE_LOCAL_EMAIL_VERIFIED": "off",
                "GENERIC_OAUTH_DISABLE_SIGN_UP": "local-oauth2", "GENERIC_OAUTH_PKCE": "off",
                "GENERIC_OAUTH_ACCESS_TOKEN_EXPIRES_IN": "120"},
    "linking-off": {"SOCIAL_ACCOUNT_LINKING": "off", "SOCIAL_DISABLE_IMPLICIT_LINKING": "on",
                    "SOCIAL_DISABLE_SIGN_UP": "discord",
                    "GENERIC_OAUTH_DISABLE_IMPLICIT_SIGN_UP": "local-oidc",
                    "GENERIC_OAUTH_OVERRIDE_USER_INFO": "local-oidc",
                    "GENERIC_OAUTH_REQUIRE_EMAIL_VERIFICATION": "local-oauth2"},
}

# case id -> why authkit deliberately answers differently (the test checks that it still does).
EXPECTED_DIFFERENCES: dict[str, str] = {}


@dataclass
class Side:
    name: str
    server: Server
    idp: str
    browsers: list[Browser] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def browser(self) -> Browser:
        b = Browser(self.server.base_url, self.idp)
        self.browsers.append(b)
        return b

    def close(self) -> None:
        while self.browsers:
            self.browsers.pop().close()


@dataclass
class Sides:
    node: Side
    authkit: Side
    idp: str


@pytest.fixture(scope="module", params=list(MODES))
def sides(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sides]:
    workdir = tmp_path_factory.mktemp("social-diff")
    with idp_server(workdir) as idp:
        knobs = {"SOCIAL_FAKE_IDP": idp.base_url, "GENERIC_OAUTH_IDP": idp.base_url,
                 **MODES[request.param]}
        with reference_server(workdir, db_path=workdir / "node.db", secret=SECRET,
                              keep_db=False, plugins="social,generic-oauth",
                              extra_env=knobs) as node:
            extra = {"AUTHKIT_PLUGINS": "social,generic-oauth",
                     **{f"AUTHKIT_{k}": v for k, v in knobs.items()}}
            with authkit_server(workdir, database_url=f"sqlite:///{workdir / 'authkit.db'}",
                                secret=SECRET, extra_env=extra) as ak:
                yield Sides(Side("node", node, idp.base_url), Side("authkit", ak, idp.base_url),
                            idp.base_url)


# --- helpers driving one side ---------------------------------------------------------------

_n = itertools.count(1)


def signed_up(side: Side, email: str, *, verified: bool = False) -> Browser:
    """A browser signed in with a fresh e-mail/password user (same e-mail on both sides)."""
    b = side.browser()
    res = b.post("/sign-up/email", {"email": email, "password": "password-123456",
                                    "name": "Local"})
    assert res.status_code == 200, res.text
    if verified:
        _verify(side, email)
    return b


def _verify(side: Side, email: str) -> None:
    # Each side's database is private to this test: mark the address verified there.
    import sqlite3
    env = side.server.env or {}
    path = (env.get("DB_PATH") or env["AUTHKIT_DATABASE_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        db.execute('UPDATE "user" SET "emailVerified" = 1 WHERE email = ?', (email,))


def start(b: Browser, path: str = "/sign-in/social", **body: Any) -> str:
    res = b.post(path, body)
    assert res.status_code == 200, res.text
    url: str = res.json()["url"]
    return url


def to_callback(b: Browser, provider: str, login: str, path: str = "/sign-in/social",
                **body: Any) -> str:
    url = b.authorize(start(b, path, provider=provider, **body), login, stop_at_callback=True)
    assert isinstance(url, str)
    return url


def social_user(side: Side, provider: str, login: str, **body: Any) -> Browser:
    b = side.browser()
    hop = b.sign_in(provider, login, **body)
    assert hop.status == 302 and "error" not in (hop.location or ""), hop.location
    return b


def accounts(b: Browser) -> list[dict[str, Any]]:
    res = b.get("/list-accounts")
    assert res.status_code == 200, res.text
    found: list[dict[str, Any]] = res.json()
    return found


def id_token(idp: str, **body: Any) -> str:
    token: str = idp_call(idp, "/test/id-token", body)["id_token"]
    return token


# --- the cases: each drives one side and returns what it saw --------------------------------

Case = Callable[[Side, dict[str, Any]], Any]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    CASES[fn.__name__] = fn
    return fn


def _post(side: Side, path: str, body: Any) -> Any:
    return observe(side.browser().post(path, body), side)


@case
def sign_in_missing_provider(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {})


@case
def sign_in_provider_not_string(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": 12})


@case
def sign_in_unknown_provider(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "nope"})


@case
def sign_in_empty_provider(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": ""})


@case
def sign_in_body_not_object(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", ["github"])


for _key in ("callbackURL", "errorCallbackURL", "newUserCallbackURL"):
    for _value in ("https://evil.example/x", "//evil.example", "javascript:alert(1)", 5):
        def _bad_url(s: Side, ctx: dict[str, Any], key: str = _key, value: Any = _value) -> Any:
            return _post(s, "/sign-in/social", {"provider": "github", key: value})
        CASES[f"sign_in_bad_{_key}_{_value}"] = _bad_url


@case
def sign_in_relative_urls(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "github", "callbackURL": "/dash",
                                        "errorCallbackURL": "/oops",
                                        "newUserCallbackURL": "/welcome"})


@case
def sign_in_redirect_google(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "google", "loginHint": "a@b.c",
                                        "scopes": ["x.read"]})


@case
def sign_in_redirect_discord(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "discord"})


@case
def sign_in_redirect_local_oidc(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "local-oidc",
                                        "additionalParams": {"foo": "bar"}})


@case
def sign_in_disable_redirect(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "local-oauth2", "disableRedirect": True})


@case
def sign_in_reserved_additional_param(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "github", "additionalParams": {"state": "x"}})


@case
def sign_in_scopes_not_list(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "github", "scopes": "read:org"})


@case
def sign_in_disable_redirect_not_bool(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "github", "disableRedirect": "yes"})


@case
def id_token_github(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "github", "idToken": {"token": "x"}})


@case
def id_token_local_oauth2(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "local-oauth2", "idToken": {"token": "x"}})


@case
def id_token_garbage_google(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "google", "idToken": {"token": "a.b.c"}})


@case
def id_token_garbage_oidc(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "local-oidc", "idToken": {"token": "nope"}})


@case
def id_token_missing_token(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "google", "idToken": {}})


@case
def id_token_not_object(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/sign-in/social", {"provider": "google", "idToken": "abc"})


@case
def id_token_wrong_audience(s: Side, ctx: dict[str, Any]) -> Any:
    token = id_token(s.idp, op="google", login=ctx["alice"]["login"], aud="someone-else")
    return _post(s, "/sign-in/social", {"provider": "google", "idToken": {"token": token}})


@case
def id_token_nonce_mismatch(s: Side, ctx: dict[str, Any]) -> Any:
    token = id_token(s.idp, op="google", login=ctx["alice"]["login"], nonce="n1")
    return _post(s, "/sign-in/social", {"provider": "google",
                                        "idToken": {"token": token, "nonce": "n2"}})


@case
def id_token_no_email(s: Side, ctx: dict[str, Any]) -> Any:
    token = id_token(s.idp, op="google", sub="sub-without-mail")
    return _post(s, "/sign-in/social", {"provider": "google", "idToken": {"token": token}})


@case
def id_token_google_ok(s: Side, ctx: dict[str, Any]) -> Any:
    token = id_token(s.idp, op="google", login=ctx["alice"]["login"])
    return _post(s, "/sign-in/social", {"provider": "google",
                                        "idToken": {"token": token, "accessToken": "at",
                                                    "refreshToken": "rt", "expiresAt": 5}})


@case
def id_token_oidc_ok(s: Side, ctx: dict[str, Any]) -> Any:
    token = id_token(s.idp, op="oidc", login=ctx["alice"]["login"])
    return _post(s, "/sign-in/social", {"provider": "local-oidc", "idToken": {"token": token}})


@case
def id_token_existing_unverified_local(s: Side, ctx: dict[str, Any]) -> Any:
    # A local unverified user with the same e-mail: implicit linking refused.
    u = ctx["fresh"]("itl")
    signed_up(s, u["email"])
    token = id_token(s.idp, op="google", login=u["login"])
    return _post(s, "/sign-in/social", {"provider": "google", "idToken": {"token": token}})


# callbacks


def _get(b: Browser, side: Side, url: str) -> Any:
    return observe(b.request("GET", url), side)


@case
def callback_no_state(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    return _get(b, s, b.api + "/callback/github?code=abc")


@case
def callback_forged_state(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    return _get(b, s, b.api + "/callback/github?code=abc&state=forged-state-value-0123456789ab")


@case
def callback_repeated_state(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    return _get(b, s, b.api + "/callback/github?code=abc&state=a&state=b")


@case
def callback_unknown_provider_no_state(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    return _get(b, s, b.api + "/callback/nope?code=abc")


@case
def callback_replayed(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "local-oidc", ctx["alice"]["login"], callbackURL="/dash",
                      errorCallbackURL="/oops")
    jar = dict(b.jar)
    first = _get(b, s, url)
    b.jar = jar
    return [first, _get(b, s, url)]


@case
def callback_without_state_cookie(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "github", ctx["alice"]["login"], errorCallbackURL="/oops?x=1")
    b.jar = {k: v for k, v in b.jar.items() if "state" not in k}
    return _get(b, s, url)


@case
def callback_access_denied(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "github", ctx["alice"]["login"], errorCallbackURL="/oops?x=1")
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    return _get(b, s, b.api + f"/callback/github?state={state}&error=access_denied"
                "&error_description=The+user+has+denied")


@case
def callback_error_default_url(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "github", ctx["alice"]["login"])
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    return _get(b, s, b.api + f"/callback/github?state={state}&error=server_error")


@case
def callback_missing_code(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "github", ctx["alice"]["login"], errorCallbackURL="/oops")
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    return _get(b, s, b.api + f"/callback/github?state={state}")


@case
def callback_code_for_other_provider(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "github", ctx["alice"]["login"], errorCallbackURL="/oops")
    return _get(b, s, url.replace("/callback/github", "/callback/discord"))


@case
def callback_unknown_provider_with_state(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "github", ctx["alice"]["login"], errorCallbackURL="/oops")
    return _get(b, s, url.replace("/callback/github", "/callback/nope"))


@case
def callback_bad_code(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "local-oidc", ctx["alice"]["login"], errorCallbackURL="/oops")
    q = dict(parse_qsl(urlsplit(url).query))
    q["code"] = "not-a-code"
    return _get(b, s, b.api + "/callback/local-oidc?" + httpx.QueryParams(q).__str__())


@case
def callback_issuer_mismatch(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    url = to_callback(b, "local-oidc", ctx["alice"]["login"], errorCallbackURL="/oops")
    q = dict(parse_qsl(urlsplit(url).query))
    q["iss"] = "https://other.example"
    return _get(b, s, b.api + "/callback/local-oidc?" + str(httpx.QueryParams(q)))


@case
def callback_success_new_user(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    u = ctx["fresh"]("cbn")
    url = to_callback(b, "github", u["login"], callbackURL="/dash?a=1",
                      newUserCallbackURL="/welcome")
    return _get(b, s, url)


@case
def callback_form_post(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    res = b.client.post(b.api + "/callback/local-oidc?iss=x",
                        data={"code": "c", "state": "s", "extra": "dropped"})
    return observe(res, s)


@case
def callback_account_not_linked(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("anl")
    signed_up(s, u["email"])  # local user, e-mail not verified
    b = s.browser()
    return observe(b.request("GET", to_callback(b, "local-oidc", u["login"],
                                                errorCallbackURL="/oops")), s)


@case
def callback_no_email(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    return observe(b.request("GET", to_callback(b, "github", "nomail",
                                                errorCallbackURL="/oops")), s)


# link-social


@case
def link_signed_out(s: Side, ctx: dict[str, Any]) -> Any:
    return _post(s, "/link-social", {"provider": "github"})


@case
def link_unknown_provider(s: Side, ctx: dict[str, Any]) -> Any:
    b = signed_up(s, ctx["fresh"]("lup")["email"])
    return observe(b.post("/link-social", {"provider": "nope"}), s)


@case
def link_missing_provider(s: Side, ctx: dict[str, Any]) -> Any:
    b = signed_up(s, ctx["fresh"]("lmp")["email"])
    return observe(b.post("/link-social", {}), s)


@case
def link_bad_callback(s: Side, ctx: dict[str, Any]) -> Any:
    b = signed_up(s, ctx["fresh"]("lbc")["email"])
    return [observe(b.post("/link-social", {"provider": "github", key: "https://evil.example"}),
                    s) for key in ("callbackURL", "errorCallbackURL")]


@case
def link_redirect_ok(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("lro")
    b = signed_up(s, u["email"])
    res = b.post("/link-social", {"provider": "github", "callbackURL": "/linked"})
    hop = b.authorize(res.json()["url"], u["login"])
    assert isinstance(hop, Hop)
    return [observe(res, s), observe(hop.response, s), shape(accounts(b))]


@case
def link_account_of_other_user(s: Side, ctx: dict[str, Any]) -> Any:
    # The GitHub account belongs to the user it created; its IdP e-mail then changes to the
    # e-mail of a second user, who tries to link it.
    owner = ctx["fresh"]("lao")
    social_user(s, "github", owner["login"])
    moved = f"moved-{s.name}-{owner['email']}"
    idp_call(s.idp, "/test/users", {"login": owner["login"], "email": moved})
    b = signed_up(s, moved)
    url = to_callback(b, "github", owner["login"], "/link-social", errorCallbackURL="/oops")
    return observe(b.request("GET", url), s)


@case
def link_different_email(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("lde")
    b = signed_up(s, f"other-{u['email']}")
    url = to_callback(b, "github", u["login"], "/link-social", errorCallbackURL="/oops")
    return observe(b.request("GET", url), s)


@case
def link_unverified_at_idp(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("luv", email_verified=False)
    b = signed_up(s, u["email"])
    url = to_callback(b, "local-oidc", u["login"], "/link-social", errorCallbackURL="/oops")
    return observe(b.request("GET", url), s)


@case
def link_after_sign_out(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("lso")
    b = signed_up(s, u["email"])
    url = to_callback(b, "github", u["login"], "/link-social", errorCallbackURL="/oops")
    jar = dict(b.jar)
    assert b.post("/sign-out", {}).status_code == 200
    b.jar = {k: v for k, v in jar.items() if "session" not in k}
    return observe(b.request("GET", url), s)


@case
def link_id_token_cases(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("lit")
    other = ctx["fresh"]("lio")
    taken = ctx["fresh"]("lik")
    social_user(s, "local-oidc", taken["login"])
    b = signed_up(s, u["email"])
    out = []
    for body in (
        {"token": "garbage"},
        {"token": id_token(s.idp, op="oidc", login=other["login"])},
        {"token": id_token(s.idp, op="oidc", login=u["login"],
                           claims={"email_verified": False})},
        {"token": id_token(s.idp, op="oidc", login=taken["login"],
                           claims={"email": u["email"]})},
        {"token": id_token(s.idp, op="oidc", login=u["login"]), "refreshToken": "r"},
        {"token": id_token(s.idp, op="oidc", login=u["login"])},
    ):
        out.append(observe(b.post("/link-social", {"provider": "local-oidc", "idToken": body}),
                           s))
    out.append(observe(b.post("/link-social", {"provider": "github", "idToken": {"token": "x"}}),
                       s))
    out.append(shape(accounts(b)))
    return out


# unlink / tokens / account-info


@case
def unlink_cases(s: Side, ctx: dict[str, Any]) -> Any:
    out = [_post(s, "/unlink-account", {"accountId": "x"})]
    u = ctx["fresh"]("unl")
    b = social_user(s, "github", u["login"])
    own = accounts(b)[0]["id"]
    out += [observe(b.post("/unlink-account", body), s) for body in (
        {"accountId": "unknown"}, {"accountId": own}, {"providerId": "github"},
        {"accountId": 5}, {})]
    hop = b.sign_in("local-oidc", u["login"])  # implicit link: the IdP e-mail is verified
    out.append(observe(hop.response, s))
    other = social_user(s, "discord", ctx["fresh"]("unm")["login"])
    theirs = accounts(other)[0]["id"]
    out += [observe(b.post("/unlink-account", body), s) for body in (
        {"accountId": "unknown"}, {"accountId": theirs}, {"accountId": own})]
    out.append(shape(accounts(b)))
    return out


@case
def token_endpoints(s: Side, ctx: dict[str, Any]) -> Any:
    out = []
    for path in ("/get-access-token", "/refresh-token"):
        out.append(_post(s, path, {"accountId": "x"}))
    out.append(observe(s.browser().get("/account-info?accountId=x"), s))
    u = ctx["fresh"]("tok")
    b = signed_up(s, u["email"], verified=True)
    credential = accounts(b)[0]["id"]
    hop = b.sign_in("github", u["login"])
    out.append(observe(hop.response, s))
    github = next(a["id"] for a in accounts(b) if a["providerId"] == "github")
    other = social_user(s, "local-oidc", ctx["fresh"]("tko")["login"])
    theirs = accounts(other)[0]["id"]
    for path in ("/get-access-token", "/refresh-token"):
        for body in ({"accountId": "unknown"}, {"accountId": theirs}, {"accountId": credential},
                     {"accountId": github}, {"accountId": github, "extra": 1},
                     {"providerId": "github"}, {}, {"accountId": 7},
                     {"accountId": github, "userId": "someone"}):
            out.append([path, sorted(body), observe(b.post(path, body), s)])
    for query in ("", "?accountId=unknown", f"?accountId={theirs}",
                  f"?accountId={credential}", f"?accountId={github}"):
        out.append(["info", query.split("=")[0], observe(b.get("/account-info" + query), s)])
    oidc = social_user(s, "local-oidc", ctx["fresh"]("tkr")["login"])
    acc = accounts(oidc)[0]["id"]
    for path in ("/get-access-token", "/refresh-token"):
        out.append([path, observe(oidc.post(path, {"accountId": acc}), s)])
    out.append(["info", observe(oidc.get(f"/account-info?accountId={acc}"), s)])
    return out


@case
def list_accounts_shapes(s: Side, ctx: dict[str, Any]) -> Any:
    out: list[Any] = [observe(s.browser().get("/list-accounts"), s)]
    u = ctx["fresh"]("lis")
    b = signed_up(s, u["email"], verified=True)
    out.append(observe(b.get("/list-accounts"), s))
    b.sign_in("discord", u["login"])
    b.sign_in("local-oauth2", u["login"])
    listed = accounts(b)
    out.append(shape(listed))
    out.append(sorted((a["providerId"], tuple(a["scopes"])) for a in listed))
    return out


@case
def callback_post_variants(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    out = [observe(b.client.post(b.api + "/callback/local-oidc", json={"code": "c", "state": "s"}),
                   s),
           observe(b.client.post(b.api + "/callback/local-oidc", content=b"code=c",
                                 headers={"content-type": "text/plain"}), s),
           observe(b.client.post(b.api + "/callback/local-oidc", data={"state": "s"},
                                 headers={"cookie": "a=b", "origin": "https://evil.example"}), s),
           observe(b.client.get(b.api + "/callback/github?state="), s),
           observe(b.client.get(b.api + "/callback/github?state=s&error=x&foo=bar"), s)]
    return out


@case
def sign_in_again_and_states(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("sia")
    social_user(s, "discord", u["login"])
    b = s.browser()
    first = to_callback(b, "discord", u["login"], callbackURL="/one", errorCallbackURL="/err-one")
    second = to_callback(b, "discord", u["login"], callbackURL="/two",
                         newUserCallbackURL="/new")
    return [observe(b.request("GET", first), s), observe(b.request("GET", second), s)]


@case
def additional_data_overrides(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    u = ctx["fresh"]("add", email_public=True)
    url = to_callback(b, "local-oauth2", u["login"], callbackURL="/mine",
                      additionalData={"callbackURL": "https://evil.example", "plan": "pro"})
    return observe(b.request("GET", url), s)


@case
def sign_out_with_oidc_account(s: Side, ctx: dict[str, Any]) -> Any:
    out = []
    for body in ({}, {"callbackURL": "/bye", "state": "st"}, {"disableRedirect": True}):
        b = social_user(s, "local-oidc", ctx["fresh"]("sgo")["login"])
        out.append(observe(b.post("/sign-out", body), s))
    b = social_user(s, "github", ctx["fresh"]("sgg")["login"])
    out.append(observe(b.post("/sign-out", {}), s))
    return out


@case
def tokens_of_expiring_accounts(s: Side, ctx: dict[str, Any]) -> Any:
    out = []
    for provider in ("local-oidc", "github", "discord", "google"):
        b = social_user(s, provider, ctx["fresh"](f"exp{provider}", access_ttl=2)["login"])
        acc = accounts(b)[0]["id"]
        for path in ("/get-access-token", "/refresh-token"):
            out.append([provider, path, observe(b.post(path, {"accountId": acc}), s)])
        out.append([provider, observe(b.get(f"/account-info?accountId={acc}"), s)])
        out.append([provider, observe(b.post("/get-access-token", {"useAccountCookie": True}),
                                      s)])
    return out


@case
def github_relink_scopes(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("grl")
    b = signed_up(s, u["email"])
    for _ in range(2):
        url = to_callback(b, "github", u["login"], "/link-social", callbackURL="/linked")
        res = b.request("GET", url)
        assert res.headers.get("location") == "/linked", res.headers.get("location")
    return sorted((a["providerId"], tuple(a["scopes"])) for a in accounts(b))


EXPECTED_DIFFERENCES["github_relink_scopes"] = (
    "authkit merges scopes without duplicates on a re-link; Better Auth treats GitHub's "
    "comma-joined scope as one entry and stores read:user,user:email twice (docs/social.md)")


@case
def unlink_credential_and_fresh(s: Side, ctx: dict[str, Any]) -> Any:
    u = ctx["fresh"]("ucf")
    b = signed_up(s, u["email"], verified=True)
    b.sign_in("local-oidc", u["login"])
    cred = next(a["id"] for a in accounts(b) if a["providerId"] == "credential")
    return [observe(b.post("/unlink-account", {"accountId": cred}), s), shape(accounts(b)),
            observe(b.post("/sign-in/email", {"email": u["email"],
                                              "password": "password-123456"}), s)]


@case
def sign_in_field_types(s: Side, ctx: dict[str, Any]) -> Any:
    bodies: list[Any] = [
        {"provider": "github", "scopes": [1]}, {"provider": "github", "additionalParams": {"a": 1}},
        {"provider": "github", "additionalParams": []}, {"provider": "github", "loginHint": 5},
        {"provider": "github", "additionalData": "x"}, {"provider": "github", "requestSignUp": 1},
        {"provider": "github", "newUserCallbackURL": None}, {"provider": "github", "extra": 1},
        {"provider": "google", "idToken": {"token": 5}},
        {"provider": "google", "idToken": {"token": "a.b.c", "nonce": 5}},
        {"provider": "google", "idToken": {"token": "a.b.c", "expiresAt": "soon"}},
        {"provider": "google", "idToken": {"token": "a.b.c", "user": {"name": "x"}}},
        {"provider": "google", "idToken": None}, {"provider": "github", "scopes": []},
        {"provider": "GitHub"}, {"provider": " github"}, None, "provider=github"]
    return [_post(s, "/sign-in/social", body) for body in bodies]


@case
def account_bodies(s: Side, ctx: dict[str, Any]) -> Any:
    b = social_user(s, "local-oidc", ctx["fresh"]("acb")["login"])
    out = []
    for path in ("/get-access-token", "/refresh-token", "/unlink-account"):
        for body in ([], "x", {"accountId": ""}, {"useAccountCookie": False},
                     {"useAccountCookie": True, "accountId": "x"}, {"accountId": "x", "userId": 5},
                     {"accountId": None}):
            out.append([path, observe(b.post(path, body), s)])
        out.append([path, observe(b.request("POST", b.api + path), s)])
    for query in ("?accountId=", "?accountId=a&accountId=b", "?useAccountCookie=true",
                  "?accountId=x&extra=1"):
        out.append(["info", observe(b.get("/account-info" + query), s)])
    return out


@case
def callback_provider_error_without_state(s: Side, ctx: dict[str, Any]) -> Any:
    b = s.browser()
    return [_get(b, s, b.api + "/callback/github?error=access_denied"),
            _get(b, s, b.api + "/callback/github?error=access_denied&state=unknown"),
            _get(b, s, b.api + "/error?error=state_mismatch")]


# --- the test -------------------------------------------------------------------------------


def _context(idp: str) -> dict[str, Any]:
    fresh_users: dict[str, dict[str, Any]] = {}

    def fresh(tag: str, **fields: Any) -> dict[str, Any]:
        # One IdP user per tag, shared by both sides (each side has its own database).
        if tag not in fresh_users:
            fresh_users[tag] = idp_user(idp, tag, **fields)
        return fresh_users[tag]

    return {"alice": idp_call(idp, "/test/users/alice"), "fresh": fresh}


REFUSED = "a set-up step was refused"


def _run(fn: Case, side: Side, ctx: dict[str, Any]) -> Any:
    # Under some options a case's own set-up step is refused (a sign-up that is disabled):
    # that it was refused is then what both servers must agree on.
    try:
        return fn(side, ctx)
    except (AssertionError, StopIteration):
        return REFUSED


@pytest.mark.parametrize("name", list(CASES))
def test_same_answers(sides: Sides, name: str) -> None:
    ctx = _context(sides.idp)
    try:
        seen_node = _run(CASES[name], sides.node, ctx)
        seen_authkit = _run(CASES[name], sides.authkit, ctx)
    finally:
        sides.node.close()
        sides.authkit.close()
    if os.environ.get("SOCIAL_DIFF_SHOW"):  # to read what both servers answered
        print(f"\n{name}: {seen_node!r}")
    if name in EXPECTED_DIFFERENCES and seen_node != REFUSED:
        assert seen_node != seen_authkit, f"{name} no longer differs: drop it from the list"
        return
    assert seen_authkit == seen_node, "\n".join(differences(seen_node, seen_authkit))

