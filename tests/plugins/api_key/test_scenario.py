"""The reference's api-key scenario (official client + apiKeyClient) against `authkit serve`
with AUTHKIT_PLUGINS=api-key and a 5 per 3 s per-key limit: 19 steps, the row steps reading
and writing authkit's SQLite file. Skipped without node/npm or the reference folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ...support.live_servers import Server, authkit_server, require_node, run_reference_scenario

SECRET = "api-key-scenario-secret-0123456789-api-key-scenario"
KNOBS = {"API_KEY_RATE_LIMIT_MAX": "5", "API_KEY_RATE_LIMIT_WINDOW_MS": "3000"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    require_node()
    workdir = tmp_path_factory.mktemp("api-key-scenario")
    db = workdir / "authkit.db"
    env = {"AUTHKIT_PLUGINS": "api-key", **{f"AUTHKIT_{k}": v for k, v in KNOBS.items()}}
    with authkit_server(workdir, database_url=f"sqlite:///{db}", secret=SECRET,
                        extra_env=env) as server:
        yield server, db


def test_api_key_scenario_passes(served: tuple[Server, Path]) -> None:
    server, db = served
    steps = run_reference_scenario("api-key", env={"BASE_URL": server.base_url,
                                                   "DB_PATH": str(db), **KNOBS})
    assert not steps.failed and len(steps.passed) == 19, (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
