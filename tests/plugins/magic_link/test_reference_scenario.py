"""The reference's magic-link scenario (official client with ``magicLinkClient()``, 9 steps)
against ``authkit serve`` with ``AUTHKIT_PLUGINS=magic-link``, row checks on its SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ...support.live_servers import Server, authkit_server
from ...support.ref_scenarios import require_reference, run_against

SECRET = "magic-link-scenario-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    require_reference()  # skips before a server is started
    work = tmp_path_factory.mktemp("magic-link-scenario")
    db, outbox = work / "authkit.db", work / "outbox.jsonl"
    with authkit_server(work, database_url=f"sqlite:///{db}", secret=SECRET, outbox=outbox,
                        extra_env={"AUTHKIT_PLUGINS": "magic-link"}) as server:
        yield server, db, outbox


def test_the_nine_steps_pass(served: tuple[Server, Path, Path]) -> None:
    server, db, outbox = served
    steps = run_against("magic-link", server, outbox=outbox, db_path=db)
    assert not steps.failed and len(steps.passed) == 9, (
        f"{steps.report()}\n--- server log ---\n{server.log_tail()}")
