"""Default plain-text and HTML templates for the account emails, and replacing them.

A ``Template`` holds three ``string.Template`` texts (``$name``-style placeholders):
``subject``, ``text`` and ``html``. Placeholders: ``$app_name``, ``$name`` (the user's
name), ``$email`` (the recipient), ``$url`` (the link), ``$new_email`` (change-email only).
Values are HTML-escaped in ``html`` and inserted as-is in ``subject`` and ``text``; an
unknown placeholder raises at construction, not while sending. For full control pass a
function instead: it receives the same values as keywords and returns a ``Mail``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Template as _StringTemplate
from typing import Any

from ..errors import ConfigError
from .message import Mail

KINDS = ("verify-email", "reset-password", "change-email-confirmation", "delete-account")
PLACEHOLDERS = frozenset({"app_name", "name", "email", "url", "new_email"})

RenderFn = Callable[..., Mail]


@dataclass(frozen=True)
class Template:
    """Subject, plain text and HTML of one kind of email."""

    subject: str
    text: str
    html: str | None = None

    def __post_init__(self) -> None:
        for label, value in (("subject", self.subject), ("text", self.text),
                             ("html", self.html)):
            if value is None:
                continue
            unknown = _placeholders(value) - PLACEHOLDERS
            if unknown:
                raise ConfigError(
                    f"template {label} uses unknown placeholder(s) "
                    f"{', '.join('$' + u for u in sorted(unknown))}; known: "
                    f"{', '.join('$' + p for p in sorted(PLACEHOLDERS))}")


def _placeholders(text: str) -> set[str]:
    pattern = _StringTemplate.pattern
    found: set[str] = set()
    for m in pattern.finditer(text):
        name = m.group("named") or m.group("braced")
        if name:
            found.add(name)
    return found


_HTML = """<!DOCTYPE html>
<html><body style="font-family:sans-serif;line-height:1.5">
<p>Hello $name,</p>
<p>{lead}</p>
<p><a href="$url">{action}</a></p>
<p style="color:#555">{tail}</p>
<p style="color:#555">If the button does not work, copy this address into your browser:<br>$url</p>
</body></html>
"""


def _default(subject: str, lead: str, action: str, tail: str) -> Template:
    text = f"Hello $name,\n\n{lead}\n\n$url\n\n{tail}\n"
    return Template(subject=subject, text=text,
                    html=_HTML.format(lead=lead, action=action, tail=tail))


DEFAULT_TEMPLATES: dict[str, Template] = {
    "verify-email": _default(
        "Verify your email address for $app_name",
        "Please confirm that $email is your email address by opening this link:",
        "Verify email address",
        "If you did not create an account, you can ignore this email."),
    "reset-password": _default(
        "Reset your $app_name password",
        "Someone asked to reset the password of your $app_name account. To choose a new "
        "password, open this link:",
        "Reset password",
        "If you did not ask for this, ignore this email: your password stays the same."),
    "change-email-confirmation": _default(
        "Confirm your new email address for $app_name",
        "Someone asked to change the email address of your $app_name account to $new_email. "
        "To approve the change, open this link:",
        "Approve the change",
        "If you did not ask for this, ignore this email and consider changing your password."),
    "delete-account": _default(
        "Confirm deleting your $app_name account",
        "Someone asked to delete your $app_name account. To confirm, open this link:",
        "Delete my account",
        "If you did not ask for this, ignore this email: your account stays."),
}


class Templates:
    """The templates in use: the defaults, with any kinds replaced by ``overrides``.

    ``overrides`` maps a kind (see ``KINDS``) to a ``Template`` or to a function
    ``fn(*, to, app_name, name, email, url, new_email) -> Mail``.
    """

    def __init__(self, overrides: Mapping[str, Template | RenderFn] | None = None, *,
                 app_name: str = "authkit") -> None:
        merged: dict[str, Template | RenderFn] = dict(DEFAULT_TEMPLATES)
        for kind, value in (overrides or {}).items():
            if kind not in KINDS:
                raise ConfigError(f"unknown email kind {kind!r}; use one of {', '.join(KINDS)}")
            if not isinstance(value, Template) and not callable(value):
                raise ConfigError(f"template for {kind!r} must be a Template or a function")
            merged[kind] = value
        self._by_kind = merged
        self.app_name = app_name

    def render(self, kind: str, *, to: str, user: Any, url: str,
               new_email: str | None = None) -> Mail:
        """The ``Mail`` of one kind for one recipient."""
        template = self._by_kind.get(kind)
        if template is None:
            raise ConfigError(f"unknown email kind {kind!r}")
        values = {"app_name": self.app_name, "name": str(getattr(user, "name", "") or ""),
                  "email": to, "url": url, "new_email": new_email or ""}
        user_id = getattr(user, "id", None)
        if not isinstance(template, Template):
            return template(to=to, **values)
        escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
        return Mail(
            to=to,
            # One line whatever the user's name holds: no header folding surprises.
            subject=" ".join(_StringTemplate(template.subject).safe_substitute(values).split()),
            text=_StringTemplate(template.text).safe_substitute(values),
            html=(_StringTemplate(template.html).safe_substitute(escaped)
                  if template.html is not None else None),
            kind=kind, user_id=user_id if isinstance(user_id, str) else None,
        )
