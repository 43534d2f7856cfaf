"""Generated input against every two-factor and passkey endpoint, signed out, signed in and
mid-challenge: no 5xx, whatever the body (schemathesis over the OpenAPI document)."""

from __future__ import annotations

from typing import Any

import pytest

from authkit.openapi import open_api
from authkit.plugins.passkey import passkey
from authkit.plugins.two_factor import two_factor
from tests.support.clients import make_client
from tests.support.fixtures import Clock, MakeAuth

from .two_factor.helpers import Outbox, challenged, enable_totp

SCHEMA = "/api/auth/open-api/generate-schema"
PREFIXES = ("/two-factor/", "/passkey/")


def _fuzz(app: Any, headers: dict[str, str] | None) -> list[str]:
    schemathesis = pytest.importorskip(
        "schemathesis", reason="schemathesis is not installed: pip install schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_wsgi(SCHEMA, app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        op = result.ok()
        if not op.path.startswith(PREFIXES):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=10, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), derandomize=True)
            @given(case=op.as_strategy(generation_mode=mode, headers=headers))
            def run(case: Any) -> None:
                response = case.call()
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as exc:
                    failures.append(f"{op.label} [{mode.value}]: {str(exc)[:300]}")  # noqa: B023
                    raise

            try:
                run()
            except Exception:  # noqa: BLE001, S110 - recorded in failures; one report for all
                pass
    return failures


def test_no_5xx_for_generated_input(make_auth: MakeAuth, clock: Clock) -> None:
    auth = make_auth(plugins=[open_api(), two_factor(otp_options={"send_otp": Outbox()}),
                              passkey()])
    alice = enable_totp(auth, clock, "alice@example.com")
    signed_in = make_client("wsgi", auth)
    signed_in.post("/api/auth/sign-up/email", json={"email": "bob@example.com",
                                                    "password": "correct-horse-1",
                                                    "name": "Bob"})
    mid = challenged(auth, alice.email)
    origin = {"Origin": "http://localhost:3000"}
    failures = (_fuzz(auth.wsgi_app(), None)
                + _fuzz(auth.wsgi_app(), {"Cookie": signed_in.cookie_header(), **origin})
                + _fuzz(auth.wsgi_app(), {"Cookie": mid.cookie_header(), **origin}))
    assert failures == []
