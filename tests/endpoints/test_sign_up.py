"""POST /sign-up/email over WSGI and ASGI (docs/wire-compatibility.md#sign-up)."""

import re

import pytest
from sqlalchemy import func, select

from authkit import APIError, FieldSpec

from ..support.clients import parse_set_cookie
from ..support.fixtures import sign_up

URL = "/api/auth/sign-up/email"


def count(auth, table):
    with auth.storage.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(getattr(auth.tables, table))).scalar()


def test_sign_up_creates_user_account_and_session(client, auth):
    res = client.post(URL, json={"email": "Alice@Example.com", "password": "correct-horse-1",
                                 "name": "Alice"})
    assert res.status == 200
    body = res.json
    assert list(body) == ["token", "user"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", body["token"])
    user = body["user"]
    assert user["email"] == "alice@example.com"
    assert user["emailVerified"] is False and user["image"] is None
    assert "password" not in res.body.decode()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", user["createdAt"])
    cookie = parse_set_cookie(res.cookie("better-auth.session_token"))
    assert cookie["max-age"] == "604800" and cookie["path"] == "/"
    assert cookie["samesite"] == "Lax" and "httponly" in cookie and "secure" not in cookie
    assert cookie["value"].startswith(body["token"] + ".")
    assert count(auth, "user") == 1 and count(auth, "account") == 1
    account = auth.storage.get_credential_account(user["id"])
    assert re.fullmatch(r"[0-9a-f]{32}:[0-9a-f]{128}", account.password)  # docs/security.md#credentials
    me = client.get("/api/auth/get-session").json
    assert me["user"]["id"] == user["id"]


def test_duplicate_email_any_case_is_422(client):
    sign_up(client)
    res = client.post(URL, json={"email": "ALICE@example.com", "password": "another-pass-1",
                                 "name": "A"}, use_jar=False)
    assert res.status == 422
    assert res.json == {"message": "User already exists. Use another email.",
                        "code": "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}


def test_enumeration_protection_returns_synthetic_user(kind, make_auth):  # docs/security.md#account-enumeration
    from ..support.clients import make_client

    auth = make_auth(email_and_password={"require_email_verification": True})
    client = make_client(kind, auth)
    first = client.post(URL, json={"email": "bob@example.com", "password": "pass-word-1",
                                   "name": "Bob"})
    again = client.post(URL, json={"email": "BOB@example.com", "password": "pass-word-2",
                                   "name": "Bob"})
    assert first.status == again.status == 200
    assert first.json["token"] is None and again.json["token"] is None
    assert list(first.json["user"]) == list(again.json["user"])
    assert [type(v) for v in first.json["user"].values()] == [
        type(v) for v in again.json["user"].values()]
    assert again.json["user"]["id"] != first.json["user"]["id"]
    assert not first.set_cookies and not again.set_cookies
    assert count(auth, "user") == 1


@pytest.mark.parametrize("password,code", [
    ("short", "PASSWORD_TOO_SHORT"),
    ("x" * 129, "PASSWORD_TOO_LONG"),
    ("😀" * 65, "PASSWORD_TOO_LONG"),  # 130 UTF-16 units (docs/security.md#credentials)
])
def test_password_length_rules(client, password, code):
    res = client.post(URL, json={"email": "a@example.com", "password": password, "name": "A"})
    assert res.status == 400 and res.json["code"] == code


def test_password_of_64_emoji_is_accepted(client):  # docs/security.md#credentials: 128 UTF-16 units
    sign_up(client, password="😀" * 64)


@pytest.mark.parametrize("body,message", [
    ({"email": "a@example.com", "password": "pass-word-1"},
     "[body.name] Invalid input: expected string, received undefined"),
    ({"email": "not-an-email", "password": "pass-word-1", "name": "A"},
     "[body.email] Invalid email address"),
    ({"email": "a@example.com", "password": 12345678, "name": "A"},
     "[body.password] Invalid input: expected string, received number"),
])
def test_validation_errors(client, body, message):
    res = client.post(URL, json=body)
    assert res.status == 400
    assert res.json == {"message": message, "code": "VALIDATION_ERROR"}


def test_sign_up_disabled(kind, make_auth):
    from ..support.clients import make_client

    client = make_client(kind, make_auth(email_and_password={"disable_sign_up": True}))
    res = client.post(URL, json={"email": "a@example.com", "password": "pass-word-1",
                                 "name": "A"})
    assert res.status == 400 and res.json["code"] == "EMAIL_PASSWORD_SIGN_UP_DISABLED"


def test_form_urlencoded_is_accepted(client):
    res = client.post(URL, data={"email": "f@example.com", "password": "pass-word-1",
                                 "name": "Form"})
    assert res.status == 200 and res.json["user"]["email"] == "f@example.com"


def test_text_plain_is_415_listing_both_types(client):  # docs/security.md#origins-and-csrf, docs/wire-compatibility.md#corrections
    res = client.post(URL, body=b'{"email":"a@example.com"}',
                      headers={"Content-Type": "text/plain"})
    assert res.status == 415
    assert res.json == {"message": 'Content-Type "text/plain" is not allowed. Allowed types: '
                        "application/x-www-form-urlencoded, application/json",
                        "code": "UNSUPPORTED_MEDIA_TYPE"}


def test_malformed_json(client):
    res = client.post(URL, body=b'{"email":', headers={"Content-Type": "application/json"})
    assert res.status == 400
    assert res.json == {"message": "Invalid JSON in request body", "code": "BAD_REQUEST"}


def test_remember_me_false_sets_browser_session_cookies(client):
    res = sign_up(client, rememberMe=False)
    token = parse_set_cookie(res.cookie("better-auth.session_token"))
    marker = parse_set_cookie(res.cookie("better-auth.dont_remember"))
    assert "max-age" not in token and "max-age" not in marker


def test_mass_assignment_is_dropped(client, auth):  # docs/security.md#authorization
    res = sign_up(client, emailVerified=True, id="attacker-chosen-id", createdAt="2000-01-01")
    user = res.json["user"]
    assert user["emailVerified"] is False and user["id"] != "attacker-chosen-id"
    assert auth.storage.get_user_by_id(user["id"]).email_verified is False


def test_input_false_field_is_refused_and_required_field_enforced(kind, make_auth):
    from ..support.clients import make_client

    auth = make_auth(user={"additional_fields": [
        FieldSpec(name="role", type="string", input=False),
        FieldSpec(name="plan", type="string", required=True),
    ]})
    client = make_client(kind, auth)
    base = {"email": "r@example.com", "password": "pass-word-1", "name": "R"}
    res = client.post(URL, json={**base, "role": "admin", "plan": "free"})
    assert res.status == 400
    assert res.json == {"message": "role is not allowed to be set", "code": "FIELD_NOT_ALLOWED"}
    res = client.post(URL, json=base)
    assert res.status == 400
    assert res.json == {"message": "plan is required", "code": "MISSING_FIELD"}
    res = client.post(URL, json={**base, "plan": "pro"})
    assert res.status == 200 and res.json["user"]["plan"] == "pro"
    assert count(auth, "user") == 1


def test_vetoed_account_leaves_no_user(kind, make_auth):  # docs/security.md#outages
    from ..support.clients import make_client

    auth = make_auth(database_hooks={"account": {"create": {"before": lambda data, ctx: False}}})
    client = make_client(kind, auth)
    res = client.post(URL, json={"email": "v@example.com", "password": "pass-word-1",
                                 "name": "V"})
    assert res.status == 400 and res.json["code"] == "FAILED_TO_CREATE_USER"
    assert count(auth, "user") == 0 and count(auth, "account") == 0


def test_hook_raising_inside_transaction_rolls_back(kind, make_auth):
    from ..support.clients import make_client

    def boom(data, ctx):
        raise APIError(400, "VALIDATION_ERROR", "account refused")

    auth = make_auth(database_hooks={"account": {"create": {"before": boom}}})
    client = make_client(kind, auth)
    res = client.post(URL, json={"email": "w@example.com", "password": "pass-word-1",
                                 "name": "W"})
    assert res.status == 400 and res.json["message"] == "account refused"
    assert count(auth, "user") == 0


def test_cross_site_navigation_is_blocked(client):  # docs/wire-compatibility.md#origin-check B
    res = client.post(URL, json={"email": "c@example.com", "password": "pass-word-1",
                                 "name": "C"}, origin=False,
                      headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert res.status == 403 and res.json["code"] == "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"


def test_untrusted_origin_without_cookie_is_refused(client):
    res = client.post(URL, json={"email": "c@example.com", "password": "pass-word-1",
                                 "name": "C"}, headers={"Origin": "https://evil.com"})
    assert res.status == 403 and res.json["code"] == "INVALID_ORIGIN"


def test_curl_like_request_without_origin_is_allowed(client):
    res = client.post(URL, json={"email": "c@example.com", "password": "pass-word-1",
                                 "name": "C"}, origin=False)
    assert res.status == 200


def test_failing_user_create_is_422_failed_to_create_user(kind, make_auth, caplog):
    """docs/wire-compatibility.md#sign-up: any failure of the user insert but an APIError (an
    adapter error, a
    hook's bug) is 422 FAILED_TO_CREATE_USER; the cause goes to the log, not the wire."""
    from ..support.clients import make_client

    def broken(data, ctx):
        raise RuntimeError("secret internals")

    auth = make_auth(database_hooks={"user": {"create": {"before": broken}}})
    client = make_client(kind, auth)
    with caplog.at_level("ERROR", logger="authkit"):
        res = client.post(URL, json={"email": "f@example.com", "password": "pass-word-1",
                                     "name": "F"})
    assert res.status == 422
    assert res.json == {"message": "Failed to create user", "code": "FAILED_TO_CREATE_USER"}
    assert b"secret" not in res.body and not res.set_cookies
    assert "secret internals" in caplog.text
    assert count(auth, "user") == 0 and count(auth, "account") == 0
