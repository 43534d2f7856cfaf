"""auth.api: typed results, errors, as_response, return_headers, header objects."""

import pytest
from werkzeug.datastructures import Headers as WerkzeugHeaders

from authkit import APIError, Response, SessionWithUser, User

CREDS = {"email": "api@example.com", "password": "pass-word-1", "name": "Api"}


def cookie_from(headers):
    return "; ".join(v.split(";", 1)[0] for k, v in headers.items() if k.lower() == "set-cookie")


def test_sign_up_returns_typed_result(auth):
    result = auth.api.sign_up_email(body=CREDS)
    assert isinstance(result.user, User)
    assert result.user.email == "api@example.com" and result.user.email_verified is False
    assert result.to_json()["user"]["emailVerified"] is False


def test_get_session_none_without_session(auth):
    assert auth.api.get_session(headers={}) is None
    assert auth.api.get_session() is None


def test_return_headers_then_session_from_werkzeug_headers(auth):
    auth.api.sign_up_email(body=CREDS)
    out = auth.api.sign_in_email(body=CREDS, return_headers=True)
    cookie = cookie_from(out.headers)
    assert out.response.token in cookie
    got = auth.api.get_session(headers=WerkzeugHeaders({"Cookie": cookie}))
    assert isinstance(got, SessionWithUser) and got.user.email == "api@example.com"
    assert got.session.token == out.response.token


def test_errors_raise_api_error_with_status_and_code(auth):
    with pytest.raises(APIError) as info:
        auth.api.sign_in_email(body={"email": "nobody@example.com", "password": "x" * 9})
    err = info.value
    assert err.status == 401 and err.status_text == "UNAUTHORIZED"
    assert err.code == "INVALID_EMAIL_OR_PASSWORD" and err.message == "Invalid email or password"


def test_validation_errors_raise_too(auth):
    with pytest.raises(APIError) as info:
        auth.api.sign_up_email(body={"email": "x"})
    assert info.value.code == "VALIDATION_ERROR" and info.value.status == 400


def test_as_response_gives_response_values(auth):
    res = auth.api.sign_in_email(body={"email": "no@example.com", "password": "whatever1"},
                                 as_response=True)
    assert isinstance(res, Response) and res.status == 401
    assert res.json_body()["code"] == "INVALID_EMAIL_OR_PASSWORD"
    auth.api.sign_up_email(body=CREDS)
    ok = auth.api.sign_in_email(body=CREDS, as_response=True)
    assert ok.status == 200 and ok.header_all("set-cookie")


def test_api_skips_http_only_checks(auth):
    # No Origin, a foreign callbackURL: origin checks are HTTP-only, as in Better Auth.
    auth.api.sign_up_email(body=CREDS)
    result = auth.api.sign_in_email(body={**CREDS, "callbackURL": "https://evil.com"})
    assert result.redirect is True


def test_unknown_endpoint_name(auth):
    with pytest.raises(AttributeError, match="sign_in_email"):
        auth.api.sign_in_emial  # noqa: B018


def test_sign_out_through_api(auth):
    auth.api.sign_up_email(body=CREDS)
    out = auth.api.sign_in_email(body=CREDS, return_headers=True)
    cookie = cookie_from(out.headers)
    assert auth.api.sign_out(headers={"cookie": cookie}) == {"success": True}
    assert auth.api.get_session(headers={"cookie": cookie}) is None
