"""authkit.validation against what Better Auth 1.7.25 and zod 4 answered (tests/vectors)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from authkit.errors import APIError
from authkit.http import Request
from authkit.validation import (
    MISSING,
    Body,
    CoercedBool,
    CoercedStr,
    Email,
    Message,
    coerce_bool,
    is_valid_email,
    js_string,
    parse_form_body,
    parse_json_body,
    validate,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "validation_messages.json")
                     .read_text(encoding="utf-8"))


# -- example models: Better Auth 1.7.25's schemas, written the way endpoints write them ------

class SignUp(Body):
    schema_types: ClassVar[tuple[str, ...]] = ("object", "record")  # z.object().and(z.record())
    name: str
    email: Email
    password: Annotated[str, Field(min_length=1)]
    image: str | None = None
    callbackURL: str | None = None
    rememberMe: bool | None = None


class SignIn(Body):
    email: str
    password: str
    callbackURL: str | None = None
    rememberMe: bool | None = None


class UpdateUser(Body):
    schema_types: ClassVar[tuple[str, ...]] = ("record",)


class ProviderName(Body):
    firstName: str | None = None
    lastName: str | None = None


class ProviderUser(Body):
    name: ProviderName | None = None
    email: str | None = None


class IdToken(Body):
    token: str
    nonce: str | None = None
    accessToken: str | None = None
    refreshToken: str | None = None
    expiresAt: float | None = None
    user: ProviderUser | None = None


class SocialSignIn(Body):
    callbackURL: str | None = None
    provider: Literal["apple", "github", "google"]
    disableRedirect: bool | None = None
    idToken: IdToken | None = None
    scopes: list[str] | None = None
    additionalData: dict[str, Any] | None = None


class RequestPasswordReset(Body):
    email: Email
    redirectTo: str | None = None


def _permission_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in value.values())


class HasPermission(Body):
    """z.object({userId, role}).and(z.xor([{permission}, {permissions}])): zod words a failed
    xor itself, so the model raises the "zod" error type with that text."""

    userId: CoercedStr | None = None
    role: str | None = None
    permission: Any = None
    permissions: Any = None

    @model_validator(mode="after")
    def _exactly_one(self) -> HasPermission:
        matched = [_permission_map(self.permission), _permission_map(self.permissions)]
        if not any(matched):
            raise PydanticCustomError("zod", "Invalid input")
        if all(matched):
            raise PydanticCustomError("zod", "Invalid input: more than one option matched")
        return self


class SetUserPassword(Body):
    newPassword: Annotated[str, Field(min_length=1), Message("newPassword cannot be empty")]
    userId: Annotated[CoercedStr, Field(min_length=1), Message("userId cannot be empty")]


class UserIdBody(Body):
    userId: CoercedStr


class BanUser(Body):
    userId: CoercedStr
    banReason: str | None = None
    banExpiresIn: float | None = None


class SetRole(Body):
    userId: CoercedStr
    role: str | list[str]


class ListUsersQuery(Body):
    searchValue: str | None = None
    searchField: Literal["email", "name"] | None = None
    searchOperator: Literal["contains", "starts_with", "ends_with"] | None = None
    limit: str | float | None = None
    sortBy: str | None = None
    sortDirection: Literal["asc", "desc"] | None = None


class CallbackQuery(Body):
    callbackURL: str


class VerifyEmailQuery(Body):
    token: str
    callbackURL: str | None = None


class GetSessionQuery(Body):
    disableCookieCache: CoercedBool | None = None
    disableRefresh: CoercedBool | None = None


ROUTES: dict[str, type[Body]] = {
    "/api/auth/sign-up/email": SignUp,
    "/api/auth/sign-in/email": SignIn,
    "/api/auth/update-user": UpdateUser,
    "/api/auth/sign-in/social": SocialSignIn,
    "/api/auth/request-password-reset": RequestPasswordReset,
    "/api/auth/admin/has-permission": HasPermission,
    "/api/auth/admin/set-user-password": SetUserPassword,
    "/api/auth/admin/ban-user": BanUser,
    "/api/auth/admin/set-role": SetRole,
    "/api/auth/admin/list-users": ListUsersQuery,
    "/api/auth/reset-password/abc": CallbackQuery,
    "/api/auth/verify-email": VerifyEmailQuery,
    "/api/auth/get-session": GetSessionQuery,
}


def _run(case: dict[str, Any]) -> Body:
    """Parse and validate one recorded request as authkit's pipeline would."""
    req = case["request"]
    path, _, query = req["path"].partition("?")
    model = ROUTES[path]
    if req["method"] == "GET":
        return validate(model, Request("GET", path, query_string=query).query, "query")
    raw = (req["body"] or "").encode("utf-8")
    if req["content_type"] is None or not raw:
        data: Any = MISSING
    elif req["content_type"] == "application/json":
        data = parse_json_body(raw)
    else:
        data = parse_form_body(raw)
    return validate(model, data, "body")


@pytest.mark.parametrize("case", VECTORS["http"], ids=lambda c: c["name"])
def test_http_vectors(case: dict[str, Any]) -> None:
    answer = case["response"]
    code = answer.get("code") if isinstance(answer, dict) else None
    if code in ("VALIDATION_ERROR", "BAD_REQUEST"):
        with pytest.raises(APIError) as info:
            _run(case)
        assert (info.value.status, info.value.code, info.value.message) == (
            case["status"], code, answer["message"])
    else:  # Better Auth got past validation: so must we
        _run(case)


@pytest.mark.parametrize("case", [c for c in VECTORS["http"] if c["name"].startswith(
    ("signup_email_", "signin_bad_email", "request_reset"))], ids=lambda c: c["name"])
def test_is_valid_email_agrees_with_the_server(case: dict[str, Any]) -> None:
    email = json.loads(case["request"]["body"])["email"]
    accepted = case["status"] == 200
    assert is_valid_email(email) is accepted


# -- zod's own answers for shapes no route exercises -------------------------------------------

class Nested(Body):
    a: str


ZOD_MODELS: dict[str, dict[str, Any]] = {
    "enum_field": {"f": Literal["email", "name"]},
    "optional_enum": {"f": (Literal["a", "b"] | None, None)},
    "literal_true": {"f": Literal[True]},
    "literal_str": {"f": Literal["x"]},
    "max3": {"f": Annotated[str, Field(max_length=3)]},
    "min8": {"f": Annotated[str, Field(min_length=8)]},
    "num_min1": {"f": Annotated[float, Field(ge=1)]},
    "num_max1": {"f": Annotated[float, Field(le=1)]},
    "num_gt1": {"f": Annotated[float, Field(gt=1)]},
    "num_lt1": {"f": Annotated[float, Field(lt=1)]},
    "int_field": {"f": int},
    "num_field": {"f": float},
    "bool_field": {"f": bool},
    "arr_min1": {"f": Annotated[list[str], Field(min_length=1)]},
    "arr_max1": {"f": Annotated[list[str], Field(max_length=1)]},
    "arr_field": {"f": list[str]},
    "record_field": {"f": dict[str, Any]},
    "any_field": {"f": Any},
    "union_field": {"f": str | list[str]},
    "nested_obj": {"f": Nested},
    "array_of_obj": {"f": list[Nested]},
    "record_of_arrays": {"f": dict[str, list[str]]},
    "coerced_str": {"f": CoercedStr},
    "coerced_bool": {"f": CoercedBool},
    "pattern": {"f": Annotated[str, Field(pattern=r"^[a-z]+$")]},
}


def _zod_model(name: str) -> type[Body]:
    fields: dict[str, Any] = {k: v if isinstance(v, tuple) else (v, ...)
                              for k, v in ZOD_MODELS[name].items()}
    return create_model(name, __base__=Body, **fields)


@pytest.mark.parametrize("case", VECTORS["zod"]["messages"],
                         ids=lambda c: f"{c['schema']}-{json.dumps(c['input'])}")
def test_zod_messages(case: dict[str, Any]) -> None:
    model = _zod_model(case["schema"])
    if case["issues"] is None:
        validate(model, case["input"], "body")
        return
    expected = "; ".join(f"[{'.'.join(['body', *map(str, path)])}] {text}"
                         for path, text in case["issues"])
    with pytest.raises(APIError) as info:
        validate(model, case["input"], "body")
    assert info.value.message == expected


@pytest.mark.parametrize(("value", "expected"), VECTORS["zod"]["coerce_string"])
def test_js_string_matches_z_coerce_string(value: Any, expected: str) -> None:
    assert js_string(value) == expected
    assert validate(UserIdBody, {"userId": value}, "body").userId == expected


@pytest.mark.parametrize(("value", "expected"), VECTORS["zod"]["coerce_boolean"])
def test_coerce_bool_matches_z_coerce_boolean(value: Any, expected: bool) -> None:
    assert coerce_bool(value) is expected


@pytest.mark.parametrize(("email", "valid"), VECTORS["zod"]["emails"])
def test_is_valid_email_matches_z_email(email: str, valid: bool) -> None:
    assert is_valid_email(email) is valid


# -- behaviour beyond the vectors --------------------------------------------------------------

def _message(model: type[Body], data: Any, location: Literal["body", "query"] = "body") -> str:
    with pytest.raises(APIError) as info:
        validate(model, data, location)
    assert (info.value.status, info.value.code) == (400, "VALIDATION_ERROR")
    return info.value.message


def test_valid_body_keeps_unknown_keys_in_model_extra() -> None:
    body = validate(SignUp, {"name": "", "email": "a@b.co", "password": "p", "age": 3}, "body")
    assert (body.name, body.email, body.image, body.rememberMe) == ("", "a@b.co", None, None)
    assert body.model_extra == {"age": 3}


def test_unknown_keys_cannot_shadow_model_attributes() -> None:
    body = validate(SignIn, {"email": "e", "password": "p", "schema_types": 1,
                             "model_dump": 2}, "body")
    assert body.schema_types == ("object",)
    assert body.model_extra == {"schema_types": 1, "model_dump": 2}


@pytest.mark.parametrize(("data", "received"), [
    ({"rememberMe": "false"}, "expected boolean, received string"),
    ({"rememberMe": 1}, "expected boolean, received number"),
    ({"password": 12345678}, "expected string, received number"),
    ({"password": 1.0}, "expected string, received number"),
])
def test_strict_types_do_not_coerce(data: dict[str, Any], received: str) -> None:
    base = {"email": "a@b.co", "password": "p"}
    field = next(iter(data))
    assert _message(SignIn, {**base, **data}) == f"[body.{field}] Invalid input: {received}"


def test_json_null_is_refused_by_optional_fields_but_taken_by_any() -> None:
    assert _message(SignIn, {"email": "e", "password": "p", "callbackURL": None}) == (
        "[body.callbackURL] Invalid input: expected string, received null")
    assert validate(HasPermission, {"permission": {"user": []}, "permissions": None},
                    "body").permissions is None
    body = validate(SignIn, {"email": "e", "password": "p", "extra": None}, "body")
    assert body.model_extra == {"extra": None}


def test_optional_coerced_types_read_null_like_javascript() -> None:
    assert validate(HasPermission, {"userId": None, "permission": {}}, "body").userId == "null"
    query = validate(GetSessionQuery, {"disableRefresh": None}, "query")
    assert (query.disableRefresh, query.disableCookieCache) == (False, None)


def test_get_session_flags_are_javascript_truthiness() -> None:
    q = validate(GetSessionQuery, {"disableCookieCache": "false", "disableRefresh": ""}, "query")
    assert (q.disableCookieCache, q.disableRefresh) == (True, False)
    assert coerce_bool(MISSING) is False


def test_query_location_and_repeated_keys() -> None:
    query = Request("GET", "/x", query_string="searchValue=a&searchValue=b").query
    assert _message(ListUsersQuery, query, "query") == (
        "[query.searchValue] Invalid input: expected string, received array")


def test_message_marker_rewords_checks_not_types() -> None:
    assert _message(SetUserPassword, {"newPassword": 5, "userId": "u"}) == (
        "[body.newPassword] Invalid input: expected string, received number")
    assert _message(SetUserPassword, {"newPassword": "", "userId": []}) == (
        "[body.newPassword] newPassword cannot be empty; [body.userId] userId cannot be empty")


def test_union_failures_collapse_into_one_issue() -> None:
    assert _message(SetRole, {"userId": "u", "role": [1, None, {}]}) == "[body.role] Invalid input"
    assert validate(SetRole, {"userId": 7, "role": ["a"]}, "body").userId == "7"


def test_a_model_error_sits_on_the_whole_body() -> None:
    assert _message(HasPermission, {"permission": {"u": ["x"]}, "permissions": {"u": []}}) == (
        "[body] Invalid input: more than one option matched")


def test_aliased_fields_report_their_wire_name() -> None:
    class Aliased(Body):
        callback_url: Annotated[str, Field(alias="callbackURL")]
        remember: Annotated[bool, Field(alias="rememberMe")] = True

    assert _message(Aliased, {"callback_url": "/x", "rememberMe": "no"}) == (
        "[body.callbackURL] Invalid input: expected string, received undefined; "
        "[body.rememberMe] Invalid input: expected boolean, received string")
    assert validate(Aliased, {"callbackURL": "/x"}, "body").callback_url == "/x"


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**400],
                         ids=["inf", "nan", "huge-int"])
def test_non_finite_numbers_from_python_callers(value: Any) -> None:
    shown = "NaN" if isinstance(value, float) and math.isnan(value) else "Infinity"
    assert _message(BanUser, {"userId": "u", "banExpiresIn": value}) == (
        f"[body.banExpiresIn] Invalid input: expected number, received {shown}")


def test_integral_json_floats_are_integers_as_in_javascript() -> None:
    class Count(Body):
        n: int

    assert validate(Count, parse_json_body(b'{"n": 2.0}'), "body").n == 2
    assert _message(Count, parse_json_body(b'{"n": 2.5}')) == (
        "[body.n] Invalid input: expected int, received number")


# -- characters no database takes (docs/security.md#input-validation): authkit's own messages
# -----------------------------

NUL = "Invalid input: contains a NUL character"
SURROGATE = "Invalid input: contains an unpaired surrogate"


@pytest.mark.parametrize(("data", "expected"), [
    ({"name": "a\x00b"}, f"[body.name] {NUL}"),
    ({"name": "\ud800"}, f"[body.name] {SURROGATE}"),
    ({"name": "x", "extra": ["ok", {"deep": "\udfff!"}]}, f"[body.extra.1.deep] {SURROGATE}"),
    ({"name": "x", "ke\x00y": "v"}, f"[body.ke\\u0000y] {NUL}"),
    ({"name": "x", "\ud83d": "v"}, f"[body.\\ud83d] {SURROGATE}"),
])
def test_bad_characters_are_refused(data: dict[str, Any], expected: str) -> None:
    message = _message(SignUp, {"email": "a@b.co", "password": "p", **data})
    assert message == expected
    json.dumps({"message": message}, ensure_ascii=False).encode("utf-8")  # renders on the wire


def test_bad_characters_after_schema_issues_and_not_twice() -> None:
    # The email's own "Invalid email address" (what Better Auth says) covers its NUL.
    message = _message(SignUp, {"name": "\x00", "email": "a\x00@b.co", "password": ""})
    assert message == ("[body.email] Invalid email address; [body.password] Too small: "
                       f"expected string to have >=1 characters; [body.name] {NUL}")


def test_paired_surrogates_and_other_controls_pass() -> None:
    body = parse_json_body(b'{"email":"e","password":"\\ud83d\\ude00\\r\\n\\t"}')
    assert validate(SignIn, body, "body").password == "\U0001F600\r\n\t"


def test_bad_character_scan_survives_deep_nesting() -> None:
    raw = b'{"email":"e","password":"p","x":' + b"[" * 900 + b'"\\u0000"' + b"]" * 900 + b"}"
    message = _message(SignIn, parse_json_body(raw))
    assert message == f"[body.x.{'.'.join(['0'] * 900)}] {NUL}"


# -- body parsers (docs/security.md#input-validation)
# ----------------------------------------------------

@pytest.mark.parametrize("raw", [
    b'{"a":', b" ", b"{'a': 1}", b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
    b'{"a": 1e999}', b'{"a": -1e999}', b"[" * 100_000, b"9" * 5000, b'{"a": ' + b"1" * 4301 + b"}",
    b'{"a": "\xff"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\x01"}',
])
def test_parse_json_body_refuses(raw: bytes) -> None:
    with pytest.raises(APIError) as info:
        parse_json_body(raw)
    assert (info.value.status, info.value.code, info.value.message) == (
        400, "BAD_REQUEST", "Invalid JSON in request body")


def test_long_integers_are_refused_even_where_cpython_allows_them() -> None:
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # an application may lift CPython's guard; ours stays
    try:
        with pytest.raises(APIError):
            parse_json_body(b"1" * 4301)
    finally:
        sys.set_int_max_str_digits(limit)


def test_parse_json_body_accepts() -> None:
    assert parse_json_body(b"") is MISSING
    assert parse_json_body(b"\xef\xbb\xbf{\"a\":1}") == {"a": 1}  # TextDecoder drops the BOM
    assert parse_json_body(b'{"email":"a@x.com","email":"b@x.com"}') == {"email": "b@x.com"}
    assert parse_json_body(b"-" + b"9" * 4300) == -int("9" * 4300)
    assert parse_json_body(b"[1.5, 1e2, 1e-7, null]") == [1.5, 100, 1e-7, None]
    assert parse_json_body(b'"\\u0000"') == "\x00"  # legal JSON; refused by validate()


def test_parse_form_body() -> None:
    assert parse_form_body(b"email=x&email=a%40x.com&password=a+b%2Bc&flag&empty=") == {
        "email": "a@x.com", "password": "a b+c", "flag": "", "empty": ""}
    assert parse_form_body(b"email=a%40x.com;password=x") == {"email": "a@x.com;password=x"}
    assert parse_form_body("name=caf\u00e9".encode()) == {"name": "café"}
    assert parse_form_body(b"") == {}


@pytest.mark.parametrize("raw", [b"name=%FF", b"name=\xff", b"na%C3me=x"])
def test_parse_form_body_refuses_bytes_that_are_not_utf8(raw: bytes) -> None:
    with pytest.raises(APIError) as info:
        parse_form_body(raw)
    assert (info.value.status, info.value.code, info.value.message) == (
        400, "BAD_REQUEST", "Invalid form data in request body")


def test_missing_sentinel() -> None:
    assert repr(MISSING) == "MISSING"
    assert not MISSING
    assert _message(SignUp, MISSING) == (
        "[body] Invalid input: expected object, received undefined; "
        "[body] Invalid input: expected record, received undefined")
