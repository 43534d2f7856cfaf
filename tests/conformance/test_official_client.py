"""The official `better-auth` 1.7.25 JS client against `authkit serve` (issue 2, "Done when").

A frontend written for Better Auth must work unmodified: these tests run the real npm client
(pinned in package-lock.json next to this file) in Node against a live `authkit serve` and
check every step it reports. Skipped with a reason where `node`/`npm` is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.live_servers import (
    REF_SOURCE,
    Server,
    Steps,
    authkit_server,
    npm_ci,
    require_node,
    run_scenario,
)

HERE = Path(__file__).resolve().parent
SECRET = "conformance-secret-0123456789-conformance-secret"

CORE_STEPS = [
    "sign up",
    "get session",
    "sign out",
    "sign in",
    "wrong password (401 INVALID_EMAIL_OR_PASSWORD)",
    "unknown email (401 INVALID_EMAIL_OR_PASSWORD)",
    "duplicate sign-up (422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)",
    "short password (400 PASSWORD_TOO_SHORT)",
]

# Steps of the reference scenario (../shared/better-auth-ref/client-scenario.mjs) that depend
# on nothing but issue 2: the error paths and sign-out. Its other core steps cannot pass yet:
# its "sign up" also expects the admin plugin's role "user" (issue 5) and stores alice's id
# only after that check, so "get session" and "sign in" fail with it.
REFERENCE_STEPS_OF_ISSUE_2 = [
    "sign out",
    "wrong password rejected (401 INVALID_EMAIL_OR_PASSWORD)",
    "unknown email rejected (401 INVALID_EMAIL_OR_PASSWORD)",
    "duplicate sign-up rejected (422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL)",
    "short password rejected (400 PASSWORD_TOO_SHORT)",
]


@pytest.fixture(scope="module")
def client_project() -> Path:
    """tests/conformance with its node_modules installed from the committed lockfile."""
    require_node()
    npm_ci(HERE)
    return HERE


@pytest.fixture
def server(tmp_path: Path, client_project: Path) -> Iterator[Server]:
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/authkit.db", secret=SECRET,
                        outbox=tmp_path / "outbox.jsonl") as running:
        yield running


def test_core_flow_with_the_official_client(server: Server, client_project: Path) -> None:
    steps = run_scenario(client_project / "core-flow.mjs", cwd=client_project,
                         env={"BASE_URL": server.base_url})
    assert steps.failed == [], f"{steps.report()}\n--- server log ---\n{server.log_tail()}"
    assert steps.passed == CORE_STEPS


def scenario_env() -> dict[str, str]:
    """The admin e-mail and /health the scenario expects, once `authkit serve` supports them.

    Until then the settings module refuses these variables (its NOT_YET set), and setting
    them would stop the server from starting at all.
    """
    from authkit import settings

    wanted = {"AUTHKIT_ADMIN_EMAILS": "admin@example.com", "AUTHKIT_HEALTH_PATH": "/health",
              # The reference server keeps Better Auth's default (sessions survive a reset);
              # authkit ends them by default, and the scenario signs in with alice's old
              # session after resetting her password.
              "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": "off"}
    not_yet = getattr(settings, "NOT_YET", frozenset())
    return {k: v for k, v in wanted.items() if k not in not_yet}


@pytest.fixture(scope="module")
def reference_scenario(client_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Steps:
    """The reference repository's 30-step client scenario, run once against `authkit serve`.

    It only imports `better-auth` (client and client plugins), so it runs from a temp folder
    whose node_modules is this project's, already pinned to 1.7.25.
    """
    script = REF_SOURCE / "client-scenario.mjs"
    if not script.is_file():
        pytest.skip(f"{script} not found (set BETTER_AUTH_REF_DIR to the reference folder)")
    work = tmp_path_factory.mktemp("reference-scenario")
    shutil.copy(script, work / "client-scenario.mjs")
    os.symlink(client_project / "node_modules", work / "node_modules")
    outbox = work / "outbox.jsonl"
    with authkit_server(work, database_url=f"sqlite:///{work}/authkit.db", secret=SECRET,
                        outbox=outbox, extra_env=scenario_env()) as running:
        steps = run_scenario(work / "client-scenario.mjs", cwd=work, env={
            "BASE_URL": running.base_url, "OUTBOX": str(outbox), "RATE_LIMIT": "off",
            "ADMIN_EMAIL": "admin@example.com", "REQUIRE_EMAIL_VERIFICATION": "off"})
    # Shown with -s, and in the assertion messages below: which of the 30 steps pass today.
    print(f"\nreference client scenario against authkit serve: {len(steps.passed)} passed, "
          f"{len(steps.failed)} failed\n{steps.report()}")
    return steps


def test_reference_scenario_steps_of_issue_2_pass(reference_scenario: Steps) -> None:
    missing = [s for s in REFERENCE_STEPS_OF_ISSUE_2 if s not in reference_scenario.passed]
    assert missing == [], reference_scenario.report()


@pytest.mark.xfail(strict=False, reason=(
    "the reference scenario also covers /health, the admin plugin (role on sign-up, admin "
    "endpoints: issue 5), and list/revoke sessions, update-user, change-password, password "
    "reset and email verification (issue 4); it passes whole once those land"))
def test_reference_scenario_passes_whole(reference_scenario: Steps) -> None:
    assert reference_scenario.failed == [], reference_scenario.report()
