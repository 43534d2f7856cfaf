"""The whole second-factor group on one `authkit serve`: the official client's two-factor,
passkey, magic-link and email-otp scenarios in turn (second-factor.mjs, 60 steps) against a
server with all four plugins, as the reference deployment runs them: change of address by
code on, and sessions kept on a password reset (Better Auth's default, which the email-otp
scenario checks; `authkit serve` revokes them unless told otherwise)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_servers import (
    Server,
    authkit_server,
    reference_dir,
    require_node,
    run_reference_scenario,
)

SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("second-factor")
    db, outbox = work / "auth.db", work / "outbox.jsonl"
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env={"AUTHKIT_PLUGINS": "two-factor,passkey,magic-link,email-otp",
                                   "AUTHKIT_EMAIL_OTP_CHANGE_EMAIL": "on",
                                   "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off",
                                   "AUTHKIT_APP_NAME": "better-auth-ref"}) as server:
        yield server, db, outbox


def test_second_factor_group_on_one_server(served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_reference_scenario("second-factor", env={
        "BASE_URL": server.base_url, "OUTBOX": str(outbox), "DB_PATH": str(db),
        "BETTER_AUTH_SECRET": SECRET, "EMAIL_OTP_CHANGE_EMAIL": "on"}, timeout=600)
    assert not steps.failed, steps.report() + "\n" + server.log_tail()
    assert len(steps.passed) == 60, steps.report()
