"""Set-up shared by the two-factor tests: an app with the plugin, a user with TOTP on, and
sign-ins that stop at the challenge."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authkit import AuthKit
from authkit.plugins.two_factor import totp
from tests.support.clients import HTTPClient, Result, make_client
from tests.support.fixtures import Clock, sign_up

API = "/api/auth"
PASSWORD = "correct-horse-1"


@dataclass
class Outbox:
    """``send_otp`` collecting codes by email."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, *, user: Any, otp: str, **_: Any) -> None:
        self.sent.append((user.email, otp))

    def last(self, email: str) -> str:
        return next(code for to, code in reversed(self.sent) if to == email)


@dataclass
class TotpUser:
    """A user with TOTP confirmed: their secret and backup codes."""

    email: str
    secret: str
    backup_codes: list[str]

    def code(self, clock: Clock, offset: float = 0) -> str:
        return totp.code_at(self.secret, clock.now + offset)


def secret_of(uri: str) -> str:
    b32 = parse_qs(urlsplit(uri).query)["secret"][0]
    return base64.b32decode(b32 + "=" * (-len(b32) % 8)).decode()


def enable_totp(auth: AuthKit, clock: Clock, email: str) -> TotpUser:
    client = make_client("wsgi", auth)
    sign_up(client, email=email, password=PASSWORD)
    res = client.post(f"{API}/two-factor/enable", json={"password": PASSWORD})
    assert res.status == 200, res.body
    user = TotpUser(email, secret_of(res.json["totpURI"]), res.json["backupCodes"])
    done = client.post(f"{API}/two-factor/verify-totp", json={"code": user.code(clock)})
    assert done.status == 200, done.body
    return user


def challenged(auth: AuthKit, email: str, jar: dict[str, str] | None = None) -> HTTPClient:
    """A new browser whose password sign-in stopped at the 2FA challenge."""
    client = make_client("wsgi", auth)
    client.jar.update(jar or {})
    res = client.post(f"{API}/sign-in/email", json={"email": email, "password": PASSWORD})
    assert res.status == 200 and res.json.get("twoFactorRedirect") is True, res.body
    return client


def verify(client: HTTPClient, factor: str, code: str, **extra: Any) -> Result:
    path = {"totp": "verify-totp", "otp": "verify-otp", "backup": "verify-backup-code"}[factor]
    return client.post(f"{API}/two-factor/{path}", json={"code": code, **extra})
