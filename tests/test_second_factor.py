"""The second-factor mark on sessions and the middleware rule built on it: admin pages
that need a session which passed 2FA (or a passkey), on WSGI and ASGI."""

from __future__ import annotations

from typing import Any

import pytest

from authkit import ASGIAuthMiddleware, AuthKit, WSGIAuthMiddleware
from authkit.errors import ConfigError
from authkit.plugins.passkey import passkey
from authkit.plugins.two_factor import two_factor
from authkit.redis_storage import RedisStorage
from authkit.second_factor import requires_second_factor, second_factor_of
from tests.plugins.passkey.soft_authenticator import SoftAuthenticator
from tests.plugins.two_factor.helpers import API, PASSWORD, Outbox, enable_totp, verify
from tests.support.clients import HTTPClient
from tests.support.fixtures import Clock, MakeAuth, sign_up
from tests.support.redis_server import REDIS_URL, redis_prefix  # noqa: F401 - the fixture

ORIGIN = "http://localhost:3000"


def wsgi_page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"page"]


async def asgi_page(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"page"})


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture(params=[False, True], ids=["store", "cookie-cache"])
def auth(request: pytest.FixtureRequest, make_auth: MakeAuth, outbox: Outbox) -> AuthKit:
    session = {"cookie_cache": {"enabled": True, "max_age": 300}} if request.param else {}
    return make_auth(plugins=[two_factor(otp_options={"send_otp": outbox}), passkey()],
                     session=session)


def browser(auth: AuthKit, kind: str) -> HTTPClient:
    rules = {"/admin/*": requires_second_factor(), "/vault/*": requires_second_factor("passkey")}
    app = (WSGIAuthMiddleware(wsgi_page, auth, protect=["/account/*"], roles=rules)
           if kind == "wsgi" else
           ASGIAuthMiddleware(asgi_page, auth, protect=["/account/*"], roles=rules))
    return HTTPClient(kind, app)


def pages(client: HTTPClient) -> tuple[int, int, int]:
    headers = {"Accept": "application/json"}
    return (client.get("/account/x", headers=headers).status,
            client.get("/admin/x", headers=headers).status,
            client.get("/vault/x", headers=headers).status)


def sign_in(client: HTTPClient, email: str) -> Any:
    return client.post(f"{API}/sign-in/email", json={"email": email, "password": PASSWORD})


def test_factors_mark_sessions_and_the_rule_reads_the_mark(auth: AuthKit, clock: Clock,
                                                           kind: str, outbox: Outbox) -> None:
    alice = enable_totp(auth, clock, "alice@example.com")
    plain = browser(auth, kind)
    sign_up(plain, email="bob@example.com", password=PASSWORD)
    assert pages(plain) == (200, 403, 403)  # a password alone is not a second factor

    for factor, code in (("totp", lambda: alice.code(clock)),
                         ("backup-code", lambda: alice.backup_codes.pop()),
                         ("otp", None)):
        b = browser(auth, kind)
        assert sign_in(b, alice.email).json["twoFactorRedirect"] is True
        assert pages(b)[1] in (302, 401)  # not signed in yet
        if code is None:
            b.post(f"{API}/two-factor/send-otp", json={})
            res = verify(b, factor, outbox.last(alice.email), trustDevice=True)
        else:
            res = verify(b, "totp" if factor == "totp" else "backup", code())
        assert res.status == 200, res.body
        assert pages(b) == (200, 200, 403), factor
        session = auth.api.get_session(headers={"cookie": b.cookie_header()},
                                       query={"disableCookieCache": True})
        assert session is not None and second_factor_of(session) == factor

    # The browser trusted above skips the challenge; its session is marked as such.
    trusted = browser(auth, kind)
    trusted.jar.update({k: v for k, v in b.jar.items() if k.endswith("trust_device")})
    assert "token" in sign_in(trusted, alice.email).json
    assert pages(trusted) == (200, 200, 403)

    # A signed-in step-up with a code marks the current session.
    assert verify(plain, "totp", "000000").status == 400  # bob has no TOTP
    plain.post(f"{API}/two-factor/send-otp", json={})
    assert verify(plain, "otp", outbox.last("bob@example.com")).status == 200
    assert pages(plain) == (200, 200, 403)


def test_a_passkey_sign_in_passes_the_passkey_rule(auth: AuthKit, kind: str) -> None:
    owner = browser(auth, kind)
    sign_up(owner, email="carol@example.com", password=PASSWORD)
    device = SoftAuthenticator(ORIGIN)
    options = owner.get(f"{API}/passkey/generate-register-options").json
    assert owner.post(f"{API}/passkey/verify-registration",
                      json={"response": device.register(options)}).status == 200
    b = browser(auth, kind)
    options = b.get(f"{API}/passkey/generate-authenticate-options").json
    res = b.post(f"{API}/passkey/verify-authentication",
                 json={"response": device.assert_(options)})
    assert res.status == 200, res.body
    assert pages(b) == (200, 200, 200)


def test_the_mark_cannot_be_set_by_the_client(auth: AuthKit, kind: str) -> None:
    b = browser(auth, kind)
    sign_up(b, email="dave@example.com", password=PASSWORD, secondFactor="totp")
    res = b.post(f"{API}/update-user", json={"secondFactor": "totp"})
    assert res.status == 400
    assert pages(b)[1] == 403


def test_unknown_factors_are_refused_at_configuration() -> None:
    with pytest.raises(ConfigError):
        requires_second_factor("sms")


def test_with_sessions_and_challenges_in_redis(make_auth: MakeAuth, clock: Clock,
                                               redis_prefix: str) -> None:  # noqa: F811
    """Secondary storage holds sessions and verification rows (challenges, trust, codes):
    the whole flow and the mark work the same."""
    store = RedisStorage(REDIS_URL, key_prefix=redis_prefix)
    outbox = Outbox()
    auth = make_auth(plugins=[two_factor(otp_options={"send_otp": outbox}), passkey()],
                     secondary_storage=store)
    try:
        alice = enable_totp(auth, clock, "alice@example.com")
        b = browser(auth, "wsgi")
        assert sign_in(b, alice.email).json["twoFactorRedirect"] is True
        assert verify(b, "totp", "000000").status == 401
        assert verify(b, "totp", alice.code(clock), trustDevice=True).status == 200
        assert pages(b) == (200, 200, 403)
        again = browser(auth, "wsgi")
        again.jar.update({k: v for k, v in b.jar.items() if k.endswith("trust_device")})
        assert "token" in sign_in(again, alice.email).json
        assert pages(again) == (200, 200, 403)
        otp = browser(auth, "wsgi")
        sign_in(otp, alice.email)
        otp.post(f"{API}/two-factor/send-otp", json={})
        assert verify(otp, "otp", outbox.last(alice.email)).status == 200
    finally:
        store.close()
