"""Running one of the reference repository's plugin scenarios (scenarios/<name>.mjs, driven by
the official client) against a running server.

The scenarios sit in the cached copy of the reference (``reference_dir()``) next to its
node_modules (better-auth for the client, better-sqlite3 for the optional row checks), so they
run there unmodified. Skipped without node or the reference folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from .live_servers import Server, Steps, reference_dir, require_node, run_scenario


def scenario_script(name: str) -> Path:
    """``scenarios/<name>.mjs`` in the installed reference copy (skips when absent)."""
    require_node()
    script = reference_dir() / "scenarios" / f"{name}.mjs"
    if not script.is_file():
        pytest.skip(f"{script.name} is not in the reference folder")
    return script


def run_against(script: Path, server: Server, *, outbox: Path, db_path: Path | None = None,
                env: Mapping[str, str] | None = None) -> Steps:
    """Run ``script`` against ``server`` (its outbox, and its SQLite file for row checks)."""
    run_env = {"BASE_URL": server.base_url, "OUTBOX": str(outbox), "RATE_LIMIT": "off",
               "BETTER_AUTH_SECRET": server.env.get("AUTHKIT_SECRET", "")}
    if db_path is not None:
        run_env["DB_PATH"] = str(db_path)
    run_env.update(env or {})
    return run_scenario(script, cwd=script.parent.parent, env=run_env)
