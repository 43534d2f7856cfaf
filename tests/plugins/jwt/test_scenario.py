"""The reference's jwt scenario (official client + jwtClient) against `authkit serve` with
AUTHKIT_PLUGINS=jwt: 14 steps, the two row checks reading authkit's SQLite file.
Skipped without node/npm or the reference folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ...support.live_servers import Server, authkit_server, require_node, run_reference_scenario

# The scenario decrypts the stored private key with the reference server's default secret.
SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    require_node()
    workdir = tmp_path_factory.mktemp("jwt-scenario")
    db = workdir / "authkit.db"
    with authkit_server(workdir, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env={"AUTHKIT_PLUGINS": "jwt"}) as server:
        yield server, db


def test_jwt_scenario_passes(served: tuple[Server, Path]) -> None:
    server, db = served
    steps = run_reference_scenario("jwt", env={"BASE_URL": server.base_url, "DB_PATH": str(db),
                                               "BETTER_AUTH_SECRET": SECRET})
    assert not steps.failed and len(steps.passed) == 14, (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
