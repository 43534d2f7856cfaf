"""The reference's official-client scenario (29 steps) against ``authkit serve`` with
``AUTHKIT_PLUGINS=social,generic-oauth``, in both OAuth state strategies, with the loopback
identity providers of ``idp.mjs`` started here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_servers import Server, authkit_server, run_reference_scenario

from .live import SECRET, idp_server

MODES = {
    "database": {},
    "cookie+encrypted": {"SOCIAL_STATE_STRATEGY": "cookie", "SOCIAL_ENCRYPT_TOKENS": "on"},
}


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with idp_server(tmp_path_factory.mktemp("idp")) as server:
        yield server


@pytest.mark.parametrize("mode", list(MODES))
def test_official_client_scenario(mode: str, idp: Server, tmp_path: Path) -> None:
    knobs = MODES[mode]
    db = tmp_path / "social.db"
    outbox = tmp_path / "outbox.jsonl"
    extra = {"AUTHKIT_PLUGINS": "social,generic-oauth",
             "AUTHKIT_SOCIAL_FAKE_IDP": idp.base_url,
             "AUTHKIT_GENERIC_OAUTH_IDP": idp.base_url,
             **{f"AUTHKIT_{k}": v for k, v in knobs.items()}}
    with authkit_server(tmp_path, database_url=f"sqlite:///{db}", secret=SECRET,
                        outbox=outbox, extra_env=extra) as server:
        steps = run_reference_scenario("social", env={
            "BASE_URL": server.base_url, "IDP_URL": idp.base_url, "OUTBOX": str(outbox),
            "DB_PATH": str(db), "BETTER_AUTH_SECRET": SECRET, **knobs})
    assert steps.failed == [], steps.report() + "\n" + server.log_tail(60)
    assert len(steps.passed) == 29, steps.report()
