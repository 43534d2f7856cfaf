"""The reference's email-OTP scenario (official client with ``emailOTPClient()``, 13 steps)
against ``authkit serve`` with ``AUTHKIT_PLUGINS=email-otp`` and change of address on, row
checks on its SQLite file.

Served like the reference: sessions survive a password reset (Better Auth's default
``revokeSessionsOnPasswordReset: false``; the scenario checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ...support.live_servers import Server, authkit_server
from ...support.ref_scenarios import require_reference, run_against

SECRET = "email-otp-scenario-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_reference()  # skips before a server is started
    work = tmp_path_factory.mktemp("email-otp-scenario")
    db, outbox = work / "authkit.db", work / "outbox.jsonl"
    env = {"AUTHKIT_PLUGINS": "email-otp", "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL": "on",
           "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off"}
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env=env) as server:
        yield server, db, outbox


def test_the_thirteen_steps_pass(served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_against("email-otp", server, outbox=outbox, db_path=db,
                        env={"EMAIL_OTP_CHANGE_EMAIL": "on"})
    assert not steps.failed and len(steps.passed) == 13, (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
