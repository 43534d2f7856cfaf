"""Core endpoints, one module per area; each module exports ``ENDPOINTS``."""

from __future__ import annotations

import importlib

from .registry import Endpoint

# One module name per line, so areas can be added without touching each other's lines.
MODULES = (
    "sign_up",
    "sign_in",
    "session",
    "misc",
    "account",
    "session_management",
    "verification",
    "password_reset",
    "change_email",
)


def core_endpoints() -> list[Endpoint]:
    """Every endpoint of the core, in registry order."""
    out: list[Endpoint] = []
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        out.extend(module.ENDPOINTS)
    return out
