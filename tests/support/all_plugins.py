"""Every plugin authkit ships, built with its defaults, for tests that must cover plugins
added later without being edited (the freshness rule, the over-long walk, cookie sizes)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import authkit.plugins
from authkit.plugins.base import Plugin


def shipped_plugins() -> list[Plugin]:
    """One instance of every plugin in ``authkit.plugins``, built with its defaults: through
    its ``serve`` module when it has one (what ``authkit serve`` runs), else its factory (the
    function named like the module)."""
    found: list[Plugin] = []
    for info in pkgutil.iter_modules(authkit.plugins.__path__):
        if info.name in ("base", "serve_registry") or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"authkit.plugins.{info.name}")
        made = _from_serve(info.name) if info.ispkg else None
        if made is None:
            factory = getattr(module, info.name, None)
            assert callable(factory), (
                f"authkit.plugins.{info.name}: no serve module and no factory named "
                f"{info.name}(); tests cannot build it")
            made = [factory()]
        found.extend(made)
    return found


def _from_serve(name: str) -> list[Plugin] | None:
    try:
        serve = importlib.import_module(f"authkit.plugins.{name}.serve")
        registry = importlib.import_module("authkit.plugins.serve_registry")
    except ModuleNotFoundError:
        return None
    ctx_type = registry.ServeContext
    params = inspect.signature(ctx_type).parameters
    kwargs: dict[str, Any] = {"env": {}} if "env" in params else {}
    result = serve.configure(ctx_type(**kwargs))
    return list(result.plugins)
