"""The official `better-auth` 1.7.25 client's email calls against `authkit serve` (issue 4):
requestPasswordReset, resetPassword, sendVerificationEmail, verifyEmail, changeEmail.

email-flow.mjs passes unchanged against the reference Better Auth server (CHANGE_EMAIL=off and,
with changeEmail and sendChangeEmailConfirmation added to its config, on; REVOKE_ON_RESET both
ways); here it runs against `authkit serve` writing its mail to AUTHKIT_EMAIL_OUTBOX. Skipped
with a reason where `node`/`npm` is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.live_servers import authkit_server, npm_ci, require_node, run_scenario

HERE = Path(__file__).resolve().parent
SECRET = "conformance-secret-0123456789-conformance-secret"

RESET_STEPS = [
    "sign up",
    "requestPasswordReset mails a link",
    "requestPasswordReset for an unknown email: same answer, no mail",
    "requestPasswordReset with a foreign redirectTo (403 INVALID_REDIRECT_URL)",
    "resetPassword with a short password (400 PASSWORD_TOO_SHORT)",
    "resetPassword, then the token is spent (400 INVALID_TOKEN)",
    "the new password signs in, the old one does not",
]
VERIFY_STEPS = [
    "sendVerificationEmail mails a link",
    "sendVerificationEmail for another address (400 EMAIL_MISMATCH)",
    "verifyEmail with a bad token (401 INVALID_TOKEN)",
    "verifyEmail marks the address verified",
    "sendVerificationEmail once verified (400 EMAIL_ALREADY_VERIFIED)",
]
CHANGE_ON = ["changeEmail: confirm from the old address, verify the new one",
             "changeEmail to the same address (400 Email is the same)"]
CHANGE_OFF = ["changeEmail when disabled (400 CHANGE_EMAIL_DISABLED)"]
ANONYMOUS = ["changeEmail without a session (401 UNAUTHORIZED)"]


@pytest.fixture(scope="module")
def client_project() -> Path:
    """tests/conformance with its node_modules installed from the committed lockfile."""
    require_node()
    npm_ci(HERE)
    return HERE


@pytest.mark.parametrize("change_email,revoke", [("on", "on"), ("off", "off")])
def test_email_flow_with_the_official_client(tmp_path: Path, client_project: Path,
                                             change_email: str, revoke: str) -> None:
    outbox = tmp_path / "outbox.jsonl"
    env = {"AUTHKIT_CHANGE_EMAIL": change_email,
           "AUTHKIT_REVOKE_SESSIONS_ON_PASSWORD_RESET": revoke}
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/authkit.db",
                        secret=SECRET, outbox=outbox, extra_env=env) as server:
        steps = run_scenario(client_project / "email-flow.mjs", cwd=client_project, env={
            "BASE_URL": server.base_url, "OUTBOX": str(outbox), "CHANGE_EMAIL": change_email,
            "REVOKE_ON_RESET": revoke})
        log = server.log_tail()
    session_step = ("the reset ended the old session" if revoke == "on"
                    else "the reset kept the old session")
    expected = (RESET_STEPS + [session_step] + VERIFY_STEPS
                + (CHANGE_ON if change_email == "on" else CHANGE_OFF) + ANONYMOUS)
    assert steps.failed == [], f"{steps.report()}\n--- server log ---\n{log}"
    assert steps.passed == expected
