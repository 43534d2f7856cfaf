"""The reference repository's client scenario (../shared/better-auth-ref/client-scenario.mjs),
driven by the official `better-auth` client with `adminClient()`, against `authkit serve`
started with AUTHKIT_ADMIN_EMAILS=admin@example.com (issue 5, "Done when").

`authkit serve` is configured like the reference server it was written for: Better Auth's
default `revokeSessionsOnPasswordReset: false` (authkit's own default is true,
docs/security.md#decisions, and would sign alice out before the admin steps). Skipped without
node/npm.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ...support.live_servers import REF_SOURCE, authkit_server, npm_ci, require_node, run_scenario

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
SECRET = "admin-scenario-secret-0123456789-admin-scenario"


def test_admin_steps_of_the_reference_scenario_pass(tmp_path: Path) -> None:
    require_node()
    script = REF_SOURCE / "client-scenario.mjs"
    if not script.is_file():
        pytest.skip(f"{script} not found (set BETTER_AUTH_REF_DIR to the reference folder)")
    npm_ci(CONFORMANCE)
    shutil.copy(script, tmp_path / "client-scenario.mjs")
    os.symlink(CONFORMANCE / "node_modules", tmp_path / "node_modules")
    outbox = tmp_path / "outbox.jsonl"
    env = {"AUTHKIT_ADMIN_EMAILS": "admin@example.com", "AUTHKIT_HEALTH_PATH": "/health",
           "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off"}
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/authkit.db",
                        secret=SECRET, outbox=outbox, extra_env=env) as server:
        steps = run_scenario(tmp_path / "client-scenario.mjs", cwd=tmp_path, env={
            "BASE_URL": server.base_url, "OUTBOX": str(outbox), "RATE_LIMIT": "off",
            "ADMIN_EMAIL": "admin@example.com", "REQUIRE_EMAIL_VERIFICATION": "off"})
    admin_steps = [s for s in steps.passed if s.startswith("admin:")]
    assert "health" in steps.passed, steps.report()
    assert len(admin_steps) == 8 and not [f for f in steps.failed if f.startswith("admin:")], (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
