"""The reference's whole second-factor group on ONE ``authkit serve`` (issue 14, "Done when"):
scenarios/second-factor.mjs runs the official client's two-factor (22), passkey (16),
magic-link (9) and email-OTP (13) scenarios in turn against a server with all four plugins
and change of address by code on: 60 steps.

Served like the reference deployment: its fixed secret (the two-factor steps decrypt the
stored secret and backup codes with it), its app name (TOTP issuer, passkey RP name), and
sessions kept on a password reset (Better Auth's default; the email-OTP steps check it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.live_servers import Server, authkit_server
from ..support.ref_scenarios import require_reference, run_against

SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_reference()  # skips before a server is started
    work = tmp_path_factory.mktemp("second-factor")
    db, outbox = work / "auth.db", work / "outbox.jsonl"
    env = {"AUTHKIT_PLUGINS": "two-factor,passkey,magic-link,email-otp",
           "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL": "on", "AUTHKIT_APP_NAME": "better-auth-ref",
           "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off"}
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env=env) as server:
        yield server, db, outbox


def test_the_sixty_steps_pass(served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_against("second-factor", server, outbox=outbox, db_path=db,
                        env={"EMAIL_OTP_CHANGE_EMAIL": "on", "BETTER_AUTH_SECRET": SECRET})
    assert not steps.failed and len(steps.passed) == 60, (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
