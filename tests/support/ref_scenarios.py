"""Plugin tests against the Node reference: its scenarios (scenarios/<name>.mjs, driven by the
official client) against ``authkit serve``, and both servers on one SQLite file for interop.
Skipped without node or the reference folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .live_servers import (
    Server,
    Steps,
    authkit_server,
    reference_dir,
    reference_server,
    require_node,
    run_reference_scenario,
)


def require_reference() -> None:
    """Skip the calling test without node or the reference folder (before starting servers)."""
    require_node()
    reference_dir()


def run_against(name: str, server: Server, *, outbox: Path, db_path: Path | None = None,
                env: Mapping[str, str] | None = None) -> Steps:
    """Run ``scenarios/<name>.mjs`` against ``server`` (its outbox, and its SQLite file for
    the row checks)."""
    run_env = {"BASE_URL": server.base_url, "OUTBOX": str(outbox), "RATE_LIMIT": "off",
               "BETTER_AUTH_SECRET": server.env.get("AUTHKIT_SECRET", "")}
    if db_path is not None:
        run_env["DB_PATH"] = str(db_path)
    run_env.update(env or {})
    return run_reference_scenario(name, env=run_env)


@dataclass
class Pair:
    """The Node reference and ``authkit serve`` on one SQLite file, each with its outbox."""

    node: Server
    authkit: Server
    db: Path
    outboxes: dict[str, Path]

    def mails(self, server: Server, mail_type: str) -> list[dict[str, Any]]:
        """The outbox lines of ``mail_type`` that ``server`` wrote, oldest first."""
        path = self.outboxes[server.name]
        if not path.is_file():
            return []
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [m for m in lines if m.get("type") == mail_type]


@contextmanager
def shared_database_pair(workdir: Path, *, secret: str, node_env: Mapping[str, str],
                         authkit_env: Mapping[str, str]) -> Iterator[Pair]:
    """Node creates the schema (with its plugins' knobs), authkit joins the same file."""
    require_reference()
    db = workdir / "shared.db"
    node_outbox, authkit_outbox = workdir / "node-outbox.jsonl", workdir / "authkit-outbox.jsonl"
    with reference_server(workdir, db_path=db, secret=secret, keep_db=False, outbox=node_outbox,
                          extra_env=node_env) as node, \
            authkit_server(workdir, database_url=f"sqlite:///{db}", secret=secret,
                           outbox=authkit_outbox, extra_env=authkit_env) as authkit:
        yield Pair(node, authkit, db, {node.name: node_outbox, authkit.name: authkit_outbox})
