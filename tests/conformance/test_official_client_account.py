"""The official `better-auth` 1.7.25 client's account and session calls against `authkit serve`
(issue 4): listSessions, revokeSession, revokeSessions, revokeOtherSessions, updateUser,
changePassword, deleteUser.

account-flow.mjs passes unchanged against the reference Better Auth server (with
DELETE_USER=off there); here it runs against `authkit serve` with AUTHKIT_DELETE_USER=on and
off. Skipped with a reason where `node`/`npm` is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.live_servers import authkit_server, npm_ci, require_node, run_scenario

HERE = Path(__file__).resolve().parent
SECRET = "conformance-secret-0123456789-conformance-secret"

COMMON_STEPS = [
    "sign up",
    "listSessions shows both devices",
    "listSessions without a session (401 UNAUTHORIZED)",
    "revokeSession ends another device",
    "revokeSession of an unknown token still {status:true}",
    "revokeOtherSessions keeps the current one",
    "updateUser changes the name",
    "updateUser with an email (400 EMAIL_CAN_NOT_BE_UPDATED)",
    "changePassword with a wrong current password (400 INVALID_PASSWORD)",
    "changePassword revoking other sessions",
    "revokeSessions signs every device out",
]
DELETE_ON_STEPS = [
    "deleteUser with a wrong password (400 INVALID_PASSWORD)",
    "deleteUser with the password",
    "deleteUser without a session (401 UNAUTHORIZED)",
]
DELETE_OFF_STEPS = [
    "deleteUser when disabled (404)",
    "deleteUser without a session (401 UNAUTHORIZED)",
]


@pytest.fixture(scope="module")
def client_project() -> Path:
    """tests/conformance with its node_modules installed from the committed lockfile."""
    require_node()
    npm_ci(HERE)
    return HERE


@pytest.mark.parametrize("delete_user,expected", [("on", COMMON_STEPS + DELETE_ON_STEPS),
                                                  ("off", COMMON_STEPS + DELETE_OFF_STEPS)])
def test_account_flow_with_the_official_client(tmp_path: Path, client_project: Path,
                                               delete_user: str, expected: list[str]) -> None:
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/authkit.db",
                        secret=SECRET, extra_env={"AUTHKIT_DELETE_USER": delete_user}) as server:
        steps = run_scenario(client_project / "account-flow.mjs", cwd=client_project,
                             env={"BASE_URL": server.base_url, "DELETE_USER": delete_user})
        log = server.log_tail()
    assert steps.failed == [], f"{steps.report()}\n--- server log ---\n{log}"
    assert steps.passed == expected
