"""The reference's official-client scenario for the organization plugin
(scenarios/organization.mjs, 42 steps, `organizationClient` with teams and dynamic access
control) against `authkit serve` with AUTHKIT_PLUGINS=organization.

The two choices the reference module makes in code are given as the knobs that stand for
them: its access control (a `project` resource granted to owner/admin in full and read-only
to member) and its reserved slugs (admin, api, www). The scenario reads and writes the
SQLite file itself (row formats, cascades, an invitation moved into the past), so the server
runs on a SQLite file it is pointed at. Skipped without node/npm or the reference folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ...support.live_servers import (
    Server,
    authkit_server,
    reference_dir,
    require_node,
    run_reference_scenario,
)

SECRET = "organization-scenario-secret-0123456789-abcdef"
PROJECT = ["create", "read", "update", "delete"]
# The reference module's access control and reserved slugs, as authkit serve knobs.
ORG_ENV = {
    "AUTHKIT_PLUGINS": "organization",
    "AUTHKIT_HEALTH_PATH": "/health",
    "AUTHKIT_ORG_RESERVED_SLUGS": "admin,api,www",
    "AUTHKIT_ORG_ACCESS_CONTROL": json.dumps({
        "statements": {"project": PROJECT},
        "roles": {"owner": {"project": PROJECT}, "admin": {"project": PROJECT},
                  "member": {"project": ["read"]}}}),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_node()
    reference_dir()
    work = tmp_path_factory.mktemp("org-scenario")
    db, outbox = work / "org.db", work / "outbox.jsonl"
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env=ORG_ENV) as server:
        yield server, db, outbox


def test_the_official_client_scenario_passes_all_42_steps(
        served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_reference_scenario("organization", env={
        "BASE_URL": server.base_url, "OUTBOX": str(outbox), "DB_PATH": str(db)})
    assert not steps.failed and len(steps.passed) == 42, (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
