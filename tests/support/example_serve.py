"""A serve module for tests of the AUTHKIT_PLUGINS registry: one plugin, one knob each kind."""

from __future__ import annotations

from authkit.plugins.base import Plugin
from authkit.plugins.serve_registry import ServeContext, ServeResult

KNOBS = {
    "AUTHKIT_EXAMPLE_LIMIT": "a number",
    "AUTHKIT_EXAMPLE_ON": "on/off",
    "AUTHKIT_EXAMPLE_NAMES": "comma list",
}


class ExamplePlugin(Plugin):
    id = "example"

    def __init__(self, limit: int, on: bool, names: list[str], app_name: str) -> None:
        self.limit, self.on, self.names, self.app_name = limit, on, names, app_name


def configure(ctx: ServeContext) -> ServeResult:
    ctx.outbox("example", email="a@example.com", url=None, token="t", extra=ctx.app_name)
    plugin = ExamplePlugin(ctx.num("EXAMPLE_LIMIT", 5), ctx.flag("EXAMPLE_ON", False),
                           ctx.csv("EXAMPLE_NAMES"), ctx.app_name)
    return ServeResult(plugins=[plugin], options={"session": {"expires_in": 60}})
