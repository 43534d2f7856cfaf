"""Fixtures of the email-OTP tests: an AuthKit with the plugin and the codes it sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from authkit import AuthKit
from authkit.plugins.email_otp import email_otp

from ...support.clients import HTTPClient, make_client
from ...support.fixtures import MakeAuth

API = "/api/auth"


class Codes:
    """The ``send_verification_otp`` callback: keeps each (email, otp, type) it was given."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def __call__(self, *, email: str, otp: str, type: str) -> None:
        self.sent.append({"email": email, "otp": otp, "type": type})

    def last(self, otp_type: str | None = None) -> str:
        """The newest code (of one type)."""
        for item in reversed(self.sent):
            if otp_type is None or item["type"] == otp_type:
                return item["otp"]
        raise AssertionError(f"no {otp_type} code was sent: {self.sent}")


@dataclass
class OTP:
    """An AuthKit with ``email_otp()``, a client, and the codes sent."""

    auth: AuthKit
    client: HTTPClient
    codes: Codes
    extra: dict[str, Any] = field(default_factory=dict)

    def new_client(self, **kw: Any) -> HTTPClient:
        return make_client("wsgi", self.auth, **kw)

    def post(self, path: str, body: dict[str, Any], client: HTTPClient | None = None) -> Any:
        return (client or self.client).post(f"{API}{path}", json=body)

    def send(self, email: str, otp_type: str = "sign-in") -> str:
        res = self.post("/email-otp/send-verification-otp", {"email": email, "type": otp_type})
        assert (res.status, res.json) == (200, {"success": True}), res.body
        return self.codes.last(otp_type)

    def rows(self, identifier: str) -> list[dict[str, Any]]:
        return self.auth.storage.find_rows("verification", {"identifier": identifier})

    def value(self, identifier: str) -> str:
        [row] = self.rows(identifier)
        return str(row["value"])


MakeOTP = Callable[..., OTP]


@pytest.fixture
def make_otp(make_auth: MakeAuth) -> MakeOTP:
    def make(*, auth_options: dict[str, Any] | None = None, plugins: tuple[Any, ...] = (),
             sender: Callable[..., None] | None = None, **options: Any) -> OTP:
        codes = Codes()
        plugin = email_otp(send_verification_otp=sender or codes, **options)
        auth = make_auth(plugins=[*plugins, plugin], **(auth_options or {}))
        return OTP(auth, make_client("wsgi", auth), codes)

    return make


@pytest.fixture
def otp(make_otp: MakeOTP) -> OTP:
    return make_otp()


def wrong(code: str) -> str:
    """A code that is not ``code``."""
    return "000000" if code != "000000" else "111111"
