"""Refusals of the OAuth flows against a live ``authkit serve`` and the loopback providers
(database state strategy): state tampering, replay and expiry; a code for one provider on
another's callback; ID tokens with the wrong audience, issuer, nonce, signature, algorithm
or expiry; open redirects through the three callback URLs; linking to an account whose
e-mail is not verified. Each refusal is checked with its error code."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.live_servers import Server, authkit_server

from .live import SECRET, Browser, Hop, idp_call, idp_server, idp_user, query_of


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Path]]:
    workdir = tmp_path_factory.mktemp("social-security")
    db = workdir / "social.db"
    with idp_server(workdir) as idp:
        extra = {"AUTHKIT_PLUGINS": "social,generic-oauth",
                 "AUTHKIT_SOCIAL_FAKE_IDP": idp.base_url,
                 "AUTHKIT_GENERIC_OAUTH_IDP": idp.base_url}
        with authkit_server(workdir, database_url=f"sqlite:///{db}", secret=SECRET,
                            outbox=workdir / "outbox.jsonl", extra_env=extra) as server:
            yield server, idp, db


@pytest.fixture
def browser(servers: tuple[Server, Server, Path]) -> Iterator[Browser]:
    server, idp, _ = servers
    b = Browser(server.base_url, idp.base_url)
    yield b
    b.close()


_OPEN: list[Browser] = []


@pytest.fixture(autouse=True)
def _close_browsers() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _new(servers: tuple[Server, Server, Path]) -> Browser:
    b = Browser(servers[0].base_url, servers[1].base_url)
    _OPEN.append(b)
    return b


def _start(b: Browser, provider: str, **body: Any) -> str:
    res = b.post("/sign-in/social", {"provider": provider, **body})
    assert res.status_code == 200, res.text
    url: str = res.json()["url"]
    return url


def _to_callback(b: Browser, provider: str, login: str, **body: Any) -> str:
    url = b.authorize(_start(b, provider, **body), login, stop_at_callback=True)
    assert isinstance(url, str)
    return url


def _callback(b: Browser, url: str) -> str | None:
    res = b.request("GET", url)
    assert res.status_code == 302
    location: str | None = res.headers.get("location")
    return location


# -- state ---------------------------------------------------------------------------------

def test_tampered_state_is_state_mismatch(servers: Any, browser: Browser) -> None:
    user = idp_user(servers[1].base_url, "tamper")
    url = _to_callback(browser, "github", user["login"], errorCallbackURL="/oops")
    params = query_of(url)
    forged = url.replace(f"state={params['state']}", "state=" + "x" * 32)
    assert _callback(browser, forged) == f"{browser.api}/error?error=state_mismatch"
    assert "better-auth.session_token" not in browser.jar
    # The real flow is untouched by the forged attempt.
    assert _callback(browser, url) in ("/", servers[0].base_url)
    assert "better-auth.session_token" in browser.jar


def test_callback_in_another_browser_is_refused_and_kept(servers: Any, browser: Browser) -> None:
    user = idp_user(servers[1].base_url, "other")
    url = _to_callback(browser, "github", user["login"], errorCallbackURL="/oops",
                       callbackURL="/dash")
    intruder = _new(servers)
    assert _callback(intruder, url) == "/oops?error=state_mismatch"
    assert "better-auth.session_token" not in intruder.jar
    # A state cookie signed with another secret is no better than none.
    intruder.jar["better-auth.state"] = query_of(url)["state"] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"
    assert _callback(intruder, url) == "/oops?error=state_mismatch"
    assert _callback(browser, url) == "/dash"


def test_replayed_callback_is_state_mismatch(servers: Any, browser: Browser) -> None:
    user = idp_user(servers[1].base_url, "replay")
    url = _to_callback(browser, "github", user["login"], callbackURL="/dash",
                       errorCallbackURL="/oops")
    assert _callback(browser, url) == "/dash"
    assert _callback(browser, url) == f"{browser.api}/error?error=state_mismatch"


def test_expired_state_is_state_mismatch_and_consumed(servers: Any, browser: Browser) -> None:
    _, idp, db = servers
    user = idp_user(idp.base_url, "expired")
    url = _to_callback(browser, "github", user["login"], errorCallbackURL="/oops")
    identifier = "auth-state:" + query_of(url)["state"]
    with sqlite3.connect(db) as conn:
        (value,) = conn.execute("select value from verification where identifier = ?",
                                (identifier,)).fetchone()
        data = json.loads(value)
        data["expiresAt"] = 1_000
        conn.execute("update verification set value = ? where identifier = ?",
                     (json.dumps(data), identifier))
    assert _callback(browser, url) == "/oops?error=state_mismatch"
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from verification where identifier = ?",
                            (identifier,)).fetchone() == (0,)
    assert "better-auth.session_token" not in browser.jar


def test_missing_state_and_repeated_state(servers: Any, browser: Browser) -> None:
    res = browser.get("/callback/github?code=abc")
    assert res.headers["location"] == f"{browser.api}/error?error=state_not_found"
    res = browser.get("/callback/github?code=abc&state=a&state=b")
    assert res.status_code == 400
    assert res.json()["code"] == "VALIDATION_ERROR"


def test_form_post_callback_with_cookie_from_foreign_origin(servers: Any,
                                                             browser: Browser) -> None:
    browser.jar["x"] = "1"
    res = browser.request("POST", f"{browser.api}/callback/github",
                          form={"code": "c", "state": "s"},
                          headers={"origin": "https://evil.example"})
    assert res.status_code == 403
    assert res.json()["code"] == "INVALID_ORIGIN"
    fresh = _new(servers)
    res = fresh.request("POST", f"{fresh.api}/callback/github", form={"state": "s", "code": "c"},
                        headers={"origin": "https://idp.example"})
    assert res.status_code == 302
    assert res.headers["location"] == f"{fresh.api}/callback/github?code=c&state=s"


# -- a code for one provider on another's callback -----------------------------------------

@pytest.mark.parametrize("victim", ["discord", "local-oauth2"])
def test_code_for_one_provider_on_another_callback(servers: Any, browser: Browser,
                                                   victim: str) -> None:
    user = idp_user(servers[1].base_url, "cross")
    github_callback = _to_callback(browser, "github", user["login"])
    code = query_of(github_callback)["code"]
    other_state = query_of(_start(browser, victim, errorCallbackURL="/oops"))["state"]
    location = _callback(browser, f"{browser.api}/callback/{victim}?code={code}"
                                  f"&state={other_state}")
    assert location == "/oops?error=invalid_code"
    assert "better-auth.session_token" not in browser.jar


def test_provider_error_and_issuer_mismatch(servers: Any, browser: Browser) -> None:
    state = query_of(_start(browser, "local-oidc", errorCallbackURL="/oops"))["state"]
    location = _callback(browser, f"{browser.api}/callback/local-oidc?code=c&state={state}"
                                  "&iss=https%3A%2F%2Fevil.example")
    assert location == "/oops?error=issuer_mismatch"
    state = query_of(_start(browser, "local-oidc", errorCallbackURL="/oops"))["state"]
    location = _callback(browser, f"{browser.api}/callback/local-oidc?state={state}"
                                  "&error=access_denied&error_description=no%20way")
    assert location == "/oops?error=access_denied&error_description=no+way"


# -- ID tokens ------------------------------------------------------------------------------

def _mint(idp: str, **body: Any) -> str:
    token: str = idp_call(idp, "/test/id-token", body)["id_token"]
    return token


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _id_token_sign_in(servers: Any, provider: str, token: str,
                      nonce: str | None = None) -> tuple[int, dict[str, Any]]:
    b = _new(servers)
    id_token: dict[str, Any] = {"token": token}
    if nonce is not None:
        id_token["nonce"] = nonce
    res = b.post("/sign-in/social", {"provider": provider, "idToken": id_token})
    has_session = "better-auth.session_token" in b.jar
    b.close()
    body = res.json()
    body["_session"] = has_session
    return res.status_code, body


def _bad_tokens(idp: str, login: str) -> dict[str, tuple[str, str | None]]:
    good = _mint(idp, op="google", login=login)
    head, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = dict(claims, email="someone-else@example.com")
    flipped = sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")
    return {
        "wrong audience": (_mint(idp, op="google", login=login, aud="another-client"), None),
        "wrong issuer": (_mint(idp, op="google", login=login, iss="https://evil.example"), None),
        "expired": (_mint(idp, op="google", login=login, exp_in=-120), None),
        "issued too long ago": (_mint(idp, op="google", login=login, iat_offset=-4000,
                                      exp_in=8000), None),
        "nonce mismatch": (_mint(idp, op="google", login=login, nonce="a" * 32), "b" * 32),
        "nonce missing from the token": (good, "b" * 32),
        "signed by another provider's key": (
            _mint(idp, op="oidc", login=login, iss="https://accounts.google.com",
                  aud="ba-google-client.apps.googleusercontent.com"), None),
        "payload changed after signing": (f"{head}.{_b64(forged)}.{sig}", None),
        "signature altered": (f"{head}.{payload}.{flipped}", None),
        "alg none": (f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.", None),
        "alg HS256": (f"{_b64({'alg': 'HS256', 'kid': 'idp-google-rs256-1'})}.{payload}.{sig}",
                      None),
    }


def test_bad_id_tokens_are_invalid_token(servers: Any) -> None:
    idp = servers[1].base_url
    user = idp_user(idp, "idt")
    failures = []
    for case, (token, nonce) in _bad_tokens(idp, user["login"]).items():
        status, body = _id_token_sign_in(servers, "google", token, nonce)
        if (status, body.get("code"), body["_session"]) != (401, "INVALID_TOKEN", False):
            failures.append(f"{case}: {status} {body}")
    assert failures == []
    # The control: the same user's genuine token signs in.
    status, body = _id_token_sign_in(servers, "google", _mint(idp, op="google",
                                                              login=user["login"]))
    assert status == 200 and body["_session"], body


def test_generic_oidc_id_token_checks_audience_issuer_and_nonce(servers: Any) -> None:
    idp = servers[1].base_url
    user = idp_user(idp, "gidt")
    for token, nonce in [
        (_mint(idp, op="oidc", login=user["login"], aud="another-client"), None),
        (_mint(idp, op="oidc", login=user["login"], iss="https://evil.example"), None),
        (_mint(idp, op="oidc", login=user["login"], nonce="n" * 32), "m" * 32),
        (_mint(idp, op="google", login=user["login"], iss=idp, aud="ba-oidc-client"), None),
    ]:
        status, body = _id_token_sign_in(servers, "local-oidc", token, nonce)
        assert (status, body.get("code")) == (401, "INVALID_TOKEN"), body
    status, body = _id_token_sign_in(servers, "github", _mint(idp, op="google",
                                                             login=user["login"]))
    assert (status, body.get("code")) == (404, "ID_TOKEN_NOT_SUPPORTED")
    status, body = _id_token_sign_in(servers, "local-oidc",
                                     _mint(idp, op="oidc", login=user["login"],
                                           nonce="n" * 32), "n" * 32)
    assert status == 200, body


# -- open redirects -------------------------------------------------------------------------

EVIL = {"callbackURL": ("https://evil.example/x", "INVALID_CALLBACK_URL"),
        "errorCallbackURL": ("https://evil.example/x", "INVALID_ERROR_CALLBACK_URL"),
        "newUserCallbackURL": ("//evil.example", "INVALID_NEW_USER_CALLBACK_URL")}


@pytest.mark.parametrize("field", list(EVIL))
@pytest.mark.parametrize("value", ["https://evil.example/x", "//evil.example",
                                   "javascript:alert(1)", "/\\evil.example"])
def test_untrusted_callback_urls_are_refused(servers: Any, browser: Browser, field: str,
                                             value: str) -> None:
    res = browser.post("/sign-in/social", {"provider": "github", field: value})
    assert res.status_code == 403
    assert res.json()["code"] == EVIL[field][1]
    assert "better-auth.state" not in browser.jar


def test_link_social_refuses_untrusted_callback_urls(servers: Any, browser: Browser) -> None:
    user = idp_user(servers[1].base_url, "lnk")
    assert browser.sign_in("github", user["login"]).status == 302
    for field, (value, code) in EVIL.items():
        res = browser.post("/link-social", {"provider": "discord", field: value})
        assert (res.status_code, res.json()["code"]) == (403, code)


def test_additional_data_cannot_steer_the_redirect(servers: Any, browser: Browser) -> None:
    user = idp_user(servers[1].base_url, "steer")
    hop = browser.sign_in("github", user["login"], callbackURL="/dash",
                          additionalData={"callbackURL": "https://evil.example",
                                          "newUserURL": "https://evil.example",
                                          "errorURL": "https://evil.example",
                                          "link": {"userId": "x", "email": "x@example.com",
                                                   "encryptedSessionToken": "00"}})
    assert (hop.status, hop.location) == (302, "/dash")


# -- linking to an account whose e-mail is not verified --------------------------------------

def _local_user(servers: Any, email: str) -> Browser:
    b = _new(servers)
    res = b.post("/sign-up/email", {"email": email, "password": "local-pass-123",
                                    "name": "Local"})
    assert res.status_code == 200, res.text
    return b


def _accounts(db: Path, email: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute('select a.providerId from account a join "user" u on u.id = a.userId'
                            " where u.email = ?", (email,)).fetchall()
    return sorted(r[0] for r in rows)


def test_no_implicit_link_to_an_unverified_local_account(servers: Any, browser: Browser) -> None:
    idp, db = servers[1].base_url, servers[2]
    user = idp_user(idp, "unv")
    _local_user(servers, user["email"]).close()
    hop = browser.sign_in("github", user["login"], errorCallbackURL="/oops")
    assert hop.location == "/oops?error=account_not_linked"
    assert "better-auth.session_token" not in browser.jar
    assert _accounts(db, user["email"]) == ["credential"]
    # Nor through an ID token from a trusted provider.
    status, body = _id_token_sign_in(servers, "google", _mint(idp, op="google",
                                                             login=user["login"]))
    assert (status, body.get("code"), body.get("message")) == (
        401, "OAUTH_LINK_ERROR", "account not linked")
    assert _accounts(db, user["email"]) == ["credential"]


def test_no_link_when_the_provider_has_not_verified_the_email(servers: Any) -> None:
    idp, db = servers[1].base_url, servers[2]
    owner = idp_user(idp, "own")
    local = _local_user(servers, owner["email"])
    unverified = idp_user(idp, "unvidp", email=owner["email"], email_verified=False)
    # Explicit link-social, ID-token form, untrusted provider: 401 LINKING_NOT_ALLOWED.
    token = _mint(idp, op="oidc", login=unverified["login"])
    res = local.post("/link-social", {"provider": "local-oidc", "idToken": {"token": token}})
    assert (res.status_code, res.json()["code"]) == (401, "LINKING_NOT_ALLOWED")
    # Redirect form: unable_to_link_account, nothing linked.
    res = local.post("/link-social", {"provider": "local-oidc", "errorCallbackURL": "/le"})
    hop = local.authorize(res.json()["url"], unverified["login"])
    assert isinstance(hop, Hop) and hop.location == "/le?error=unable_to_link_account"
    assert _accounts(db, owner["email"]) == ["credential"]
    local.close()


def test_oversized_input_is_a_400_not_a_database_error(servers: Any, browser: Browser) -> None:
    res = browser.post("/sign-in/social", {"provider": "github",
                                           "additionalData": {"blob": "x" * 100_000}})
    assert (res.status_code, res.json()["code"]) == (400, "VALIDATION_ERROR")
    res = browser.get("/callback/github?code=c&state=" + "s" * 5000)
    assert res.headers["location"] == f"{browser.api}/error?error=state_mismatch"
    res = browser.get("/callback/github?code=c&state=" + "s" * 9000)
    assert (res.status_code, res.json()["code"]) == (400, "VALIDATION_ERROR")


def test_token_endpoints_validate_their_body(servers: Any, browser: Browser) -> None:
    user = idp_user(servers[1].base_url, "body")
    browser.sign_in("github", user["login"])
    for path in ("/get-access-token", "/refresh-token"):
        for body, message in [({"providerId": "github"}, "[body] Invalid input"),
                              ({"accountId": "x", "extra": 1}, '[body] Unrecognized key: "extra"'),
                              ({"accountId": 5}, "[body] Invalid input")]:
            res = browser.post(path, body)
            assert (res.status_code, res.json()) == (400, {"message": message,
                                                           "code": "VALIDATION_ERROR"})
        res = browser.post(path, {"accountId": "not-mine"})
        assert (res.status_code, res.json()["code"]) == (400, "ACCOUNT_NOT_FOUND")
    assert browser.get("/account-info").json() == {"message": "[query] Invalid input",
                                                   "code": "VALIDATION_ERROR"}
    anonymous = _new(servers)
    res = anonymous.post("/get-access-token", {"accountId": "x"})
    assert (res.status_code, res.content) == (401, b"")


def test_other_users_accounts_are_not_found(servers: Any, browser: Browser) -> None:
    alice, bob = idp_user(servers[1].base_url, "al"), idp_user(servers[1].base_url, "bo")
    browser.sign_in("github", alice["login"])
    (alice_account,) = browser.get("/list-accounts").json()
    other = _new(servers)
    other.sign_in("discord", bob["login"])
    for path in ("/get-access-token", "/refresh-token", "/unlink-account"):
        res = other.post(path, {"accountId": alice_account["id"]})
        assert (res.status_code, res.json()["code"]) in (
            (400, "ACCOUNT_NOT_FOUND"), (400, "FAILED_TO_UNLINK_LAST_ACCOUNT")), path
    res = other.get(f"/account-info?accountId={alice_account['id']}")
    assert (res.status_code, res.json()["code"]) == (400, "ACCOUNT_NOT_FOUND")
    assert [a["id"] for a in browser.get("/list-accounts").json()] == [alice_account["id"]]
