"""Routing, body parsing, limits and the error envelope (docs/wire-compatibility.md#transport;
docs/security.md#cookies, 34, 35, 82, 83, 88)."""

import json

import pytest

from authkit import APIError, Hooks

from .support.clients import make_client
from .support.fixtures import sign_up

SU = "/api/auth/sign-up/email"
GOOD = {"email": "a@example.com", "password": "pass-word-1", "name": "A"}


def test_ok(client):
    res = client.get("/api/auth/ok")
    assert res.status == 200 and res.json == {"ok": True}
    assert res.header("content-type") == "application/json"


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/auth/nope"), ("GET", "/api/auth/ok/"), ("GET", "/api/auth//ok"),
    ("GET", "/other"), ("POST", "/api/auth/ok"), ("HEAD", "/api/auth/ok"),
    ("OPTIONS", "/api/auth/ok"), ("GET", "/api/auth/sign-in/email"), ("GET", "/api/auth"),
    ("GET", "/API/auth/ok"),
])
def test_unknown_routes_and_methods_are_empty_404(client, method, path):
    res = client.request(method, path, origin=False)
    assert res.status == 404 and res.body == b""


def test_trailing_slash_option(kind, make_auth):
    client = make_client(kind, make_auth(advanced={"skip_trailing_slashes": True}))
    assert client.get("/api/auth/ok/").json == {"ok": True}


def test_disabled_path_is_text_not_found(kind, make_auth):
    client = make_client(kind, make_auth(disabled_paths=["/ok"]))
    res = client.get("/api/auth/ok")
    assert res.status == 404 and res.body == b"Not Found"
    assert res.header("content-type").startswith("text/plain")


def test_error_page_escapes(client):
    res = client.get("/api/auth/error", query={"error": "<script>", "error_description":
                                                "<img src=x onerror=alert(1)>"})
    assert res.status == 200 and res.header("content-type").startswith("text/html")
    assert b"<script>" not in res.body and b"<img" not in res.body
    assert b"UNKNOWN" in res.body and b"&lt;img" in res.body


@pytest.mark.parametrize("ctype", ["text/plain", "multipart/form-data; boundary=x"])
def test_non_json_types_are_415(client, ctype):  # docs/security.md#origins-and-csrf
    res = client.post("/api/auth/sign-out", body=b"{}", headers={"Content-Type": ctype})
    assert res.status == 415
    assert res.json["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert res.json["message"].endswith("Allowed types: application/json")


def test_body_without_content_type_is_undefined(client):  # docs/wire-compatibility.md#corrections
    res = client.post("/api/auth/sign-in/email", body=json.dumps(GOOD).encode(), origin=False)
    assert res.status == 400
    assert res.json == {"message": "[body] Invalid input: expected object, received undefined",
                        "code": "VALIDATION_ERROR"}


def test_cookie_bearing_body_without_content_type_is_415(kind, auth):  # docs/security.md#origins-and-csrf
    client = make_client(kind, auth)
    sign_up(client)
    res = client.post("/api/auth/change-password", body=json.dumps(
        {"currentPassword": "correct-horse-1", "newPassword": "another-horse-2"}).encode())
    assert res.status == 415
    assert res.json == {"message": "Content-Type is required. Allowed types: application/json",
                        "code": "UNSUPPORTED_MEDIA_TYPE"}
    ok = auth.api.sign_in_email(body={"email": "alice@example.com",
                                      "password": "correct-horse-1"})
    assert ok.token  # the handler never ran: the old password still signs in
    res = client.post("/api/auth/sign-in/email", body=json.dumps(GOOD).encode())
    assert res.json["message"] == ("Content-Type is required. Allowed types: "
                                   "application/x-www-form-urlencoded, application/json")


def test_oversized_body_is_413_envelope(client):  # docs/security.md#input-validation
    res = client.post(SU, body=b'{"a":"' + b"x" * (2 * 1024 * 1024) + b'"}',
                      headers={"Content-Type": "application/json"})
    assert res.status == 413 and res.json["code"] == "PAYLOAD_TOO_LARGE"


def test_oversized_chunked_body_is_413(make_auth):  # docs/security.md#input-validation, no Content-Length
    auth = make_auth()
    app = auth.wsgi_app()
    body = b"x" * (2 * 1024 * 1024)
    import io

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": SU, "wsgi.input": io.BytesIO(body),
               "wsgi.input_terminated": True, "CONTENT_TYPE": "application/json",
               "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"}
    seen = {}
    out = b"".join(app(environ, lambda status, headers: seen.setdefault("status", status)))
    assert seen["status"].startswith("413") and json.loads(out)["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("raw", [
    b"[" * 100000, b'{"email":' + b"1" * 5000 + b"}", b'{"email":NaN}', b'{"email":1e999}',
    b'{"email":Infinity}', b'{"name":"\xff\xfe"}',
])
def test_hostile_json_is_400(client, raw):  # docs/security.md#input-validation
    res = client.post(SU, body=raw, headers={"Content-Type": "application/json"})
    assert res.status == 400 and res.json["code"] in ("BAD_REQUEST", "VALIDATION_ERROR")


@pytest.mark.parametrize("field,value", [("email", "a\u0000@example.com"), ("name", "A\u0000"),
                                         ("name", "\ud800")])
def test_bad_characters_are_400(client, field, value):  # docs/security.md#input-validation
    body = json.dumps({**GOOD, field: value}).encode()
    res = client.post(SU, body=body, headers={"Content-Type": "application/json"})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("body", [
    {"email": ["a@x.com"], "password": "pass-word-1", "name": "A"},
    {"email": "a@x.com", "password": {"$ne": None}, "name": "A"},
    {"email": "a@x.com", "password": "pass-word-1", "name": "A", "rememberMe": "false"},
    {"email": True, "password": "pass-word-1", "name": "A"},
    {"email": "a@x.com", "password": 12345678, "name": "A"},
])
def test_wrong_types_are_validation_errors(client, body):  # docs/security.md#input-validation
    res = client.post(SU, json=body)
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"


def test_duplicate_json_keys_last_wins(client):  # docs/security.md#input-validation
    raw = b'{"email":"first@example.com","email":"second@example.com","password":"pass-word-1","name":"A"}'
    res = client.post(SU, body=raw, headers={"Content-Type": "application/json"})
    assert res.json["user"]["email"] == "second@example.com"


def test_crlf_in_name_is_stored_not_reflected(client):  # docs/security.md#input-validation
    res = client.post(SU, json={**GOOD, "name": "Evil\r\nSet-Cookie: x=1"})
    assert res.status == 200
    assert res.json["user"]["name"] == "Evil\r\nSet-Cookie: x=1"
    assert not any(k.lower() == "set-cookie" and v.startswith("x=1") for k, v in res.headers)


def test_sql_metacharacters_are_literal(client, auth):  # docs/security.md#input-validation
    name = "Robert'); DROP TABLE \"user\";--"
    res = client.post(SU, json={"email": "o'hara@example.com", "password": "pass-word-1",
                                "name": name})
    assert res.status == 200 and res.json["user"]["name"] == name
    assert auth.storage.get_user_by_email("o'hara@example.com").name == name


def test_huge_cookie_header_is_refused_quickly(client):  # docs/security.md#cookies
    bomb = '"' + "\\" * 30000 + '"'
    res = client.get("/api/auth/get-session", headers={"Cookie": f"x={bomb}"}, use_jar=False)
    assert res.status == 431 and res.json["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"


def test_backslash_cookie_under_cap_is_harmless(client):  # docs/security.md#cookies
    bomb = '"' + "\\" * 8000 + '"'
    res = client.get("/api/auth/get-session", headers={"Cookie": f"x={bomb}"}, use_jar=False)
    assert res.status == 200 and res.body == b"null"


def test_unexpected_exception_is_generic_500(kind, make_auth, caplog):  # docs/security.md#errors, docs/wire-compatibility.md#cookies
    def before(ctx):
        raise RuntimeError("secret internals /etc/passwd")

    client = make_client(kind, make_auth(hooks=Hooks(before=before)))
    with caplog.at_level("ERROR", logger="authkit"):
        res = client.get("/api/auth/ok")
    assert res.status == 500
    assert res.json == {"message": "Internal server error", "code": "INTERNAL_SERVER_ERROR"}
    assert b"passwd" not in res.body and res.header("x-request-id")
    assert res.header("x-request-id") in caplog.text


def test_database_unreachable_is_503(kind, make_auth):  # docs/security.md#decisions
    pytest.importorskip("psycopg")
    auth = make_auth(database="postgresql://postgres@127.0.0.1:1/none?connect_timeout=1",
                     migrate=False)
    client = make_client(kind, auth)
    res = client.get("/api/auth/get-session", headers={"Cookie": "better-auth.session_token=a.b"})
    assert res.status == 200  # bad signature: no database work at all
    res = client.post(SU, json=GOOD)
    assert res.status == 503 and res.json["code"] == "SERVICE_UNAVAILABLE"
    assert res.header("retry-after")


def test_before_hook_short_circuit_and_after_hook_replace(kind, make_auth):
    def before(ctx):
        if ctx.path == "/ok":
            return {"short": True}
        return None

    def after(ctx, result):
        if ctx.path == "/error":
            raise APIError(418, "TEAPOT", "no")

    client = make_client(kind, make_auth(hooks=Hooks(before=before, after=after)))
    assert client.get("/api/auth/ok").json == {"short": True}
    res = client.get("/api/auth/error")
    assert res.status == 418 and res.json == {"message": "no", "code": "TEAPOT"}


@pytest.mark.parametrize("ctype, body", [
    ("text/plain", json.dumps({"currentPassword": "pass-word-1",
                               "newPassword": "new-pass-word-2"}).encode()),
    ("application/x-www-form-urlencoded",
     b"currentPassword=pass-word-1&newPassword=new-pass-word-2"),
    ("multipart/form-data; boundary=x",
     (b'--x\r\nContent-Disposition: form-data; name="currentPassword"\r\n\r\npass-word-1\r\n'
      b'--x\r\nContent-Disposition: form-data; name="newPassword"\r\n\r\nnew-pass-word-2\r\n'
      b"--x--\r\n")),
])
def test_simple_content_types_never_reach_change_password(kind, auth, ctype, body):  # docs/security.md#origins-and-csrf
    """A signed-in user, a trusted Origin, a body a cross-site form could send: 415, and the
    handler never ran (the hash and the session are unchanged). Only the two credential
    routes take a form body."""
    client = make_client(kind, auth)
    user_id = client.post(SU, json=GOOD).json["user"]["id"]
    before = auth.storage.get_credential_account(user_id).password
    res = client.post("/api/auth/change-password", body=body, headers={"Content-Type": ctype})
    assert res.status == 415 and res.json["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert res.json["message"].endswith("Allowed types: application/json")
    assert not res.set_cookies
    assert auth.storage.get_credential_account(user_id).password == before
    assert client.get("/api/auth/get-session").json["user"]["id"] == user_id
    signed_in = make_client(kind, auth).post("/api/auth/sign-in/email", data={
        "email": GOOD["email"], "password": GOOD["password"]})
    assert signed_in.status == 200  # sign-in is the other route a form may post to
