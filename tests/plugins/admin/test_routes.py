"""Every /admin/* route over WSGI and ASGI: the permission matrix and each error code
(docs/wire-compatibility.md#admin-endpoints, docs/wire-compatibility.md#admin-error-codes;
docs/security.md#authorization)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from authkit.errors import APIError
from authkit.plugins.admin import ADMIN_ERROR_CODES

from .conftest import PASSWORD, Cast

A = "/api/auth/admin"
SERIAL = itertools.count()
Request = tuple[str, str, dict[str, Any]]


def victim(cast: Cast) -> str:
    """A fresh target, so destructive routes never run out of users."""
    return cast.user(f"victim{next(SERIAL)}")


# route → (permission it needs, 403 code, request builder)
ROUTES: dict[str, tuple[str, str, Callable[[Cast], Request]]] = {
    "create-user": ("user:create", "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", lambda c: (
        "POST", "/create-user",
        {"json": {"email": f"new{next(SERIAL)}@example.com", "password": PASSWORD,
                  "name": "New"}})),
    "list-users": ("user:list", "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
                   lambda c: ("GET", "/list-users", {"query": {"limit": "5"}})),
    "get-user": ("user:get", "YOU_ARE_NOT_ALLOWED_TO_GET_USER",
                 lambda c: ("GET", "/get-user", {"query": {"id": c.ids["bob"]}})),
    "set-role": ("user:set-role", "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", lambda c: (
        "POST", "/set-role", {"json": {"userId": c.ids["bob"], "role": "user"}})),
    "ban-user": ("user:ban", "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
                 lambda c: ("POST", "/ban-user", {"json": {"userId": victim(c)}})),
    "unban-user": ("user:ban", "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
                   lambda c: ("POST", "/unban-user", {"json": {"userId": c.ids["bob"]}})),
    "update-user": ("user:update", "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", lambda c: (
        "POST", "/update-user", {"json": {"userId": c.ids["bob"], "data": {"name": "B"}}})),
    "remove-user": ("user:delete", "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS",
                    lambda c: ("POST", "/remove-user", {"json": {"userId": victim(c)}})),
    "set-user-password": ("user:set-password", "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
                          lambda c: ("POST", "/set-user-password", {"json": {
                              "userId": c.ids["bob"], "newPassword": "another-pass-9"}})),
    "list-user-sessions": ("session:list", "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS",
                           lambda c: ("POST", "/list-user-sessions",
                                      {"json": {"userId": c.ids["bob"]}})),
    "revoke-user-session": ("session:revoke", "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
                            lambda c: ("POST", "/revoke-user-session",
                                       {"json": {"sessionToken": "no-such-token"}})),
    "revoke-user-sessions": ("session:revoke", "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
                             lambda c: ("POST", "/revoke-user-sessions",
                                        {"json": {"userId": c.ids["bob"]}})),
    "impersonate-user": ("user:impersonate", "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS",
                         lambda c: ("POST", "/impersonate-user",
                                    {"json": {"userId": c.ids["bob"]}})),
}

# Who may do what: root has role admin, owner is in admin_user_ids with role user.
GRANTS = {
    "root": {p for p, _, _ in ROUTES.values()},
    "owner": {p for p, _, _ in ROUTES.values()},
    "alice": set(),
    "support": {"user:list", "user:get"},
    "editor": {"user:update"},
    "creator": {"user:create"},
}


def call(cast: Cast, caller: str | None, route: str) -> Any:
    method, path, kw = ROUTES[route][2](cast)
    client = cast.client(caller) if caller else cast.anonymous()
    return client.request(method, A + path, **kw)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_permission_matrix(cast: Cast, route: str) -> None:
    permission, code, _ = ROUTES[route]
    for caller, granted in GRANTS.items():
        res = call(cast, caller, route)
        if permission in granted:
            assert res.status == 200, (caller, route, res.body)
        else:
            assert res.status == 403, (caller, route, res.body)
            assert res.json == {"message": ADMIN_ERROR_CODES[code], "code": code}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_no_session_is_401_with_an_empty_body(cast: Cast, route: str) -> None:
    res = call(cast, None, route)
    assert res.status == 401
    assert res.body == b"" and res.header("content-type") is None


def test_has_permission_follows_the_callers_own_role(cast: Cast) -> None:
    url = A + "/has-permission"
    ask = {"permissions": {"user": ["list"]}}
    for caller, granted in GRANTS.items():
        res = cast.client(caller).post(url, json=ask)
        assert res.json == {"error": None, "success": "user:list" in granted}, caller
    # The body's userId/role never change what the caller may do
    # (docs/wire-compatibility.md#corrections, docs/security.md#authorization).
    res = cast.client("alice").post(url, json={**ask, "role": "admin",
                                               "userId": cast.ids["root"]})
    assert res.json["success"] is False
    res = cast.client("root").post(url, json={**ask, "role": "user"})
    assert res.json["success"] is True


def test_has_permission_errors(cast: Cast) -> None:
    url = A + "/has-permission"
    assert cast.anonymous().post(url, json={"permissions": {"user": ["list"]}}).status == 401
    res = cast.client("root").post(url, json={"permission": {"user": ["list"]}})
    assert res.status == 400
    assert res.json == {"message": "invalid permission check. no permission(s) were passed."}
    for body in ({}, {"permission": {"user": ["list"]}, "permissions": {"user": ["list"]}},
                 {"permissions": {"user": "list"}}):
        res = cast.client("root").post(url, json=body)
        assert res.status == 400
        assert res.json == {"message": "[body] Invalid input", "code": "VALIDATION_ERROR"}


def test_every_route_is_in_auth_api(cast: Cast) -> None:
    names = {"create_user", "list_users", "get_user", "set_role", "ban_user", "unban_user",
             "admin_update_user", "remove_user", "set_user_password", "list_user_sessions",
             "revoke_user_session", "revoke_user_sessions", "impersonate_user",
             "stop_impersonating", "user_has_permission"}
    assert names <= set(dir(cast.auth.api))


# -- error codes, one test per code (STYLE habit 10) ------------------------------------------

def post(cast: Cast, caller: str, path: str, body: Any) -> Any:
    return cast.client(caller).post(A + path, json=body)


def assert_error(res: Any, status: int, code: str) -> None:
    assert res.status == status, res.body
    message = ADMIN_ERROR_CODES.get(code)
    assert res.json["code"] == code
    if message is not None and code != "BANNED_USER":
        assert res.json["message"] == message


def test_user_not_found_is_404(cast: Cast) -> None:
    for path, body in (("/set-role", {"userId": "nope", "role": "user"}),
                       ("/ban-user", {"userId": "nope"}), ("/unban-user", {"userId": "nope"}),
                       ("/update-user", {"userId": "nope", "data": {"name": "x"}}),
                       ("/remove-user", {"userId": "nope"}),
                       ("/set-user-password", {"userId": "nope", "newPassword": PASSWORD}),
                       ("/impersonate-user", {"userId": "nope"})):
        res = post(cast, "root", path, body)
        assert res.status == 404, path
        assert res.json == {"message": "User not found", "code": "USER_NOT_FOUND"}
    res = cast.client("root").get(A + "/get-user", query={"id": "nope"})
    assert res.status == 404 and res.json["code"] == "USER_NOT_FOUND"


def test_user_already_exists_use_another_email(cast: Cast) -> None:
    res = post(cast, "root", "/create-user",
               {"email": "ALICE@example.com", "password": PASSWORD, "name": "A"})
    assert_error(res, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
    res = post(cast, "root", "/update-user",
               {"userId": cast.ids["bob"], "data": {"email": "Alice@Example.com"}})
    assert_error(res, 400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")


def test_failed_to_create_user_when_a_hook_vetoes(make_cast: Any) -> None:
    veto = {"user": {"create": {"before": lambda data, ctx: data["email"] != "no@example.com"
                                and None}}}
    cast = make_cast(auth_options={"database_hooks": veto})
    res = post(cast, "root", "/create-user",
               {"email": "no@example.com", "password": PASSWORD, "name": "No"})
    assert_error(res, 500, "FAILED_TO_CREATE_USER")


def test_you_cannot_ban_yourself(cast: Cast) -> None:
    assert_error(post(cast, "root", "/ban-user", {"userId": cast.ids["root"]}), 400,
                 "YOU_CANNOT_BAN_YOURSELF")
    res = post(cast, "root", "/update-user",
               {"userId": cast.ids["root"], "data": {"banned": True}})
    assert_error(res, 400, "YOU_CANNOT_BAN_YOURSELF")


def test_you_cannot_remove_yourself_is_checked_before_the_lookup(cast: Cast) -> None:
    assert_error(post(cast, "root", "/remove-user", {"userId": cast.ids["root"]}), 400,
                 "YOU_CANNOT_REMOVE_YOURSELF")


def test_no_data_password_and_id_cannot_be_updated(cast: Cast) -> None:
    bob = cast.ids["bob"]
    assert_error(post(cast, "root", "/update-user", {"userId": bob, "data": {}}), 400,
                 "NO_DATA_TO_UPDATE")
    assert_error(post(cast, "root", "/update-user", {"userId": bob, "data": {"password": "x"}}),
                 400, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER")
    assert_error(post(cast, "root", "/update-user", {"userId": bob, "data": {"id": "x"}}),
                 400, "USER_ID_CANNOT_BE_UPDATED")


def test_invalid_role_type(cast: Cast) -> None:
    res = post(cast, "root", "/create-user", {"email": "r@example.com", "password": PASSWORD,
                                              "name": "R", "data": {"role": 5}})
    assert_error(res, 400, "INVALID_ROLE_TYPE")
    res = post(cast, "root", "/update-user",
               {"userId": cast.ids["bob"], "data": {"role": ["user", 7]}})
    assert_error(res, 400, "INVALID_ROLE_TYPE")


def test_non_existent_role_value_when_roles_are_configured(cast: Cast) -> None:
    bob = cast.ids["bob"]
    assert_error(post(cast, "root", "/set-role", {"userId": bob, "role": "superuser"}), 400,
                 "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    assert_error(post(cast, "root", "/set-role", {"userId": bob, "role": ["user", "god"]}),
                 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    res = post(cast, "root", "/create-user", {"email": "r@example.com", "password": PASSWORD,
                                              "name": "R", "role": "god"})
    assert_error(res, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")
    res = post(cast, "root", "/update-user", {"userId": bob, "data": {"role": "god"}})
    assert_error(res, 400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE")


def test_any_role_string_is_accepted_with_the_default_roles(make_cast: Any) -> None:
    cast = make_cast(roles=None)
    res = post(cast, "root", "/set-role", {"userId": cast.ids["bob"], "role": "superuser"})
    assert res.status == 200 and res.json["user"]["role"] == "superuser"


def test_per_field_permissions_of_update_user(cast: Cast) -> None:
    """docs/security.md#authorization: update rights alone do not reach role, ban, email or phone
    fields."""
    bob = cast.ids["bob"]
    cases = [({"role": "admin"}, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
             ({"banned": True}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
             ({"banReason": "x"}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
             ({"email": "x@y.z"}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL"),
             ({"emailVerified": True}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL"),
             ({"phoneNumber": "+1555"}, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER")]
    for data, code in cases:
        assert_error(post(cast, "editor", "/update-user", {"userId": bob, "data": data}), 403,
                     code)
        # support has no user:update at all: refused before any field is looked at.
        assert_error(post(cast, "support", "/update-user", {"userId": bob, "data": data}), 403,
                     "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS")
    user = cast.auth.api.get_user(query={"id": bob}, headers={
        "cookie": cast.client("root").cookie_header()})
    assert user.extra["role"] == "user" and user.extra["banned"] is False
    assert user.email == "bob@example.com"


def test_support_is_refused_everything_but_list_and_get(cast: Cast) -> None:
    """docs/security.md#authorization, the support role's list."""
    bob = cast.ids["bob"]
    for path, body, code in (
            ("/set-role", {"userId": bob, "role": "admin"},
             "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"),
            ("/ban-user", {"userId": bob}, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"),
            ("/set-user-password", {"userId": bob, "newPassword": "pwned-pass-1"},
             "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"),
            ("/impersonate-user", {"userId": bob}, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS")):
        assert_error(post(cast, "support", path, body), 403, code)
    assert cast.client("support").get(A + "/get-user", query={"id": bob}).status == 200


def test_create_user_with_a_role_needs_set_role(cast: Cast) -> None:
    body = {"email": "c@example.com", "password": PASSWORD, "name": "C"}
    assert_error(post(cast, "creator", "/create-user", {**body, "role": "admin"}), 403,
                 "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
    assert_error(post(cast, "creator", "/create-user", {**body, "data": {"role": "admin"}}), 403,
                 "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE")
    assert_error(post(cast, "creator", "/create-user", {**body, "data": {"banned": True}}), 403,
                 "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS")
    res = post(cast, "creator", "/create-user", body)
    assert res.status == 200 and res.json["user"]["role"] == "user"


def test_create_user_over_http_without_session_is_401_whatever_the_body(cast: Cast) -> None:
    """docs/security.md#authorization: no body field switches the session check off."""
    for extra in ({}, {"userId": cast.ids["root"]}, {"role": "admin"},
                  {"data": {"role": "admin"}}):
        res = cast.anonymous().post(A + "/create-user", json={
            "email": "x@example.com", "password": PASSWORD, "name": "X", **extra})
        assert res.status == 401 and res.body == b""
    assert cast.auth.db.get_user_by_email("x@example.com") is None


def test_create_user_in_process_relaxation_needs_no_headers(cast: Cast) -> None:
    api = cast.auth.api
    user = api.create_user(body={"email": "Srv@Example.com", "name": "Srv"})["user"]
    assert user.email == "srv@example.com" and user.extra["role"] == "user"
    # No password: no credential account, so no sign-in (docs/security.md#credentials c).
    assert cast.auth.db.get_credential_account(user.id) is None
    # With headers (even empty ones) the caller is someone: no session is a 401.
    with pytest.raises(APIError) as err:
        api.create_user(body={"email": "h@example.com", "name": "H"}, headers={})
    assert err.value.status == 401 and err.value.body is None


def test_create_user_rules(cast: Cast) -> None:
    res = post(cast, "root", "/create-user", {"email": "not-an-email", "name": "N"})
    assert res.status == 400 and res.json["code"] == "INVALID_EMAIL"
    # Only the maximum length is checked for admins.
    res = post(cast, "root", "/create-user",
               {"email": "short@example.com", "password": "abc", "name": "S"})
    assert res.status == 200
    res = post(cast, "root", "/create-user",
               {"email": "long@example.com", "password": "x" * 129, "name": "L"})
    assert res.status == 400 and res.json["code"] == "PASSWORD_TOO_LONG"
    res = post(cast, "root", "/create-user", {
        "email": "Multi@Example.com", "password": PASSWORD, "name": "M", "role": ["user", "support"],
        "data": {"emailVerified": True, "banned": True, "banReason": "spam", "unknown": 1}})
    user = res.json["user"]
    assert user["email"] == "multi@example.com" and user["role"] == "user,support"
    assert user["emailVerified"] is True and user["banned"] is True
    assert user["banReason"] == "spam" and "unknown" not in user


def test_shapes_of_the_answers(cast: Cast) -> None:
    bob = cast.ids["bob"]
    root = cast.client("root")
    got = root.get(A + "/get-user", query={"id": bob}).json
    assert got["id"] == bob and "user" not in got  # the bare user object
    assert list(got)[-5:] == ["role", "banned", "banReason", "banExpires", "id"]
    updated = post(cast, "root", "/update-user", {"userId": bob, "data": {"name": "Robert"}})
    assert updated.json["name"] == "Robert" and "user" not in updated.json
    assert post(cast, "root", "/set-role", {"userId": bob, "role": ["user", "support"]}
                ).json["user"]["role"] == "user,support"
    assert post(cast, "root", "/set-user-password",
                {"userId": bob, "newPassword": "brand-new-pw"}).json == {"status": True}
    assert post(cast, "root", "/revoke-user-session", {"sessionToken": "x"}).json == {
        "success": True}
    assert post(cast, "root", "/revoke-user-sessions", {"userId": bob}).json == {
        "success": True}


def test_set_user_password_rules(cast: Cast) -> None:
    bob = cast.ids["bob"]
    res = post(cast, "root", "/set-user-password", {"userId": bob, "newPassword": ""})
    assert res.json == {"message": "[body.newPassword] newPassword cannot be empty",
                        "code": "VALIDATION_ERROR"}
    res = post(cast, "root", "/set-user-password", {"userId": "", "newPassword": "pw-long-1"})
    assert res.json["message"] == "[body.userId] userId cannot be empty"
    res = post(cast, "root", "/set-user-password", {"userId": bob, "newPassword": "short"})
    assert res.status == 400 and res.json["code"] == "PASSWORD_TOO_SHORT"
    post(cast, "root", "/set-user-password", {"userId": bob, "newPassword": "brand-new-pw"})
    signed = cast.anonymous().post("/api/auth/sign-in/email",
                                   json={"email": "bob@example.com", "password": "brand-new-pw"})
    assert signed.status == 200
    # A user without a password gets a credential account.
    lone = cast.auth.api.create_user(body={"email": "lone@example.com", "name": "L"})["user"]
    post(cast, "root", "/set-user-password", {"userId": lone.id, "newPassword": "first-pw-1"})
    assert cast.anonymous().post("/api/auth/sign-in/email", json={
        "email": "lone@example.com", "password": "first-pw-1"}).status == 200


def test_remove_user_deletes_the_user_and_their_sessions(cast: Cast) -> None:
    token = cast.client("alice").get("/api/auth/get-session").json["session"]["token"]
    assert post(cast, "root", "/remove-user", {"userId": cast.ids["alice"]}).json == {
        "success": True}
    assert cast.auth.db.get_user_by_id(cast.ids["alice"]) is None
    assert cast.auth.db.get_session_with_user(token) is None
    assert cast.client("alice").get("/api/auth/get-session").body == b"null"


def test_list_and_revoke_user_sessions(cast: Cast) -> None:
    cast.client("bob")
    sessions = post(cast, "root", "/list-user-sessions", {"userId": cast.ids["bob"]}).json
    assert [s["userId"] for s in sessions["sessions"]] == [cast.ids["bob"]]
    token = sessions["sessions"][0]["token"]
    # Expired rows are still listed (upstream reads them raw).
    cast.auth.db.update_session(None, token, {"expiresAt": cast.auth.now() - timedelta(days=1)})
    assert len(post(cast, "root", "/list-user-sessions",
                    {"userId": cast.ids["bob"]}).json["sessions"]) == 1
    post(cast, "root", "/revoke-user-session", {"sessionToken": token})
    assert cast.client("bob").get("/api/auth/get-session").body == b"null"


def test_validation_runs_before_the_session_check(cast: Cast) -> None:
    res = cast.anonymous().post(A + "/set-role", json={"userId": "x"})
    assert res.status == 400 and res.json["code"] == "VALIDATION_ERROR"


def test_has_permission_in_process_without_headers(cast: Cast) -> None:
    """Server-side only: the body's role wins over userId; without either it is a 400."""
    check = cast.auth.api.user_has_permission
    ask = {"permissions": {"user": ["list"]}}
    assert check(body={**ask, "role": "support", "userId": cast.ids["alice"]})["success"]
    assert check(body={**ask, "userId": cast.ids["root"]})["success"]
    assert not check(body={**ask, "userId": cast.ids["alice"]})["success"]
    for body, message in (({}, "user id or role is required"),
                          ({"userId": "nope"}, "user not found")):
        with pytest.raises(APIError) as err:
            check(body={**ask, **body})
        assert err.value.status == 400 and err.value.body == {"message": message}


def test_set_user_password_too_long(cast: Cast) -> None:
    res = post(cast, "root", "/set-user-password",
               {"userId": cast.ids["bob"], "newPassword": "x" * 129})
    assert res.status == 400
    assert res.json == {"message": "Password too long", "code": "PASSWORD_TOO_LONG"}
    assert cast.anonymous().post("/api/auth/sign-in/email", json={
        "email": "bob@example.com", "password": PASSWORD}).status == 200


def test_update_user_invalid_email(cast: Cast) -> None:
    res = post(cast, "root", "/update-user",
               {"userId": cast.ids["bob"], "data": {"email": "not-an-email"}})
    assert res.status == 400
    assert res.json == {"message": "Invalid email", "code": "INVALID_EMAIL"}
    assert cast.auth.db.get_user_by_id(cast.ids["bob"]).email == "bob@example.com"


def test_create_user_invalid_email_message(cast: Cast) -> None:
    res = post(cast, "root", "/create-user",
               {"email": "not-an-email", "password": PASSWORD, "name": "N"})
    assert res.status == 400
    assert res.json == {"message": "Invalid email", "code": "INVALID_EMAIL"}
