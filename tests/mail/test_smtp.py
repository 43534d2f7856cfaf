"""SMTPSender against a real aiosmtpd server: plain, STARTTLS, implicit TLS, login, and the
failures that must be errors rather than silent downgrades (docs/security.md#outages)."""

import smtplib
import ssl
import threading

import pytest

from authkit.errors import ConfigError
from authkit.mail import Mail, SMTPSender

from .smtp_server import make_certificate, silent_server, smtp_server

MAIL = Mail(to="alice@example.com", subject="Hello", text="plain body https://x/y?token=T",
            html="<p>html body</p>", kind="verify-email", user_id="u1")


def test_plain_delivery_with_text_and_html():
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="Auth <auth@example.com>",
                            security="none")
        sender.send(MAIL)
        got = inbox.wait()[0]
    assert got.mail_from == "auth@example.com" and got.rcpt_tos == ["alice@example.com"]
    assert got.message["From"] == "Auth <auth@example.com>"
    assert got.message["To"] == "alice@example.com" and got.message["Subject"] == "Hello"
    assert got.message["Message-ID"].endswith("@example.com>") and got.message["Date"]
    assert got.text.strip() == "plain body https://x/y?token=T"
    assert got.html.strip() == "<p>html body</p>"


def test_text_only_message():
    with smtp_server() as (inbox, port):
        SMTPSender("127.0.0.1", port, from_address="a@example.com", security="none").send(
            Mail(to="b@example.com", subject="S", text="only text"))
        got = inbox.wait()[0]
    assert not got.message.is_multipart() and got.html is None


def test_starttls_with_login(tmp_path):
    cert = make_certificate(tmp_path)
    with smtp_server(tls=cert.server_context(), login=("user", "p@ss")) as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="a@example.com", username="user",
                            password="p@ss", ssl_context=cert.client_context())
        sender.send(MAIL)
        inbox.wait()
    assert inbox.logins == ["user"] and inbox.tls_used == [True]


def test_implicit_tls(tmp_path):
    cert = make_certificate(tmp_path)
    with smtp_server(tls=cert.server_context(), implicit_tls=True) as (inbox, port):
        sender = SMTPSender.from_url(f"smtps://127.0.0.1:{port}", from_address="a@example.com",
                                     ssl_context=cert.client_context())
        assert sender.security == "tls"
        sender.send(MAIL)
        inbox.wait()


def test_untrusted_certificate_is_refused(tmp_path):
    cert = make_certificate(tmp_path)
    with smtp_server(tls=cert.server_context()) as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="a@example.com")  # system CAs
        with pytest.raises(ssl.SSLError):
            sender.send(MAIL)
    assert inbox.messages == []


def test_starttls_is_required_not_optional():
    # A server that does not offer STARTTLS (or a man in the middle stripping it) is an
    # error: the reset link must not travel in clear text.
    with smtp_server() as (inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="a@example.com")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            sender.send(MAIL)
    assert inbox.messages == []


def test_wrong_login_is_an_error(tmp_path):
    cert = make_certificate(tmp_path)
    with smtp_server(tls=cert.server_context(), login=("user", "right")) as (_inbox, port):
        sender = SMTPSender("127.0.0.1", port, from_address="a@example.com", username="user",
                            password="wrong", ssl_context=cert.client_context())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            sender.send(MAIL)


def test_stalled_server_is_bounded_by_the_timeout():  # docs/security.md#outages
    with silent_server() as (port, _release):
        sender = SMTPSender("127.0.0.1", port, from_address="a@example.com", security="none",
                            timeout=0.3)
        outcome = []

        def run():
            try:
                sender.send(MAIL)
            except Exception as exc:  # noqa: BLE001
                outcome.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join(timeout=10)  # a generous "finishes at all" bound; the server never speaks
        assert not worker.is_alive()
    assert outcome and isinstance(outcome[0], (TimeoutError, smtplib.SMTPException, OSError))


def test_refused_connection_raises():
    with silent_server() as (port, _):
        pass  # closed again: nothing listens on the port now
    with pytest.raises(OSError):
        SMTPSender("127.0.0.1", port, from_address="a@example.com", security="none",
                   timeout=2).send(MAIL)


def test_header_injection_is_refused():
    sender = SMTPSender("127.0.0.1", 25, from_address="a@example.com", security="none")
    with pytest.raises(ValueError):
        sender.build(Mail(to="a@example.com\r\nBcc: evil@example.com", subject="S", text="t"))
    with pytest.raises(ValueError):
        sender.build(Mail(to="a@example.com", subject="S\nBcc: evil@example.com", text="t"))


@pytest.mark.parametrize("url, expected", [
    ("smtp://user:pass@mail.example.com:587", ("starttls", "mail.example.com", 587, "user")),
    ("smtp://mail.example.com", ("starttls", "mail.example.com", 587, None)),
    ("smtps://u%40x:p%3Aw@mail.example.com", ("tls", "mail.example.com", 465, "u@x")),
    ("smtp://localhost:1025?security=none", ("none", "localhost", 1025, None)),
    ("smtp://h:2525?security=tls", ("tls", "h", 2525, None)),
])
def test_from_url(url, expected):
    sender = SMTPSender.from_url(url, from_address="a@example.com", timeout=3)
    assert (sender.security, sender.host, sender.port, sender.username) == expected
    assert sender.timeout == 3


def test_from_url_decodes_the_password_and_never_shows_it():
    sender = SMTPSender.from_url("smtps://u:s%3Acret%40@h", from_address="a@example.com")
    assert sender._password.reveal() == "s:cret@"
    assert "cret" not in repr(sender) and repr(sender) == "SMTPSender(tls://u:***@h:465)"


@pytest.mark.parametrize("url", [
    "http://mail.example.com", "smtp://", "smtp://h:notaport", "smtp://h?security=ssl",
    "smtps://h?security=none",
])
def test_bad_urls(url):
    with pytest.raises(ConfigError):
        SMTPSender.from_url(url, from_address="a@example.com")


@pytest.mark.parametrize("kwargs", [
    {"from_address": ""}, {"from_address": "a@b.c\r\nBcc: x@y.z"}, {"security": "ssl"},
    {"timeout": 0}, {"password": "p"},
])
def test_bad_options(kwargs):
    options = {"from_address": "a@example.com", **kwargs}
    with pytest.raises(ConfigError):
        SMTPSender("h", **options)
