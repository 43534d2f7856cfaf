"""magic_link(): open redirects through the callback URLs, concurrent clicks on one link (on
every database), the per-path rate limit, and the mail template through a real SMTP server."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from authkit.errors import ConfigError
from authkit.mail import SMTPSender
from authkit.mail.plugin_mail import MessageTemplate
from authkit.plugins.magic_link import magic_link, magic_link_mail

from ...mail.smtp_server import smtp_server
from ...support.clients import make_client
from ...support.fixtures import MakeAuth
from ...support.race import run_together
from .test_routes import API, Links, follow, request_link, rows, setup

UNTRUSTED = [
    "https://evil.example/x",
    "//evil.example",
    "/\\evil.example",
    "https://localhost:3000@evil.example/",
    "javascript:alert(1)",
    "https://localhost:3000.evil.example/",
]
FIELDS = [("callbackURL", "INVALID_CALLBACK_URL"),
          ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
          ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL")]


@pytest.mark.parametrize("url", UNTRUSTED)
def test_untrusted_callbacks_are_refused_when_requesting(make_auth: MakeAuth, url: str) -> None:
    auth, client, links = setup(make_auth)
    for field, code in FIELDS:
        res = client.post(f"{API}/sign-in/magic-link",
                          json={"email": "ann@example.com", field: url})
        assert (res.status, res.json["code"]) == (403, code), (field, res.body)
    assert links.sent == [] and rows(auth) == []


@pytest.mark.parametrize("url", UNTRUSTED)
def test_untrusted_callbacks_are_refused_when_following(make_auth: MakeAuth, url: str) -> None:
    _, client, links = setup(make_auth)
    token = request_link(client, links, email="ann@example.com")["token"]
    for field, _ in FIELDS:
        res = client.get(f"{API}/magic-link/verify?token={token}&{field}={quote(url, safe='')}")
        # Every field reports INVALID_CALLBACK_URL here, as JSON, never as a redirect.
        assert (res.status, res.json["code"]) == (403, "INVALID_CALLBACK_URL"), (field, url)
        assert res.header("location") is None
    # The refusals came before the token was looked at: it still works.
    assert client.get(f"{API}/magic-link/verify", query={"token": token}).status == 200


def test_trusted_origins_are_followed(make_auth: MakeAuth) -> None:
    links = Links()
    auth = make_auth(trusted_origins=["https://app.example.com"],
                     plugins=[magic_link(send_magic_link=links)])
    client = make_client("wsgi", auth)
    sent = request_link(client, links, email="ann@example.com",
                        callbackURL="https://app.example.com/home")
    assert follow(client, sent["url"]).header("location") == "https://app.example.com/home"


def test_concurrent_clicks_sign_in_once(db_url: str, make_auth: MakeAuth) -> None:
    links = Links()
    auth = make_auth(database=db_url, plugins=[magic_link(send_magic_link=links)])
    client = make_client("wsgi", auth)
    token = request_link(client, links, email="ann@example.com", callbackURL="/dash")["token"]

    def click() -> str | None:
        res = make_client("wsgi", auth).get(f"{API}/magic-link/verify?token={token}"
                                            "&callbackURL=%2Fdash")
        return res.header("location")

    locations = run_together(click, 8)
    assert sorted(locations).count("http://localhost:3000/dash") == 1, locations
    assert locations.count("http://localhost:3000/dash?error=INVALID_TOKEN") == 7
    assert len(auth.storage.find_rows("user")) == 1
    assert len(auth.storage.find_rows("session")) == 1


def test_rate_limit_per_address_and_path(make_auth: MakeAuth) -> None:
    links = Links()
    auth = make_auth(rate_limit={"enabled": True},
                     plugins=[magic_link(send_magic_link=links,
                                         rate_limit={"window": 60, "max": 2})])
    client = make_client("wsgi", auth)
    statuses = [client.post(f"{API}/sign-in/magic-link", json={"email": "a@example.com"}).status
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(links.sent) == 2
    # The verify path counts apart, with the same rule.
    statuses = [client.get(f"{API}/magic-link/verify?token=x").status for _ in range(3)]
    assert statuses == [302, 302, 429]
    # Another client address has its own bucket.
    other = make_client("wsgi", auth, peer="10.0.0.2")
    assert other.post(f"{API}/sign-in/magic-link", json={"email": "a@example.com"}).status == 200


def test_default_template_over_smtp(make_auth: MakeAuth) -> None:
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="Acme <auth@acme.test>",
                            security="none", timeout=5)
        mail = magic_link_mail(sender, app_name="Acme <Shop>", background=False)
        auth = make_auth(plugins=[magic_link(send_magic_link=mail)])
        client = make_client("wsgi", auth)
        res = client.post(f"{API}/sign-in/magic-link",
                          json={"email": "Ann@Example.com", "callbackURL": "/a&b"})
        assert res.status == 200
        [received] = inbox.wait(1)
    [row] = auth.storage.find_rows("verification")
    token = row["identifier"].removeprefix("magic-link:")
    assert received.rcpt_tos == ["Ann@Example.com"]
    assert received.message["Subject"] == "Sign in to Acme <Shop>"
    assert f"token={token}&callbackURL=%2Fa%26b" in received.text
    assert received.html is not None
    assert "Acme &lt;Shop&gt;" in received.html and f"token={token}&amp;callbackURL" in received.html


def test_templates_can_be_replaced(make_auth: MakeAuth) -> None:
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="auth@acme.test", security="none",
                            timeout=5)
        template = MessageTemplate(subject="Your $app_name link", text="Go: $url")
        mail = magic_link_mail(sender, template, app_name="Acme", background=False)
        auth = make_auth(plugins=[magic_link(send_magic_link=mail)])
        make_client("wsgi", auth).post(f"{API}/sign-in/magic-link",
                                       json={"email": "ann@example.com"})
        [received] = inbox.wait(1)
    assert received.message["Subject"] == "Your Acme link"
    assert received.text.startswith(f"Go: http://localhost:3000{API}/magic-link/verify?token=")
    assert received.html is None


def test_a_template_with_an_unknown_placeholder_fails_at_start_up() -> None:
    sender: Any = SMTPSender("127.0.0.1", 1, from_address="a@b.co", security="none")
    with pytest.raises(ConfigError, match=r"\$otp"):
        magic_link_mail(sender, MessageTemplate(subject="x", text="$otp"))


def test_over_long_values_are_refused_before_the_database(db_url: str,
                                                          make_auth: MakeAuth) -> None:
    # MariaDB refuses them with an error (a 500) where the other databases would store them.
    links = Links()
    auth = make_auth(database=db_url, plugins=[magic_link(send_magic_link=links)])
    client = make_client("wsgi", auth)
    for body, field in (({"email": "a" * 250 + "@example.com"}, "email"),
                        ({"email": "a@example.com", "name": "n" * 256}, "name")):
        res = client.post(f"{API}/sign-in/magic-link", json=body)
        assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR"), res.body
        assert res.json["message"].startswith(f"[body.{field}] Too big")
    assert links.sent == []
    res = client.get(f"{API}/magic-link/verify?token={'x' * 2000}")
    assert res.header("location") == "http://localhost:3000/?error=INVALID_TOKEN"
    # At the limits, the whole round trip works.
    sent = request_link(client, links, email="a" * 242 + "@example.com", name="n" * 255)
    assert follow(client, sent["url"]).status == 302


@pytest.mark.parametrize("where", ["hashed-identifiers", "secondary-storage"])
def test_single_use_wherever_links_live(make_auth: MakeAuth, where: str) -> None:
    from authkit.secondary import MemoryStorage

    options: dict[str, Any] = (
        {"verification": {"store_identifier": "hashed"}} if where == "hashed-identifiers"
        else {"secondary_storage": MemoryStorage()})
    links = Links()
    auth = make_auth(plugins=[magic_link(send_magic_link=links)], **options)
    client = make_client("wsgi", auth)
    sent = request_link(client, links, email="ann@example.com", callbackURL="/dash")
    assert rows(auth) == []  # never stored under the readable identifier
    assert follow(client, sent["url"]).header("location") == "http://localhost:3000/dash"
    assert follow(client, sent["url"]).header("location") == (
        "http://localhost:3000/dash?error=INVALID_TOKEN")


def test_banned_users_get_no_session(make_auth: MakeAuth) -> None:
    from authkit.plugins.admin import admin

    links = Links()
    auth = make_auth(plugins=[admin(), magic_link(send_magic_link=links)])
    client = make_client("wsgi", auth)
    follow(client, request_link(client, links, email="ann@example.com")["url"])
    [user] = auth.storage.find_rows("user")
    auth.storage.update_rows("user", {"id": user["id"]}, {"banned": True})
    other = make_client("wsgi", auth)
    res = follow(other, request_link(other, links, email="ann@example.com",
                                     callbackURL="/dash")["url"])
    assert (res.status, res.json["code"]) == (403, "BANNED_USER")
    assert res.cookie("better-auth.session_token") is None


def test_cross_site_form_posts_are_refused(make_auth: MakeAuth) -> None:
    auth, client, links = setup(make_auth)
    res = client.post(f"{API}/sign-in/magic-link", json={"email": "ann@example.com"},
                      headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
                               "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
    assert (res.status, res.json["code"]) == (403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
    assert links.sent == [] and rows(auth) == []
