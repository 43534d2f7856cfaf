"""docs/security.md#account-enumeration: an anonymous caller learns nothing from the admin routes.
Every route of the
plugin's endpoint table (not a hand-kept list, so a new route is covered the day it lands)
answers a well-formed request with a bare 401, with or without a forged session cookie, and
changes nothing; ``get-user`` cannot tell an existing id from a missing one."""

from __future__ import annotations

from typing import Any

import pytest

from authkit.plugins.admin import admin, find_admin

from ...support.clients import Result
from .conftest import PASSWORD, Cast

BASE = "/api/auth"
ROUTE_NAMES = sorted(ep.name for ep in admin().endpoints())
FORGED = {"Cookie": "better-auth.session_token=forged-token.forged-signature"}


def samples(cast: Cast, bob_token: str) -> dict[str, Any]:
    """A valid value for every field an admin route takes; aimed at bob, so a route that
    forgot its session check would visibly change him."""
    return {"userId": cast.ids["bob"], "id": cast.ids["bob"], "role": "admin",
            "email": "intruder@example.com", "password": PASSWORD, "name": "Intruder",
            "data": {"name": "Pwned"}, "banReason": "x", "banExpiresIn": 60,
            "sessionToken": bob_token, "newPassword": "another-pass-9",
            "permissions": {"user": ["list"]}}


def request_for(cast: Cast, name: str, values: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(method, URL, client keyword arguments) of a well-formed request to route ``name``."""
    plugin = find_admin(cast.auth)
    assert plugin is not None
    (ep,) = [e for e in plugin.endpoints() if e.name == name]
    assert ep.path is not None
    model = ep.body or ep.query
    payload = {k: v for k, v in values.items() if model is not None and k in model.model_fields}
    required = {k for k, f in model.model_fields.items() if f.is_required()} if model else set()
    # A route with a field this test has no sample for must be taught here, not skipped.
    assert required <= set(payload), (name, required - set(payload))
    if ep.method == "GET":
        return ep.method, BASE + ep.path, {"query": {k: str(v) for k, v in payload.items()}}
    return ep.method, BASE + ep.path, {"json": payload}


def bare(res: Result) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
    """All a caller sees of an answer, but the Date header."""
    return res.status, res.body, tuple(sorted((k.lower(), v) for k, v in res.headers
                                              if k.lower() != "date"))


@pytest.mark.parametrize("name", ROUTE_NAMES)
@pytest.mark.parametrize("cookie", [None, FORGED], ids=["no-cookie", "forged-cookie"])
def test_every_admin_route_is_401_to_an_anonymous_caller(cast: Cast, name: str,
                                                         cookie: dict[str, str] | None
                                                         ) -> None:  # docs/security.md#account-enumeration
    bob = cast.client("bob")
    bob_token = bob.get(BASE + "/get-session").json["session"]["token"]
    method, url, kw = request_for(cast, name, samples(cast, bob_token))
    res = cast.anonymous().request(method, url, headers=cookie, **kw)
    assert res.status == 401, (name, res.body)
    assert res.body == b"" and res.header("content-type") is None, name
    # Nothing happened to bob, and nobody was created.
    user = cast.auth.db.get_user_by_id(cast.ids["bob"])
    assert user is not None and user.name == "Bob" and user.extra["role"] == "user"
    assert not user.extra.get("banned")
    assert bob.get(BASE + "/get-session").json["session"]["token"] == bob_token
    assert cast.auth.db.get_user_by_email("intruder@example.com") is None
    assert bob.post(BASE + "/sign-out").status == 200
    signed_in = cast.anonymous().post(BASE + "/sign-in/email", json={
        "email": "bob@example.com", "password": PASSWORD})
    assert signed_in.status == 200  # his password is unchanged
    # The request was well-formed: from an admin it is not refused as invalid input (so the
    # 401 above came from the session check, not from validation).
    res = cast.client("root").request(method, url, **kw)
    assert res.status != 422 and not (res.status == 400 and res.body and
                                      res.json.get("code") == "VALIDATION_ERROR"), (name, res.body)


@pytest.mark.parametrize("cookie", [None, FORGED], ids=["no-cookie", "forged-cookie"])
def test_get_user_cannot_probe_ids(cast: Cast, cookie: dict[str, str] | None) -> None:  # docs/security.md#account-enumeration
    url = BASE + "/admin/get-user"
    answers = [cast.anonymous().get(url, query={"id": user_id}, headers=cookie)
               for user_id in (cast.ids["bob"], "no-such-user-id", cast.ids["root"])]
    assert {bare(r) for r in answers} == {bare(answers[0])}
    assert answers[0].status == 401 and answers[0].body == b""
    # A signed-in admin does tell them apart: the test above is not vacuous.
    root = cast.client("root")
    assert root.get(url, query={"id": cast.ids["bob"]}).status == 200
    assert root.get(url, query={"id": "no-such-user-id"}).status == 404
