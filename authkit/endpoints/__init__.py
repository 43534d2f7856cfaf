"""Core endpoints, one module per area."""

from __future__ import annotations

from .registry import Endpoint


def core_endpoints() -> list[Endpoint]:
    """Every endpoint of the core, in registry order."""
    from . import misc, session, sign_in, sign_up

    return [*sign_up.ENDPOINTS, *sign_in.ENDPOINTS, *session.ENDPOINTS, *misc.ENDPOINTS]
