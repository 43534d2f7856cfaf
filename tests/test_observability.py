"""Structured log events, debug timing and the on_api_error hook (issue 6 item 7;
docs/security.md#input-validation,
docs/security.md#errors)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from authkit.errors import APIError, ConfigError
from authkit.hooks import Hooks
from authkit.observability import ErrorContext, clean, log_event

from .support.clients import make_client
from .support.fixtures import SECRET, sign_up

PASSWORD = "correct-horse-1"
SI = "/api/auth/sign-in/email"


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == name]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="authkit")
    return caplog


def test_sign_up_sign_in_sign_out_are_logged(client, logs):  # docs/security.md#errors
    user_id = sign_up(client, headers={"User-Agent": "ua-test"}).json["user"]["id"]
    (rec,) = events(logs, "sign_up")
    assert rec.user_id == user_id and rec.ip == "127.0.0.1" and rec.levelno == logging.INFO
    client.jar.clear()
    client.post(SI, json={"email": "alice@example.com", "password": PASSWORD},
                headers={"User-Agent": "ua-test"})
    (rec,) = events(logs, "sign_in.success")
    assert rec.user_id == user_id and rec.ip == "127.0.0.1" and rec.user_agent == "ua-test"
    client.post("/api/auth/sign-out")
    (rec,) = events(logs, "sign_out")
    assert rec.had_session is True


@pytest.mark.parametrize(("email", "password", "reason"), [
    ("alice@example.com", "wrong-password-1", "INVALID_PASSWORD"),
    ("nobody@example.com", PASSWORD, "UNKNOWN_USER_OR_NO_PASSWORD"),
])
def test_sign_in_failures_are_warnings_with_reason(client, logs, email, password, reason):
    sign_up(client)
    client.jar.clear()
    assert client.post(SI, json={"email": email, "password": password}).status == 401
    (rec,) = events(logs, "sign_in.failure")
    assert rec.levelno == logging.WARNING and rec.reason == reason and rec.ip == "127.0.0.1"


def test_unverified_sign_in_is_logged(make_auth, kind, logs):
    auth = make_auth(email_and_password={"require_email_verification": True})
    client = make_client(kind, auth)
    client.post("/api/auth/sign-up/email", json={
        "email": "u@example.com", "password": PASSWORD, "name": "U"})
    client.post(SI, json={"email": "u@example.com", "password": PASSWORD})
    (rec,) = events(logs, "sign_in.failure")
    assert rec.reason == "EMAIL_NOT_VERIFIED" and rec.user_id


def test_no_credential_reaches_the_log(make_auth, kind, logs):  # docs/security.md#errors
    auth = make_auth(session={"cookie_cache": {"enabled": True}})
    client = make_client(kind, auth)
    token = sign_up(client, password="Sup3r-Secret-Passw0rd").json["token"]
    client.get("/api/auth/get-session", headers={"Authorization": f"Bearer {token}"})
    client.post(SI, json={"email": "alice@example.com", "password": "Wr0ng-Secret-Passw0rd"})
    client.post("/api/auth/sign-out")
    secrets = ["Sup3r-Secret-Passw0rd", "Wr0ng-Secret-Passw0rd", token, SECRET,
               *[v[:20] for v in client.jar.values()]]
    assert logs.records
    for record in logs.records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in secrets:
            assert secret not in text, (secret, record.getMessage())


def test_crlf_in_email_stays_one_line(client, logs):  # docs/security.md#input-validation, docs/security.md#errors
    client.post(SI, json={"email": "a@example.com\r\nFAKE sign_in.success user_id=root",
                          "password": PASSWORD})
    for record in logs.records:
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    log_event(None, "sign_in.failure", email="x@example.com\r\nforged")
    (rec,) = [r for r in events(logs, "sign_in.failure") if "forged" in r.getMessage()]
    assert rec.getMessage().count("\n") == 0 and "\\r\\n" in rec.getMessage()


def test_log_event_drops_credentials_and_escapes(logs):
    log_event(None, "custom", user_id="u1", password="p", session_token="t", new_Password="x",
              reason="a\x00b\u2028c")
    (rec,) = events(logs, "custom")
    assert rec.user_id == "u1" and rec.reason == "a\\x00b\\u2028c"
    assert not hasattr(rec, "password") and not hasattr(rec, "session_token")
    assert "new_Password" not in rec.authkit
    assert clean("x" * 300).endswith("…") and clean(None) is None and clean(3) == 3


def test_log_event_field_named_like_a_record_attribute(logs):
    log_event(None, "custom", name="Alice", message="m")
    (rec,) = events(logs, "custom")
    assert rec.authkit_name == "Alice" and rec.authkit_message == "m"


def test_debug_timing_per_endpoint(client, logs):
    client.get("/api/auth/ok")
    (rec,) = events(logs, "endpoint.timing")
    assert rec.endpoint == "ok" and rec.outcome == "ok" and rec.duration_ms >= 0


def test_no_timing_above_debug(client, caplog):
    caplog.set_level(logging.INFO, logger="authkit")
    client.get("/api/auth/ok")
    assert not events(caplog, "endpoint.timing")


def test_timing_reports_errors(client, logs):
    client.post(SI, json={"email": "nobody@example.com", "password": PASSWORD})
    (rec,) = events(logs, "endpoint.timing")
    assert rec.outcome == "APIError"


# -- on_api_error ---------------------------------------------------------------------------------
def test_on_api_error_sees_api_errors(make_auth, kind):
    seen: list[tuple[BaseException, ErrorContext]] = []
    auth = make_auth(on_api_error=lambda err, ctx: seen.append((err, ctx)))
    client = make_client(kind, auth)
    res = client.post(SI, json={"email": "nobody@example.com", "password": PASSWORD})
    assert res.status == 401
    (err, ctx), = seen
    assert isinstance(err, APIError) and err.code == "INVALID_EMAIL_OR_PASSWORD"
    assert ctx.path == SI and ctx.auth is auth


def test_on_api_error_sees_unexpected_errors_response_unchanged(make_auth, kind, caplog):
    seen: list[BaseException] = []

    def boom(ctx: Any) -> None:
        raise RuntimeError("kaput")

    auth = make_auth(hooks=Hooks(before=boom), on_api_error={"on_error": lambda e, c:
                                                              seen.append(e)})
    res = make_client(kind, auth).get("/api/auth/ok")
    assert res.status == 500 and res.json["code"] == "INTERNAL_SERVER_ERROR"
    assert isinstance(seen[0], RuntimeError)


def test_on_api_error_that_raises_is_logged_not_fatal(make_auth, kind, caplog):
    def bad_hook(err: BaseException, ctx: ErrorContext) -> None:
        raise ValueError("hook bug")

    auth = make_auth(on_api_error=bad_hook)
    res = make_client(kind, auth).post(SI, json={"email": "n@example.com",
                                                 "password": PASSWORD})
    assert res.status == 401
    assert "on_api_error hook raised" in caplog.text


def test_on_api_error_throw_reraises(make_auth):
    auth = make_auth(on_api_error={"throw": True})
    from authkit.http import Headers, Request

    with pytest.raises(APIError):
        auth.handle(Request("POST", SI, headers=Headers({"content-type": "application/json"}),
                            body=b'{"email":"n@example.com","password":"correct-horse-1"}'))


def test_on_api_error_ignores_redirects():
    from authkit.observability import ErrorHook

    seen: list[Any] = []
    hook = ErrorHook(lambda e, c: seen.append(e))
    hook.report(None, APIError(302, "FOUND", headers=[("Location", "/")]), None)  # type: ignore[arg-type]
    assert seen == []


@pytest.mark.parametrize("bad", [{"onError": print}, {"on_error": 3}, "print"])
def test_on_api_error_validated(make_auth, bad):
    with pytest.raises(ConfigError):
        make_auth(on_api_error=bad)
