"""MailCallbacks: render + deliver on worker threads; a slow or broken server never holds or
changes the HTTP answer (docs/security.md#outages)."""

import logging
import threading
from types import SimpleNamespace

from authkit.mail import Mail, MailCallbacks, SMTPSender, fan_out, mail_callbacks

USER = SimpleNamespace(id="u1", name="Alice", email="alice@example.com")
URL = "http://localhost:3000/api/auth/reset-password/TOKEN123?callbackURL="


class Recorder:
    def __init__(self, fail=False, gate=None):
        self.sent: list[Mail] = []
        self.fail = fail
        self.gate = gate

    def send(self, mail):
        if self.gate is not None:
            self.gate.wait()
        if self.fail:
            raise ConnectionRefusedError(f"[Errno 111] refused while sending {mail.text}")
        self.sent.append(mail)


def test_each_callback_renders_its_kind():
    rec = Recorder()
    mail = mail_callbacks(rec, background=False)
    mail.send_verification_email(user=USER, url=URL, token="T1")
    mail.send_reset_password(user=USER, url=URL, token="T2")
    mail.send_change_email_confirmation(user=USER, url=URL, token="T3", new_email="n@x.com")
    mail.send_delete_account_verification(user=USER, url=URL, token="T4")
    assert [m.kind for m in rec.sent] == ["verify-email", "reset-password",
                                          "change-email-confirmation", "delete-account"]
    assert all(m.to == "alice@example.com" and URL in m.text for m in rec.sent)
    assert "n@x.com" in rec.sent[2].text


def test_background_delivery_does_not_wait():
    gate = threading.Event()
    rec = Recorder(gate=gate)
    mail = MailCallbacks(rec)  # background by default
    mail.send_reset_password(user=USER, url=URL, token="T")
    assert rec.sent == []  # returned while the sender is still blocked
    gate.set()
    assert mail.flush(timeout=10) and len(rec.sent) == 1
    mail.close()


def test_foreground_wait_is_bounded(caplog):
    gate = threading.Event()
    mail = MailCallbacks(Recorder(gate=gate), background=False, wait=0.05)
    with caplog.at_level(logging.WARNING, logger="authkit.mail"):
        mail.send_reset_password(user=USER, url=URL, token="T")  # returns although blocked
    assert "still being sent" in caplog.text
    gate.set()
    assert mail.flush(timeout=10)
    mail.close()


def test_failures_are_logged_without_the_token(caplog):
    mail = MailCallbacks(Recorder(fail=True), background=False)
    with caplog.at_level(logging.DEBUG):
        mail.send_reset_password(user=USER, url=URL, token="TOKEN123")
    (record,) = [r for r in caplog.records if r.name == "authkit.mail"]
    text = record.getMessage()
    assert text.startswith("reset-password email for user u1 was not sent: "
                           "ConnectionRefusedError")
    assert "TOKEN123" not in caplog.text


def test_wait_defaults_to_the_sender_timeout():
    sender = SMTPSender("h", from_address="a@example.com", timeout=4.5)
    assert mail_callbacks(sender).wait == 4.5
    assert "background" in repr(mail_callbacks(sender))


def test_fan_out_calls_every_callback_even_after_a_failure():
    got = []

    def broken(*, user, url, token):
        raise OSError("down")

    both = fan_out(broken, lambda *, user, url, token: got.append(token))
    both(user=USER, url=URL, token="T")
    assert got == ["T"]
