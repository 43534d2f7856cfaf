"""The account and provider options, in process (WSGI) against the real loopback providers:
sign-up controls, profile overrides, e-mail verification, linking rules, unlinking, bans,
database hooks, token updates, the error URL, endpoint overrides and mapped fields."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authkit import AuthKit
from authkit.errors import APIError, ConfigError
from authkit.plugins.admin import admin
from authkit.plugins.generic_oauth import generic_oauth
from authkit.plugins.social import SocialPlugin, social
from authkit.storage.fields import FieldSpec
from tests.support.fixtures import MakeAuth
from tests.support.live_servers import Server

from .live import Browser, Hop, idp_server, idp_user

BASE = "http://localhost:3000"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with idp_server(tmp_path_factory.mktemp("idp")) as server:
        yield server


Setup = Callable[..., tuple[AuthKit, Callable[[], Browser]]]


@pytest.fixture
def setup(make_auth: MakeAuth, idp: Server) -> Iterator[Setup]:
    browsers: list[Browser] = []
    made: list[AuthKit] = []

    def build(providers: dict[str, Any] | None = None, *, generic: bool = False,
              extra_plugins: tuple[Any, ...] = (), **options: Any
              ) -> tuple[AuthKit, Callable[[], Browser]]:
        if providers is None:
            providers = {"github": {"client_id": "ba-github-client",
                                    "client_secret": "ba-github-secret"}}
        options.setdefault("fake_idp", idp.base_url)
        auth_options = options.pop("auth_options", {})
        plugins: list[Any] = [social(providers=providers, **options), *extra_plugins]
        if generic:
            plugins.append(generic_oauth(config=[{
                "provider_id": "local-oidc", "client_id": "ba-oidc-client",
                "client_secret": "ba-oidc-secret", "scopes": ["email", "profile"],
                "discovery_url": f"{idp.base_url}/.well-known/openid-configuration"}]))
        # The real clock by default: the provider's tokens carry real expiry times.
        clock = auth_options.pop("clock", time.time)
        auth = make_auth(plugins=plugins, clock=clock, **auth_options)
        made.append(auth)

        def browser() -> Browser:
            b = Browser(BASE, idp.base_url, app=auth.wsgi_app())
            browsers.append(b)
            return b
        return auth, browser

    yield build
    for b in browsers:
        b.close()
    for auth in made:
        _close(auth)


def _close(auth: AuthKit) -> None:
    # The plugin's pooled connections to the IdP (the test process outlives the AuthKit).
    for plugin in auth.plugins:
        if isinstance(plugin, SocialPlugin):
            plugin.close()


def _user(auth: AuthKit, email: str) -> Any:
    return auth.db.get_user_by_email(email.lower())


def _sign_up(b: Browser, email: str) -> None:
    res = b.post("/sign-up/email", {"email": email, "password": "local-pass-123",
                                    "name": "Local"})
    assert res.status_code == 200, res.text


def _verify(auth: AuthKit, email: str) -> None:
    user = _user(auth, email)
    auth.db.update_user(None, user.id, {"emailVerified": True})


def test_disable_sign_up(setup: Setup, idp: Server) -> None:
    auth, browser = setup({"github": {"client_id": "ba-github-client",
                                      "client_secret": "ba-github-secret",
                                      "disable_sign_up": True}})
    u = idp_user(idp.base_url, "nosign")
    hop = browser().sign_in("github", u["login"], errorCallbackURL="/oops")
    assert hop.location == "/oops?error=signup_disabled"
    assert _user(auth, u["email"]) is None
    # requestSignUp does not lift disable_sign_up.
    hop = browser().sign_in("github", u["login"], errorCallbackURL="/oops", requestSignUp=True)
    assert hop.location == "/oops?error=signup_disabled"


def test_disable_implicit_sign_up_needs_request_sign_up(setup: Setup, idp: Server) -> None:
    auth, browser = setup({"github": {"client_id": "ba-github-client",
                                      "client_secret": "ba-github-secret",
                                      "disable_implicit_sign_up": True}})
    u = idp_user(idp.base_url, "implicit")
    assert browser().sign_in("github", u["login"], errorCallbackURL="/oops").location == \
        "/oops?error=signup_disabled"
    hop = browser().sign_in("github", u["login"], newUserCallbackURL="/welcome",
                            requestSignUp=True)
    assert hop.location == "/welcome"
    assert _user(auth, u["email"]) is not None
    # An existing user signs in without it.
    assert browser().sign_in("github", u["login"], callbackURL="/d").location == "/d"


def test_override_user_info_on_sign_in(setup: Setup, idp: Server) -> None:
    auth, browser = setup({"github": {"client_id": "ba-github-client",
                                      "client_secret": "ba-github-secret",
                                      "override_user_info_on_sign_in": True}})
    u = idp_user(idp.base_url, "ovr", name="First Name")
    browser().sign_in("github", u["login"])
    assert _user(auth, u["email"]).name == "First Name"
    idp_user_update = {"login": u["login"], "name": "Second Name"}
    from .live import idp_call

    idp_call(idp.base_url, "/test/users", idp_user_update)
    browser().sign_in("github", u["login"])
    assert _user(auth, u["email"]).name == "Second Name"


def test_without_override_the_profile_stays(setup: Setup, idp: Server) -> None:
    auth, browser = setup()
    u = idp_user(idp.base_url, "keep", name="Kept")
    browser().sign_in("github", u["login"])
    from .live import idp_call

    idp_call(idp.base_url, "/test/users", {"login": u["login"], "name": "Changed"})
    browser().sign_in("github", u["login"])
    assert _user(auth, u["email"]).name == "Kept"


def test_require_email_verification(setup: Setup, idp: Server) -> None:
    auth, browser = setup({"github": {"client_id": "ba-github-client",
                                      "client_secret": "ba-github-secret",
                                      "require_email_verification": True}})
    u = idp_user(idp.base_url, "rev", email_verified=False)
    b = browser()
    hop = b.sign_in("github", u["login"], errorCallbackURL="/oops")
    assert hop.location == "/oops?error=email_not_verified"
    assert "better-auth.session_token" not in b.jar
    assert _user(auth, u["email"]) is not None  # created, but no session
    v = idp_user(idp.base_url, "revok")
    assert browser().sign_in("github", v["login"], newUserCallbackURL="/w").location == "/w"


def test_disable_implicit_linking(setup: Setup, idp: Server) -> None:
    auth, browser = setup(account_linking={"disable_implicit_linking": True})
    u = idp_user(idp.base_url, "dil")
    _sign_up(browser(), u["email"])
    _verify(auth, u["email"])
    hop = browser().sign_in("github", u["login"], errorCallbackURL="/oops")
    assert hop.location == "/oops?error=account_not_linked"


def test_linking_disabled(setup: Setup, idp: Server) -> None:
    auth, browser = setup(account_linking={"enabled": False})
    u = idp_user(idp.base_url, "nolink")
    local = browser()
    _sign_up(local, u["email"])
    _verify(auth, u["email"])
    assert browser().sign_in("github", u["login"], errorCallbackURL="/oops").location == \
        "/oops?error=account_not_linked"
    res = local.post("/link-social", {"provider": "github", "errorCallbackURL": "/le"})
    hop = local.authorize(res.json()["url"], u["login"])
    assert isinstance(hop, Hop) and hop.location == "/le?error=unable_to_link_account"


def test_require_local_email_verified_off(setup: Setup, idp: Server) -> None:
    _auth, browser = setup(account_linking={"require_local_email_verified": False})
    u = idp_user(idp.base_url, "rlev")
    _sign_up(browser(), u["email"])
    assert browser().sign_in("github", u["login"], callbackURL="/d").location == "/d"


def test_allow_different_emails_and_update_user_info_on_link(setup: Setup, idp: Server) -> None:
    auth, browser = setup(account_linking={"allow_different_emails": True,
                                           "update_user_info_on_link": True})
    local = browser()
    _sign_up(local, "linker@example.com")
    other = idp_user(idp.base_url, "difmail", name="From Provider")
    res = local.post("/link-social", {"provider": "github", "callbackURL": "/linked"})
    hop = local.authorize(res.json()["url"], other["login"])
    assert isinstance(hop, Hop) and hop.location == "/linked"
    user = _user(auth, "linker@example.com")
    assert user.name == "From Provider" and user.image.startswith("https://avatars.")
    assert user.email == "linker@example.com"  # never the provider's e-mail
    # The same provider account cannot be linked to someone else.
    third = browser()
    _sign_up(third, "third@example.com")
    res = third.post("/link-social", {"provider": "github", "errorCallbackURL": "/le"})
    hop = third.authorize(res.json()["url"], other["login"])
    assert isinstance(hop, Hop)
    assert hop.location == "/le?error=account_already_linked_to_different_user"


def test_allow_unlinking_all(setup: Setup, idp: Server) -> None:
    _auth, browser = setup(account_linking={"allow_unlinking_all": True})
    u = idp_user(idp.base_url, "unall")
    b = browser()
    b.sign_in("github", u["login"])
    (account,) = b.get("/list-accounts").json()
    assert b.post("/unlink-account", {"accountId": account["id"]}).json() == {"status": True}
    assert b.get("/list-accounts").json() == []


def test_unlink_needs_a_fresh_session(setup: Setup, idp: Server) -> None:
    # authkit's clock runs ahead of the real one on demand (the provider keeps real time),
    # so the session ages without the test sleeping.
    ahead = [0.0]
    _auth, browser = setup(auth_options={"session": {"fresh_age": 1},
                                         "clock": lambda: time.time() + ahead[0]},
                          account_linking={"allow_unlinking_all": True})
    u = idp_user(idp.base_url, "fresh")
    b = browser()
    b.sign_in("github", u["login"])
    (account,) = b.get("/list-accounts").json()
    ahead[0] = 2.0  # the session is now older than fresh_age
    res = b.post("/unlink-account", {"accountId": account["id"]})
    assert (res.status_code, res.json()["code"]) == (403, "SESSION_NOT_FRESH")


def test_banned_user(setup: Setup, idp: Server) -> None:
    auth, browser = setup(extra_plugins=(admin(),))
    u = idp_user(idp.base_url, "ban")
    browser().sign_in("github", u["login"])
    auth.db.update_user(None, _user(auth, u["email"]).id, {"banned": True})
    hop = browser().sign_in("github", u["login"], errorCallbackURL="/oops")
    assert hop.location is not None
    assert hop.location.startswith("/oops?error=BANNED_USER&error_description=You+have+been+")


def test_database_hooks_fire_and_can_veto(make_auth: MakeAuth, idp: Server) -> None:
    seen: list[str] = []
    veto = {"on": False}

    def before_user(data: dict[str, Any], ctx: Any) -> Any:
        seen.append("user.before")
        return False if veto["on"] else None

    hooks = {"user": {"create": {"before": before_user,
                                 "after": lambda user, ctx: seen.append("user.after")}},
             "account": {"create": {"after": lambda acc, ctx: seen.append(
                 f"account.after:{acc.provider_id}")}}}
    auth = make_auth(clock=time.time, database_hooks=hooks, plugins=[social(
        providers={"github": {"client_id": "ba-github-client",
                              "client_secret": "ba-github-secret"}},
        fake_idp=idp.base_url)])
    u = idp_user(idp.base_url, "hook")
    b = Browser(BASE, idp.base_url, app=auth.wsgi_app())
    try:
        b.sign_in("github", u["login"])
        assert seen == ["user.before", "user.after", "account.after:github"]
        veto["on"] = True
        v = idp_user(idp.base_url, "vetoed")
        b.close()
        b = Browser(BASE, idp.base_url, app=auth.wsgi_app())  # the IdP remembers the login
        hop = b.sign_in("github", v["login"], errorCallbackURL="/oops")
        assert hop.location == "/oops?error=unable_to_create_user"
        assert _user(auth, v["email"]) is None
    finally:
        b.close()
        _close(auth)


def test_update_account_on_sign_in_off(setup: Setup, idp: Server) -> None:
    auth, browser = setup(update_account_on_sign_in=False)
    u = idp_user(idp.base_url, "noupd")
    browser().sign_in("github", u["login"])
    before = auth.storage.find_row("account", {"providerId": "github"})
    browser().sign_in("github", u["login"])
    after = auth.storage.find_row("account", {"id": before["id"]})  # type: ignore[index]
    assert after is not None and after["accessToken"] == before["accessToken"]  # type: ignore[index]


def test_error_url_and_skip_state_cookie_check(setup: Setup, idp: Server) -> None:
    _auth, browser = setup(error_url="/problems", skip_state_cookie_check=True)
    b = browser()
    assert b.get("/callback/github?code=x").headers["location"] == \
        "/problems?error=state_not_found"
    u = idp_user(idp.base_url, "skip")
    res = b.post("/sign-in/social", {"provider": "github", "callbackURL": "/d"})
    url = b.authorize(res.json()["url"], u["login"], stop_at_callback=True)
    assert isinstance(url, str)
    other = browser()  # no state cookie: accepted, as configured
    assert other.request("GET", url).headers["location"] == "/d"


def test_endpoints_overridden_without_fake_idp(setup: Setup, idp: Server) -> None:
    base = idp.base_url
    auth, browser = setup({"github": {
        "client_id": "ba-github-client", "client_secret": "ba-github-secret",
        "authorization_endpoint": f"{base}/github.com/login/oauth/authorize",
        "token_endpoint": f"{base}/github.com/login/oauth/access_token",
        "userinfo_endpoint": f"{base}/api.github.com/user"}}, fake_idp=None)
    u = idp_user(base, "ghe")
    b = browser()
    res = b.post("/sign-in/social", {"provider": "github"})
    assert res.json()["url"].startswith(f"{base}/github.com/login/oauth/authorize?")
    hop = b.authorize(res.json()["url"], u["login"])
    assert isinstance(hop, Hop) and hop.status == 302
    assert _user(auth, u["email"]) is not None


def test_map_profile_to_user_fills_additional_fields(setup: Setup, idp: Server) -> None:
    auth, browser = setup(
        {"github": {"client_id": "ba-github-client", "client_secret": "ba-github-secret",
                    "map_profile_to_user": lambda p: {"githubLogin": p["login"],
                                                      "name": p["login"].upper()}}},
        auth_options={"user": {"additional_fields": [
            FieldSpec("githubLogin", "string", required=False)]}})
    u = idp_user(idp.base_url, "mapped")
    browser().sign_in("github", u["login"])
    user = _user(auth, u["email"])
    assert user.extra["githubLogin"] == u["login"] and user.name == u["login"].upper()


def test_generic_provider_alone_brings_the_routes(make_auth: MakeAuth, idp: Server) -> None:
    auth = make_auth(clock=time.time, plugins=[generic_oauth(config=[{
        "provider_id": "local-oidc", "client_id": "ba-oidc-client",
        "client_secret": "ba-oidc-secret", "scopes": ["email", "profile"],
        "discovery_url": f"{idp.base_url}/.well-known/openid-configuration"}])])
    u = idp_user(idp.base_url, "gen")
    b = Browser(BASE, idp.base_url, app=auth.wsgi_app())
    try:
        assert b.sign_in("local-oidc", u["login"], newUserCallbackURL="/w").location == "/w"
    finally:
        b.close()
        _close(auth)


def test_fake_idp_is_refused_in_production(make_auth: MakeAuth) -> None:
    with pytest.raises(ConfigError, match="production"):
        make_auth(production=True, base_url="https://auth.example.com", plugins=[social(
            fake_idp="http://127.0.0.1:1")])


def test_unknown_preset_and_bad_strategy() -> None:
    with pytest.raises(ConfigError, match="no provider preset"):
        social(providers={"myspace": {"client_id": "x"}})
    with pytest.raises(ConfigError, match="store_state_strategy"):
        social(store_state_strategy="session")
    with pytest.raises(ConfigError, match="client_id"):
        social(providers={"github": {"client_secret": "x"}})


def test_in_process_api(setup: Setup, idp: Server) -> None:
    auth, _ = setup()
    out = auth.api.sign_in_social(body={"provider": "github", "disableRedirect": True})
    assert out["redirect"] is False and out["url"].startswith("https://github.com/")
    with pytest.raises(APIError) as err:
        auth.api.sign_in_social(body={"provider": "nope"})
    assert (err.value.status, err.value.code) == (404, "PROVIDER_NOT_FOUND")


def test_provider_without_an_email(setup: Setup, idp: Server) -> None:
    _auth, browser = setup({"github": {"client_id": "ba-github-client",
                                      "client_secret": "ba-github-secret"},
                           "google": {"client_id": "ba-google-client.apps.googleusercontent.com",
                                      "client_secret": "ba-google-secret"}})
    # idp.mjs's built-in "nomail" user has no address at all.
    hop = browser().sign_in("github", "nomail", errorCallbackURL="/oops")
    assert hop.location == "/oops?error=email_not_found"
    from .live import idp_call

    token = idp_call(idp.base_url, "/test/id-token", {"op": "google", "login": "nomail"})
    res = browser().post("/sign-in/social", {"provider": "google",
                                             "idToken": {"token": token["id_token"]}})
    assert (res.status_code, res.json()["code"]) == (401, "USER_EMAIL_NOT_FOUND")
