"""The reference's official-client scenarios of the small plugins against `authkit serve`.

Each scenario drives Better Auth's own client and its plugin client (username, anonymous,
multi-session, last-login-method, one-time-token) against a fresh `authkit serve` started with
the same plugin names and knobs as the Node test deployment; with DB_PATH the scenario also
checks the rows authkit wrote. Skipped with a reason without node/npm or the reference folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ...support.live_servers import authkit_server, require_node, run_reference_scenario

SECRET = "better-auth-ref-fixed-test-secret-0123456789abcdef"

# scenario -> (AUTHKIT_PLUGINS, knobs shared by server and scenario, steps expected)
SCENARIOS: dict[str, tuple[str, dict[str, str], int]] = {
    "one-time-token": ("one-time-token", {}, 8),
    "username": ("username", {}, 11),
    "anonymous": ("anonymous", {}, 11),
    "multi-session": ("multi-session", {"MULTI_SESSION_MAX": "3"}, 12),
    "last-login-method": ("last-login-method,username", {}, 7),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_passes_against_authkit(name: str, tmp_path: Path) -> None:
    require_node()
    plugins, knobs, expected = SCENARIOS[name]
    outbox = tmp_path / "outbox.jsonl"
    db = tmp_path / "authkit.db"
    server_env = {"AUTHKIT_PLUGINS": plugins, **{f"AUTHKIT_{k}": v for k, v in knobs.items()}}
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env=server_env) as server:
        steps = run_reference_scenario(name, env={
            "BASE_URL": server.base_url, "OUTBOX": str(outbox), "DB_PATH": str(db),
            "RATE_LIMIT": "off", **knobs})
        log = server.log_tail()
    assert not steps.failed and len(steps.passed) == expected, (
        f"{steps.report()}\n--- output ---\n{steps.output[-3000:]}\n--- server log ---\n{log}")
