"""docs/security.md#redirects for the account-flow sinks: the open-redirect payloads of
docs/security.md#redirects against every
callback parameter of send-verification-email, sign-up's emailed link, verify-email,
GET /reset-password/:token, request-password-reset and change-email. No payload yields a 3xx
or an emailed link to a foreign host; the trusted ones go through (configuration B0)."""

import pytest

from ..support.clients import make_client
from ..support.fixtures import sign_up
from .mailbox import Mailbox

BASE = "https://auth.example.com"
TRUSTED = ["https://app.example.com", "https://*.tenant.example.com"]
ALICE = "alice@example.com"

FOREIGN = [
    # docs/security.md#redirects: scheme-relative and backslash tricks
    "//evil.com", "///evil.com", "////evil.com/x", "/\\evil.com", "\\/evil.com", "\\\\evil.com",
    "/%5C/evil.com", "/%2F%2Fevil.com", "https:evil.com", "https:/evil.com",
    # docs/security.md#redirects: schemes
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java%0ascript:alert(1)", " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd",
    # docs/security.md#redirects: authority confusion
    "https://app.example.com@evil.com", "https://app.example.com\\@evil.com",
    "https://evil.com#@app.example.com", "https://evil.com?.app.example.com",
    "https://app.example.com.evil.com", "https://evil.com\\.tenant.example.com",
    "https://user:pass@evil.com", "http://app.example.com", "https://evil.com",
]
ALLOWED = ["/dashboard", "/a/b?x=1", "https://app.example.com/after",
           "https://x.tenant.example.com/cb", f"{BASE}/done"]


@pytest.fixture
def mailbox():
    return Mailbox()


@pytest.fixture
def world(kind, make_auth, mailbox):
    opts = mailbox.options()
    opts["email_verification"]["send_on_sign_up"] = True
    auth = make_auth(base_url=BASE, trusted_origins=TRUSTED,
                     user={"change_email_enabled": True}, **opts)
    client = make_client(kind, auth, origin=BASE)
    sign_up(client)
    verify_token = mailbox.last("verify-email", ALICE).token
    client.post("/api/auth/request-password-reset", json={"email": ALICE})
    reset_token = mailbox.last("reset-password", ALICE).token
    mailbox.sent.clear()
    return auth, client, verify_token, reset_token


def sinks(client, verify_token, reset_token, url):
    """Each sink with ``url`` in its callback parameter: (name, response, expected code)."""
    yield ("send-verification-email", client.post(
        "/api/auth/send-verification-email", json={"email": ALICE, "callbackURL": url}),
        "INVALID_CALLBACK_URL")
    yield ("sign-up", client.post("/api/auth/sign-up/email", json={
        "email": "new@example.com", "password": "correct-horse-1", "name": "N",
        "callbackURL": url}, use_jar=False), "INVALID_CALLBACK_URL")
    yield ("verify-email", client.get("/api/auth/verify-email", query={
        "token": verify_token, "callbackURL": url}, use_jar=False), "INVALID_CALLBACK_URL")
    yield ("reset-password/:token", client.get(f"/api/auth/reset-password/{reset_token}",
                                                query={"callbackURL": url}),
           "INVALID_CALLBACK_URL")
    yield ("request-password-reset", client.post(
        "/api/auth/request-password-reset", json={"email": ALICE, "redirectTo": url}),
        "INVALID_REDIRECT_URL")
    yield ("change-email", client.post(
        "/api/auth/change-email", json={"newEmail": "other@example.com", "callbackURL": url}),
        "INVALID_CALLBACK_URL")


@pytest.mark.parametrize("url", FOREIGN)
def test_foreign_targets_are_refused_everywhere(world, mailbox, url):
    auth, client, verify_token, reset_token = world
    for name, res, code in sinks(client, verify_token, reset_token, url):
        assert res.status in (400, 403), (name, url, res.status, res.body)
        assert res.header("location") is None, (name, url)
        if res.status == 403:
            assert res.json["code"] == code, (name, url)
    assert mailbox.sent == [], [(s.kind, s.url) for s in mailbox.sent]
    assert auth.storage.get_user_by_email("new@example.com") is None


@pytest.mark.parametrize("url", ALLOWED)
def test_trusted_targets_go_through(world, mailbox, url):
    _auth, client, verify_token, reset_token = world
    results = {name: res for name, res, _ in sinks(client, verify_token, reset_token, url)}
    assert results["verify-email"].status == 302
    assert results["verify-email"].header("location") == url
    assert results["reset-password/:token"].status == 302
    assert all(r.status == 200 for n, r in results.items()
               if n not in ("verify-email", "reset-password/:token")), {
        n: (r.status, r.body) for n, r in results.items()}
    assert mailbox.sent, "nothing was mailed"
    # Every emailed link points at the configured base URL, whatever the callback
    # (docs/security.md#emailed-tokens).
    assert all(s.url.startswith(f"{BASE}/api/auth/") for s in mailbox.sent)
