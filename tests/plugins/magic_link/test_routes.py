"""magic_link(): requesting and following links, in-process over WSGI (the core's tests cover
WSGI and ASGI alike; these exercise the plugin's logic)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from authkit import AuthKit
from authkit.errors import ConfigError
from authkit.plugins.magic_link import magic_link
from authkit.plugins.magic_link.routes import hash_token, search_params

from ...support.clients import HTTPClient, make_client
from ...support.fixtures import Clock, MakeAuth, sign_up

API = "/api/auth"


class Links:
    """The ``send_magic_link`` callback: keeps what each call was given."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, *, email: str, url: str, token: str,
                 metadata: dict[str, Any] | None) -> None:
        self.sent.append({"email": email, "url": url, "token": token, "metadata": metadata})

    @property
    def last(self) -> dict[str, Any]:
        return self.sent[-1]


def setup(make_auth: MakeAuth, **options: Any) -> tuple[AuthKit, HTTPClient, Links]:
    links = Links()
    auth = make_auth(plugins=[magic_link(send_magic_link=links, **options)])
    return auth, make_client("wsgi", auth), links


def request_link(client: HTTPClient, links: Links, **body: Any) -> dict[str, Any]:
    res = client.post(f"{API}/sign-in/magic-link", json=body)
    assert (res.status, res.json) == (200, {"status": True}), res.body
    return links.last


def follow(client: HTTPClient, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def rows(auth: AuthKit, prefix: str = "magic-link:") -> list[dict[str, Any]]:
    return [r for r in auth.storage.find_rows("verification")
            if r["identifier"].startswith(prefix)]


def test_request_stores_the_reference_row_and_mails_the_link(make_auth: MakeAuth) -> None:
    auth, client, links = setup(make_auth)
    sent = request_link(client, links, email="Ann@Example.com", name="Ann",
                        callbackURL="/dash board", newUserCallbackURL="/welcome",
                        errorCallbackURL="/oops", metadata={"inviteId": "inv-1"})
    token = sent["token"]
    assert len(token) == 32 and token.isascii() and token.isalpha()
    assert sent["email"] == "Ann@Example.com"  # as typed
    assert sent["metadata"] == {"inviteId": "inv-1"}
    assert sent["url"] == (f"http://localhost:3000{API}/magic-link/verify?token={token}"
                           "&callbackURL=%2Fdash+board&newUserCallbackURL=%2Fwelcome"
                           "&errorCallbackURL=%2Foops")
    [row] = rows(auth)
    assert row["identifier"] == f"magic-link:{token}"
    assert row["value"] == '{"type":"magic-link","email":"Ann@Example.com","name":"Ann"}'
    assert (row["expiresAt"] - row["createdAt"]).total_seconds() == 300
    # Each request is a new, independent token.
    assert request_link(client, links, email="ann@example.com")["token"] != token
    assert json.loads(rows(auth)[-1]["value"]) == {"type": "magic-link",
                                                   "email": "ann@example.com"}


def test_search_params_encode_as_urlsearchparams() -> None:
    assert search_params([("a", "/x y~*-._!'()")]) == "a=%2Fx+y%7E*-._%21%27%28%29"


def test_hashed_store_keeps_only_the_digest(make_auth: MakeAuth) -> None:
    token = "abcdefghijklmnopqrstuvwxyzABCDEF"
    assert hash_token(token) == "z9Lx-tdaGXjaCkRIg9tyUUFLE58x9aBHBMKR_bDhdeY"
    auth, client, links = setup(make_auth, store_token="hashed",
                                generate_token=lambda email: token)
    request_link(client, links, email="ann@example.com")
    assert [r["identifier"] for r in rows(auth)] == [
        "magic-link:z9Lx-tdaGXjaCkRIg9tyUUFLE58x9aBHBMKR_bDhdeY"]
    res = follow(client, links.last["url"])
    assert res.status == 302 and rows(auth) == []


def test_new_address_signs_up_verified_and_goes_to_new_user_url(make_auth: MakeAuth) -> None:
    auth, client, links = setup(make_auth)
    sent = request_link(client, links, email="New@Example.com", name="Nia",
                        callbackURL="/dash", newUserCallbackURL="/welcome")
    res = follow(client, sent["url"])
    assert res.status == 302 and res.header("location") == "http://localhost:3000/welcome"
    assert res.header("referrer-policy") == "no-referrer"
    session = client.get(f"{API}/get-session").json
    assert session["user"]["email"] == "new@example.com"
    assert session["user"]["emailVerified"] is True and session["user"]["name"] == "Nia"
    assert auth.storage.find_rows("account") == []  # no password, no account row
    # A known user goes to callbackURL, not newUserCallbackURL.
    other = make_client("wsgi", auth)
    res = follow(other, request_link(other, links, email="new@example.com", callbackURL="/dash",
                                     newUserCallbackURL="/welcome")["url"])
    assert res.header("location") == "http://localhost:3000/dash"


def test_verify_without_callback_answers_token_user_session(make_auth: MakeAuth) -> None:
    _, client, links = setup(make_auth)
    token = request_link(client, links, email="ann@example.com")["token"]
    res = client.get(f"{API}/magic-link/verify", query={"token": token})
    assert res.status == 200 and list(res.json) == ["token", "user", "session"]
    assert res.json["session"]["token"] == res.json["token"]
    assert client.get(f"{API}/get-session").json["session"]["token"] == res.json["token"]


def test_a_link_works_once(make_auth: MakeAuth) -> None:
    auth, client, links = setup(make_auth)
    sent = request_link(client, links, email="ann@example.com", errorCallbackURL="/oops")
    assert follow(client, sent["url"]).status == 302
    replayer = make_client("wsgi", auth)
    res = follow(replayer, sent["url"])
    assert res.header("location") == "http://localhost:3000/oops?error=INVALID_TOKEN"
    assert res.cookie("better-auth.session_token") is None


@pytest.mark.parametrize(("elapsed", "works"), [(299, True), (300, True), (301, False)])
def test_links_expire(make_auth: MakeAuth, clock: Clock, elapsed: int, works: bool) -> None:
    _, client, links = setup(make_auth)
    sent = request_link(client, links, email="ann@example.com", callbackURL="/dash")
    clock.advance(elapsed)
    res = follow(client, sent["url"])
    expected = "/dash" if works else "/dash?error=INVALID_TOKEN"
    assert res.header("location") == f"http://localhost:3000{expected}"


def test_shorter_expiry_option(make_auth: MakeAuth, clock: Clock) -> None:
    _, client, links = setup(make_auth, expires_in=60)
    sent = request_link(client, links, email="ann@example.com")
    clock.advance(61)
    assert follow(client, sent["url"]).header("location").endswith("/?error=INVALID_TOKEN")


def test_bad_tokens_redirect_with_the_error(make_auth: MakeAuth) -> None:
    auth, client, _ = setup(make_auth)
    res = client.get(f"{API}/magic-link/verify?token=nope")
    assert res.header("location") == "http://localhost:3000/?error=INVALID_TOKEN"
    res = client.get(f"{API}/magic-link/verify?token=nope&callbackURL=%2Fdash%3Fa%3D1")
    assert res.header("location") == "http://localhost:3000/dash?a=1&error=INVALID_TOKEN"
    res = client.get(f"{API}/magic-link/verify")
    assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR")
    # A row under the prefix whose value is not a magic-link value is refused, not used.
    now = auth.now()
    auth.storage.create_row("verification", {
        "identifier": "magic-link:forged", "value": '{"type":"other","email":"a@b.co"}',
        "expiresAt": now.replace(year=now.year + 1), "createdAt": now, "updatedAt": now})
    res = client.get(f"{API}/magic-link/verify?token=forged")
    assert res.header("location").endswith("?error=INVALID_TOKEN")


def test_disable_sign_up_refuses_unknown_addresses(make_auth: MakeAuth) -> None:
    auth, client, links = setup(make_auth, disable_sign_up=True)
    res = follow(client, request_link(client, links, email="ghost@example.com")["url"])
    assert res.header("location") == "http://localhost:3000/?error=new_user_signup_disabled"
    assert auth.storage.find_rows("user") == []


def test_unverified_account_loses_password_and_sessions(make_auth: MakeAuth) -> None:
    auth, owner, links = setup(make_auth)
    squatter = make_client("wsgi", auth)
    user_id = sign_up(squatter, "pat@example.com", "squatter-pass-1", "Pat").json["user"]["id"]
    mailbox = make_client("wsgi", auth)
    sent = request_link(mailbox, links, email="pat@example.com")
    res = mailbox.get(f"{API}/magic-link/verify", query={"token": sent["token"]})
    assert res.json["user"]["id"] == user_id and res.json["user"]["emailVerified"] is True
    assert squatter.get(f"{API}/get-session").json is None
    assert auth.storage.find_rows("account", {"userId": user_id}) == []
    res = owner.post(f"{API}/sign-in/email",
                     json={"email": "pat@example.com", "password": "squatter-pass-1"})
    assert (res.status, res.json["code"]) == (401, "INVALID_EMAIL_OR_PASSWORD")


def test_verified_account_keeps_password_and_sessions(make_auth: MakeAuth) -> None:
    auth, first, links = setup(make_auth)
    request_link(first, links, email="ann@example.com")
    assert follow(first, links.last["url"]).status == 302
    second = make_client("wsgi", auth)
    assert follow(second, request_link(second, links, email="ann@example.com")["url"]).status \
        == 302
    assert first.get(f"{API}/get-session").json is not None


def test_a_failing_sender_changes_nothing_in_the_answer(make_auth: MakeAuth) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("smtp down")

    auth = make_auth(plugins=[magic_link(send_magic_link=broken)])
    res = make_client("wsgi", auth).post(f"{API}/sign-in/magic-link",
                                         json={"email": "ann@example.com"})
    assert (res.status, res.json) == (200, {"status": True})


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="store_token"):
        magic_link(send_magic_link=print, store_token="sha1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="expires_in"):
        magic_link(send_magic_link=print, expires_in=0)
    with pytest.raises(ConfigError, match="rate_limit"):
        magic_link(send_magic_link=print, rate_limit={"windows": 1})


def test_query_of_the_link(make_auth: MakeAuth) -> None:
    _, client, links = setup(make_auth)
    sent = request_link(client, links, email="ann@example.com")
    assert parse_qs(urlsplit(sent["url"]).query) == {"token": [sent["token"]],
                                                      "callbackURL": ["/"]}
