"""The official client's two-factor scenario (22 steps) against `authkit serve`.

The scenario is Better Auth's own ``twoFactorClient`` driving sign-up, enable, the sign-in
interception, every factor, trusted devices, both attempt limits and disable; with
``DB_PATH`` it also decrypts the stored secret and backup codes with Better Auth's own
``symmetricDecrypt`` and checks the verification rows.
"""

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

# The reference deployment's fixed secret: the scenario decrypts rows with it.
SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("two-factor")
    db, outbox = work / "auth.db", work / "outbox.jsonl"
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env={"AUTHKIT_PLUGINS": "two-factor",
                                   "AUTHKIT_APP_NAME": "better-auth-ref"}) as server:
        yield server, db, outbox


def test_official_two_factor_scenario(served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_reference_scenario("two-factor", env={
        "BASE_URL": server.base_url, "OUTBOX": str(outbox), "DB_PATH": str(db),
        "BETTER_AUTH_SECRET": SECRET})
    assert not steps.failed, steps.report() + "\n" + server.log_tail()
    assert len(steps.passed) == 22, steps.report()
