"""AUTHKIT_PLUGINS: names, knobs read as AUTHKIT_<KNOB>, outbox lines, options merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authkit.errors import ConfigError
from authkit.plugins import serve_registry
from authkit.settings import from_env
from tests.support.example_serve import ExamplePlugin

SECRET = "s" * 40


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(serve_registry.SERVE_MODULES, "example", "tests.support.example_serve")


def test_knobs_outbox_and_options(example: None, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    kwargs = from_env({
        "AUTHKIT_SECRET": SECRET, "AUTHKIT_PLUGINS": "example", "AUTHKIT_EXAMPLE_LIMIT": "7",
        "AUTHKIT_EXAMPLE_ON": "on", "AUTHKIT_EXAMPLE_NAMES": "a, b,,c",
        "AUTHKIT_APP_NAME": "my-app", "AUTHKIT_EMAIL_OUTBOX": str(outbox)})
    plugin = kwargs["plugins"][-1]
    assert isinstance(plugin, ExamplePlugin)
    assert (plugin.limit, plugin.on, plugin.names, plugin.app_name) == (
        7, True, ["a", "b", "c"], "my-app")
    assert kwargs["app_name"] == "my-app"
    assert kwargs["session"] == {"expires_in": 60}
    line = json.loads(outbox.read_text().splitlines()[0])
    assert line == {"type": "example", "email": "a@example.com", "url": None, "token": "t",
                    "extra": "my-app"}


def test_defaults_when_unset(example: None) -> None:
    plugin = from_env({"AUTHKIT_SECRET": SECRET, "AUTHKIT_PLUGINS": "example"})["plugins"][-1]
    assert (plugin.limit, plugin.on, plugin.names, plugin.app_name) == (5, False, [], "authkit")


@pytest.mark.parametrize(("env", "message"), [
    ({"AUTHKIT_PLUGINS": "nope"}, "unknown plugin 'nope'"),
    ({"AUTHKIT_PLUGINS": "example", "AUTHKIT_EXAMPLE_LIMIT": "many"},
     "AUTHKIT_EXAMPLE_LIMIT='many': expected a whole number"),
    ({"AUTHKIT_PLUGINS": "example", "AUTHKIT_EXAMPLE_ON": "maybe"},
     "AUTHKIT_EXAMPLE_ON='maybe': use 'on' or 'off'"),
    ({"AUTHKIT_EXAMPLE_LIMT": "3"}, "unknown environment variable(s) AUTHKIT_EXAMPLE_LIMT"),
])
def test_mistakes_are_refused(example: None, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_env({"AUTHKIT_SECRET": SECRET, **env})
    assert message in str(info.value)


def test_a_plugin_not_built_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(serve_registry.SERVE_MODULES, "later", "authkit.plugins.later.serve")
    with pytest.raises(ConfigError, match="plugin 'later' is not available"):
        from_env({"AUTHKIT_SECRET": SECRET, "AUTHKIT_PLUGINS": "later"})


def test_merge_options_merges_dicts_and_extends_lists() -> None:
    into = {"a": {"x": 1}, "b": [1], "c": 1}
    serve_registry.merge_options(into, {"a": {"y": 2}, "b": [2], "c": 3, "d": {"z": 0}})
    assert into == {"a": {"x": 1, "y": 2}, "b": [1, 2], "c": 3, "d": {"z": 0}}
