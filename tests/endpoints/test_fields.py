"""additional_fields on user and session (docs/wire-compatibility.md#sign-up,
docs/wire-compatibility.md#schema): types, required, default,
input, returned, validator."""

import pytest

from authkit import FieldSpec

from ..support.clients import make_client

SU = "/api/auth/sign-up/email"
BASE = {"email": "f@example.com", "password": "pass-word-1", "name": "F"}


def even(value):
    if value % 2:
        raise ValueError("luckyNumber must be even")
    return value


USER_FIELDS = [
    FieldSpec(name="plan", type="string", default="free"),
    FieldSpec(name="age", type="number"),
    FieldSpec(name="newsletter", type="boolean", default=lambda: False),
    FieldSpec(name="birthday", type="date"),
    FieldSpec(name="tags", type="string[]"),
    FieldSpec(name="internalNote", type="string", returned=False, input=False,
              default="created-by-sign-up"),
    FieldSpec(name="luckyNumber", type="number", validator=even),
]
SESSION_FIELDS = [FieldSpec(name="device", type="string", default="web"),
                  FieldSpec(name="risk", type="number", returned=False, default=0)]


@pytest.fixture
def fclient(kind, make_auth):
    auth = make_auth(user={"additional_fields": USER_FIELDS},
                     session={"additional_fields": SESSION_FIELDS})
    return make_client(kind, auth), auth


def test_types_defaults_and_hidden_fields(fclient):
    client, auth = fclient
    res = client.post(SU, json={**BASE, "age": 41, "birthday": "1985-04-03T00:00:00.000Z",
                                "tags": ["a", "b"], "luckyNumber": 8})
    assert res.status == 200
    user = res.json["user"]
    assert user["plan"] == "free" and user["age"] == 41 and user["newsletter"] is False
    assert user["birthday"] == "1985-04-03T00:00:00.000Z" and user["tags"] == ["a", "b"]
    assert "internalNote" not in user
    stored = auth.storage.get_user_by_id(user["id"])
    assert stored.extra["internalNote"] == "created-by-sign-up"
    session = client.get("/api/auth/get-session").json
    assert "internalNote" not in session["user"]
    assert session["session"]["device"] == "web" and "risk" not in session["session"]


@pytest.mark.parametrize("extra,message", [
    ({"age": "41"}, "[body.age] Invalid input: expected number"),
    ({"newsletter": "yes"}, "[body.newsletter] Invalid input: expected boolean"),
    ({"tags": "a"}, "[body.tags] Invalid input: expected array"),
    ({"birthday": "not a date"}, "[body.birthday] Invalid input: expected date"),
    ({"luckyNumber": 7}, "luckyNumber must be even"),
])
def test_type_and_validator_errors(fclient, extra, message):
    client, auth = fclient
    res = client.post(SU, json={**BASE, **extra})
    assert res.status == 400
    assert res.json == {"message": message, "code": "VALIDATION_ERROR"}
    assert auth.storage.count_users() == 0


def test_input_false_with_default_is_silently_replaced(fclient):
    client, auth = fclient
    res = client.post(SU, json={**BASE, "internalNote": "attacker-set"})
    assert res.status == 200
    assert auth.storage.get_user_by_id(res.json["user"]["id"]).extra["internalNote"] == (
        "created-by-sign-up")


def test_api_results_hide_fields_too(fclient):
    _, auth = fclient
    result = auth.api.sign_up_email(body=BASE)
    assert "internalNote" not in result.to_json()["user"]
    assert result.user.internal_note == "created-by-sign-up"
