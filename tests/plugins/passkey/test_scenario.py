"""The official client's passkey scenario (16 steps) against `authkit serve`.

Better Auth's ``passkeyClient`` runs unmodified: the scenario installs a software
authenticator as ``navigator.credentials`` (``none`` and ``packed`` attestation, ES256),
registers, signs in username-less, replays challenges, forges an origin, renames and deletes;
with ``DB_PATH`` it checks every stored column byte for byte.
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

SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("passkey")
    db, outbox = work / "auth.db", work / "outbox.jsonl"
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env={"AUTHKIT_PLUGINS": "passkey",
                                   "AUTHKIT_APP_NAME": "better-auth-ref"}) as server:
        yield server, db, outbox


def test_official_passkey_scenario(served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_reference_scenario("passkey", env={
        "BASE_URL": server.base_url, "OUTBOX": str(outbox), "DB_PATH": str(db)})
    assert not steps.failed, steps.report() + "\n" + server.log_tail()
    assert len(steps.passed) == 16, steps.report()
