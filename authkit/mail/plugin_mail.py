"""Templates and delivery for the plugins' emails (magic links, one-time codes).

The core's ``Templates`` covers the four account emails, each with a link. Plugin emails carry
other things (a code, its purpose), so each plugin declares its own placeholders and default
``MessageTemplate``; users replace it with another ``MessageTemplate`` or a function returning
a ``Mail``. ``MailQueue`` hands rendered messages to a sender on worker threads, like
``mail_callbacks``: the request never waits for the mail server (so answers and their timing
do not depend on it) and a failure is one log line that never carries the link or code.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from string import Template as _StringTemplate

from ..errors import ConfigError
from .message import Mail
from .queue import MailQueue

RenderFn = Callable[..., Mail]


def _placeholders(text: str) -> set[str]:
    found: set[str] = set()
    for m in _StringTemplate.pattern.finditer(text):
        name = m.group("named") or m.group("braced")
        if name:
            found.add(name)
    return found


@dataclass(frozen=True)
class MessageTemplate:
    """Subject, plain text and optional HTML with ``$name`` placeholders.

    The plugin taking it calls ``check`` with the names it fills in, so a typo raises at
    start-up, not while sending. Values are HTML-escaped in ``html`` only.
    """

    subject: str
    text: str
    html: str | None = None

    def check(self, allowed: Iterable[str]) -> MessageTemplate:
        """This template, after checking it only uses ``allowed`` placeholders."""
        known = frozenset(allowed)
        for label, value in (("subject", self.subject), ("text", self.text),
                             ("html", self.html)):
            unknown = _placeholders(value) - known if value is not None else set()
            if unknown:
                raise ConfigError(
                    f"template {label} uses unknown placeholder(s) "
                    f"{', '.join('$' + u for u in sorted(unknown))}; known: "
                    f"{', '.join('$' + p for p in sorted(known))}")
        return self

    def render(self, *, to: str, kind: str, values: Mapping[str, str]) -> Mail:
        """The ``Mail`` for ``to`` with ``values`` filled in."""
        escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
        return Mail(
            to=to,
            subject=" ".join(_StringTemplate(self.subject).safe_substitute(values).split()),
            text=_StringTemplate(self.text).safe_substitute(values),
            html=(_StringTemplate(self.html).safe_substitute(escaped)
                  if self.html is not None else None),
            kind=kind,
        )


def render_with(template: MessageTemplate | RenderFn, *, to: str, kind: str,
                values: Mapping[str, str]) -> Mail:
    """Render a ``MessageTemplate``, or call a render function with ``to`` and the values."""
    if isinstance(template, MessageTemplate):
        return template.render(to=to, kind=kind, values=values)
    return template(to=to, **values)


__all__ = ["MailQueue", "MessageTemplate", "RenderFn", "render_with"]
