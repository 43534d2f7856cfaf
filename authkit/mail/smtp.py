"""Sending through an SMTP server with the standard library's ``smtplib``.

``security`` is ``"starttls"`` (the default: submission port 587, STARTTLS required, so a
reset link never crosses the network in clear and a server that does not offer STARTTLS is
an error rather than a silent downgrade), ``"tls"`` (implicit TLS, port 465) or ``"none"``
(local catchers such as Mailpit on port 1025). ``timeout`` bounds every network step, so a
stalled server costs at most that long per step (docs/security.md#outages).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import ConfigError
from ..tokens import Secret
from .message import Mail

Security = Literal["starttls", "tls", "none"]
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_TIMEOUT = 10.0


class SMTPSender:
    """Delivers ``Mail`` through one SMTP server, one connection per message.

    Parameters: ``host``, ``port`` (default by ``security``), ``from_address`` (required; the
    envelope sender and ``From:``), ``username``/``password`` (login when given),
    ``security``, ``timeout`` (seconds per network step), ``ssl_context`` (default: the
    system's trust store with hostname checks) and ``local_hostname`` (for EHLO).
    """

    def __init__(self, host: str, port: int | None = None, *, from_address: str,
                 username: str | None = None, password: str | Secret | None = None,
                 security: Security = "starttls", timeout: float = DEFAULT_TIMEOUT,
                 ssl_context: ssl.SSLContext | None = None,
                 local_hostname: str | None = None) -> None:
        if security not in DEFAULT_PORTS:
            raise ConfigError(f"SMTP security must be 'starttls', 'tls' or 'none', not "
                              f"{security!r}")
        if not host:
            raise ConfigError("SMTP host is empty")
        if not from_address or "\r" in from_address or "\n" in from_address:
            raise ConfigError("SMTP from_address is required (e.g. 'Auth <auth@example.com>')")
        if timeout <= 0:
            raise ConfigError("SMTP timeout must be a positive number of seconds")
        if password is not None and username is None:
            raise ConfigError("an SMTP password needs a username")
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.from_address = from_address
        self.username = username
        self._password = password if isinstance(password, Secret) or password is None \
            else Secret(password)
        self.security: Security = security
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname

    @classmethod
    def from_url(cls, url: str, *, from_address: str, timeout: float = DEFAULT_TIMEOUT,
                 ssl_context: ssl.SSLContext | None = None) -> SMTPSender:
        """``smtp://user:pass@host:587`` (STARTTLS), ``smtps://…:465`` (implicit TLS), or
        ``smtp://host:1025?security=none``; user and password are percent-decoded."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"SMTP URL is malformed: {exc}") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError("SMTP URL must look like smtp://user:pass@host:587 or "
                              "smtps://user:pass@host:465")
        security: str = "tls" if parts.scheme == "smtps" else "starttls"
        options = parse_qs(parts.query)
        if "security" in options:
            security = options["security"][-1]
            if parts.scheme == "smtps" and security != "tls":
                raise ConfigError("smtps:// is implicit TLS; use smtp:// for other modes")
        if security not in DEFAULT_PORTS:
            raise ConfigError(f"SMTP URL security={security!r}: use starttls, tls or none")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(parts.hostname, port, from_address=from_address, username=username,
                   password=password, security=security,  # type: ignore[arg-type]
                   timeout=timeout, ssl_context=ssl_context)

    def build(self, mail: Mail) -> EmailMessage:
        """The MIME message: text, plus an HTML alternative when there is one.

        ``EmailMessage`` refuses CR/LF in header values, so no recipient or subject can add
        headers of its own.
        """
        msg = EmailMessage()
        msg["From"] = self.from_address
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain=self._id_domain())
        msg.set_content(mail.text)
        if mail.html is not None:
            msg.add_alternative(mail.html, subtype="html")
        return msg

    def send(self, mail: Mail) -> None:
        """Deliver one message; raises ``smtplib.SMTPException``/``OSError`` on failure."""
        msg = self.build(mail)
        context = self.ssl_context or ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                      context=context, local_hostname=self.local_hostname)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                  local_hostname=self.local_hostname)
        try:
            client.ehlo()
            if self.security == "starttls":
                # Raises SMTPNotSupportedError when the server does not offer it: never
                # fall back to clear text.
                client.starttls(context=context)
                client.ehlo()
            if self.username is not None:
                password = self._password.reveal() if self._password is not None else ""
                client.login(self.username, password)
            client.send_message(msg, from_addr=_address(self.from_address), to_addrs=[mail.to])
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def _id_domain(self) -> str:
        address = _address(self.from_address)
        return address.rpartition("@")[2] or self.host

    def __repr__(self) -> str:
        login = f"{self.username}:***@" if self.username else ""
        return f"SMTPSender({self.security}://{login}{self.host}:{self.port})"


def _address(value: str) -> str:
    """The bare address of ``"Name <a@b>"``."""
    from email.utils import parseaddr

    return parseaddr(value)[1] or value
