"""Calling email callbacks: keyword filtering, async callbacks, failures logged on one line."""

import logging
from types import SimpleNamespace

from authkit.mail.dispatch import accepts, call_email_callback, one_line

USER = SimpleNamespace(id="u1", email="a@example.com")


def test_accepts():
    assert accepts(lambda *, user, url, token, new_email: None, "new_email")
    assert accepts(lambda **kw: None, "new_email")
    assert not accepts(lambda *, user, url, token: None, "new_email")


def test_extra_keywords_only_where_accepted():
    got = []
    call_email_callback(lambda *, user, url, token: got.append(token), "k", user=USER,
                        url="u", token="t", new_email="n@example.com")
    call_email_callback(lambda **kw: got.append(kw["new_email"]), "k", user=USER, url="u",
                        token="t", new_email="n@example.com")
    assert got == ["t", "n@example.com"]


def test_async_callback_runs_to_completion():
    got = []

    async def send(*, user, url, token):
        got.append(url)

    assert call_email_callback(send, "k", user=USER, url="u", token="t") is True
    assert got == ["u"]


def test_failure_is_one_masked_line(caplog):
    def broken(*, user, url, token):
        raise RuntimeError(f"550 rejected\r\nlink was {url} with {token}")

    with caplog.at_level(logging.WARNING, logger="authkit.mail"):
        ok = call_email_callback(broken, "reset-password", user=USER,
                                 url="https://x/reset/SECRETTOKEN?cb=", token="SECRETTOKEN")
    assert ok is False
    (record,) = caplog.records
    message = record.getMessage()
    assert "SECRETTOKEN" not in message and "\n" not in message and "\r" not in message
    assert message.startswith("reset-password email for user u1 was not sent: RuntimeError")


def test_one_line():
    assert one_line("a\r\nb\tc\x00d", "b") == "a *** c d"
