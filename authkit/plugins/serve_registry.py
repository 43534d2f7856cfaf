"""``AUTHKIT_PLUGINS``: the plugins ``authkit serve`` can turn on, each configured from the
environment.

The names are Better Auth's (``two-factor``, ``organization``, ...). Each maps to a module
``authkit.plugins.<name>.serve`` that lists the variables it reads (``KNOBS``, with their
``AUTHKIT_`` prefix, so the start-up check of unknown names knows them) and builds the plugin
(``configure``). A plugin's own knobs carry the names Better Auth's documentation and test
deployments use, prefixed: ``ORG_MEMBERSHIP_LIMIT`` is read from ``AUTHKIT_ORG_MEMBERSHIP_LIMIT``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..outbox import write_outbox_line

if TYPE_CHECKING:
    from ..mail.message import Sender
    from .base import Plugin

PREFIX = "AUTHKIT_"

# Better Auth's plugin name -> the module configuring it for `authkit serve`.
SERVE_MODULES: dict[str, str] = {
    name: f"authkit.plugins.{name.replace('-', '_')}.serve"
    for name in (
        "social", "generic-oauth",
        "two-factor", "passkey", "magic-link", "email-otp",
        "organization",
        "jwt", "api-key", "username", "anonymous", "multi-session", "last-login-method",
        "one-time-token",
    )
}


@dataclass(frozen=True)
class ServeContext:
    """What a plugin's ``configure`` reads: its knobs, the app's name and where mail goes."""

    env: Mapping[str, str]
    app_name: str = "authkit"
    base_url: str | None = None
    production: bool = False
    outbox_path: str | None = None
    mail_sender: Sender | None = None

    def _raw(self, name: str) -> str | None:
        value = self.env.get(PREFIX + name)
        return None if value is None or value.strip() == "" else value.strip()

    def text(self, name: str, default: str | None = None) -> str | None:
        """``AUTHKIT_<name>`` as text, or ``default`` when unset or empty."""
        value = self._raw(name)
        return default if value is None else value

    def flag(self, name: str, default: bool) -> bool:
        """``AUTHKIT_<name>`` as on/off (also true/false, 1/0, yes/no)."""
        value = self._raw(name)
        if value is None:
            return default
        low = value.lower()
        if low in ("on", "true", "1", "yes"):
            return True
        if low in ("off", "false", "0", "no"):
            return False
        raise ConfigError(f"{PREFIX}{name}={value!r}: use 'on' or 'off'")

    def num(self, name: str, default: int) -> int:
        """``AUTHKIT_<name>`` as a whole number."""
        value = self._raw(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name}={value!r}: expected a whole number") from None

    def csv(self, name: str) -> list[str]:
        """``AUTHKIT_<name>`` as a comma list (empty items dropped)."""
        return [v.strip() for v in (self._raw(name) or "").split(",") if v.strip()]

    def outbox(self, type: str, *, email: str, url: str | None = None,
               token: str | None = None, **extra: Any) -> None:
        """Append one mail line ``{"type","email","url","token",...}`` to the outbox file
        (``AUTHKIT_EMAIL_OUTBOX``); nothing when no outbox is configured."""
        if self.outbox_path:
            write_outbox_line(self.outbox_path, {"type": type, "email": email, "url": url,
                                                 "token": token, **extra})


@dataclass
class ServeResult:
    """A plugin group's contribution: plugin objects and ``AuthKit`` options to merge."""

    plugins: list[Plugin] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(SERVE_MODULES[name])
    except ModuleNotFoundError as exc:
        # Only "this plugin is not built" is tolerated; a broken import inside it is a bug.
        if exc.name is not None and SERVE_MODULES[name].startswith(exc.name):
            return None
        raise


def available() -> Iterator[tuple[str, ModuleType]]:
    """Every plugin name whose serve module exists, with the module."""
    for name in SERVE_MODULES:
        module = _module(name)
        if module is not None:
            yield name, module


def known_knobs() -> dict[str, str]:
    """``AUTHKIT_*`` name -> help, for every knob of every available plugin."""
    out: dict[str, str] = {}
    for _, module in available():
        out.update(getattr(module, "KNOBS", {}))
    return out


def merge_options(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Deep-merge ``extra`` into ``into``: dicts merge, lists extend, anything else replaces."""
    for key, value in extra.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merge_options(current, value)
        elif isinstance(current, list) and isinstance(value, (list, tuple)):
            current.extend(value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def configure(names: list[str], ctx: ServeContext) -> ServeResult:
    """Build the named plugin groups in order; an unknown or unavailable name is refused."""
    result = ServeResult()
    for name in names:
        if name not in SERVE_MODULES:
            raise ConfigError(f"AUTHKIT_PLUGINS: unknown plugin {name!r}; known: "
                              f"{', '.join(SERVE_MODULES)}")
        module = _module(name)
        if module is None:
            raise ConfigError(f"AUTHKIT_PLUGINS: plugin {name!r} is not available in this "
                              "version of authkit")
        build: Callable[[ServeContext], ServeResult] = module.configure
        part = build(ctx)
        result.plugins.extend(part.plugins)
        merge_options(result.options, part.options)
    return result
