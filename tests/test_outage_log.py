"""One throttled log record per store outage (authkit/outage_log.py)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import exc as sa_exc

from authkit import outage_log
from authkit.storage import StorageUnavailable


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(outage_log, "_clock", lambda: now[0])
    monkeypatch.setattr(outage_log, "_last", {})
    monkeypatch.setattr(outage_log, "_skipped", {})
    return now


def _unavailable(message: str) -> StorageUnavailable:
    driver = sa_exc.OperationalError("SELECT 1", {}, Exception(message))
    err = StorageUnavailable("the database is unavailable")
    err.__cause__ = driver
    return err


def test_first_outage_is_logged_with_the_driver_reason(clock, caplog):
    with caplog.at_level(logging.WARNING, logger="authkit"):
        outage_log.report_outage("database", _unavailable(
            "connection failed: certificate verify failed\nDETAIL: more"))
    [record] = caplog.records
    assert record.getMessage() == "database unavailable: connection failed: certificate verify failed"
    assert record.authkit["event"] == "storage.unavailable"


def test_repeats_are_counted_not_logged_until_the_interval_passes(clock, caplog):
    with caplog.at_level(logging.WARNING, logger="authkit"):
        for _ in range(5):
            outage_log.report_outage("database", _unavailable("refused"))
        outage_log.report_outage("secondary storage", _unavailable("gone"))  # its own clock
        clock[0] += outage_log.INTERVAL
        outage_log.report_outage("database", _unavailable("refused"))
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["database unavailable: refused",
                        "secondary storage unavailable: gone",
                        "database unavailable: refused (4 more since the last report)"]


def test_control_characters_in_the_reason_stay_on_one_line(clock, caplog):
    with caplog.at_level(logging.WARNING, logger="authkit"):
        outage_log.report_outage("database", _unavailable("bad\rhost\x1b[31m"))
    assert "\r" not in caplog.records[0].getMessage()
    assert "\x1b" not in caplog.records[0].getMessage()


def test_an_unreachable_database_is_logged_once_for_many_requests(clock, caplog, tmp_path):
    from authkit import AuthKit
    from authkit.http import Headers, Request

    auth = AuthKit(secret="s" * 40, base_url="http://localhost:3000",
                   email_and_password={"enabled": True},
                   database="postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    try:
        with caplog.at_level(logging.WARNING, logger="authkit"):
            for _ in range(3):
                res = auth.handle(Request(
                    "POST", "/api/auth/sign-in/email",
                    headers=Headers({"content-type": "application/json"}),
                    body=b'{"email":"a@example.com","password":"long-enough-1"}',
                    client="127.0.0.1"))
                assert res.status == 503, res.body
        outages = [r for r in caplog.records
                   if getattr(r, "authkit", {}).get("event") == "storage.unavailable"]
        assert len(outages) == 1
        assert "127.0.0.1" in outages[0].getMessage()  # the driver's own words reach the log
    finally:
        auth.storage.engine.dispose()
