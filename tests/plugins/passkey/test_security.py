"""Passkey ceremonies the server must refuse: wrong origin, RP ID, challenge, counter,
signature or flags, replays, expired challenges, and malformed registrations (a 400 with a
code, never a 500), with nothing written for a refused registration."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authkit import AuthKit
from authkit.plugins.passkey import passkey
from tests.support.clients import HTTPClient, make_client
from tests.support.fixtures import Clock, MakeAuth, sign_up

from .soft_authenticator import SoftAuthenticator

ORIGIN = "http://localhost:3000"
API = "/api/auth"


@pytest.fixture
def auth(make_auth: MakeAuth) -> AuthKit:
    return make_auth(plugins=[passkey(rp_name="Test")])


@pytest.fixture
def alice(auth: AuthKit) -> HTTPClient:
    client = make_client("wsgi", auth)
    sign_up(client)
    return client


def register(client: HTTPClient, device: SoftAuthenticator, **bend: Any) -> Any:
    options = client.get(f"{API}/passkey/generate-register-options").json
    return client.post(f"{API}/passkey/verify-registration",
                       json={"response": device.register(options, **bend), "name": "k"})


def sign_in(client: HTTPClient, device: SoftAuthenticator, **bend: Any) -> Any:
    options = client.get(f"{API}/passkey/generate-authenticate-options").json
    return client.post(f"{API}/passkey/verify-authentication",
                       json={"response": device.assert_(options, **bend)})


@pytest.fixture
def device(alice: HTTPClient) -> SoftAuthenticator:
    dev = SoftAuthenticator(ORIGIN)
    res = register(alice, dev)
    assert res.status == 200, res.body
    return dev


def counter(auth: AuthKit) -> int:
    row = auth.storage.find_row("passkey", {})
    assert row is not None
    return int(row["counter"])


def test_a_good_assertion_signs_in_and_moves_the_counter(auth: AuthKit,
                                                         device: SoftAuthenticator) -> None:
    res = sign_in(make_client("wsgi", auth), device)
    assert res.status == 200, res.body
    assert res.json["user"]["email"] == "alice@example.com"
    assert counter(auth) == 1


@pytest.mark.parametrize(("bend", "status"), [
    ({"origin": "https://evil.example"}, 400),
    ({"origin": "http://localhost:3001"}, 400),
    ({"rp_id": "evil.example"}, 400),
    ({"challenge": "A" * 43}, 400),
    ({"up": False}, 400),
    ({"key": ec.generate_private_key(ec.SECP256R1())}, 401),
])
def test_bent_assertions_are_refused(auth: AuthKit, device: SoftAuthenticator,
                                     bend: dict[str, Any], status: int) -> None:
    res = sign_in(make_client("wsgi", auth), device, **bend)
    assert (res.status, res.json["code"]) == (status, "AUTHENTICATION_FAILED")
    assert counter(auth) == 0
    assert auth.storage.count_rows("session") == 1  # alice's sign-up session only


def test_a_counter_that_does_not_increase_is_a_cloned_authenticator(
        auth: AuthKit, device: SoftAuthenticator) -> None:
    assert sign_in(make_client("wsgi", auth), device, counter=5).status == 200
    for stale in (5, 4):
        res = sign_in(make_client("wsgi", auth), device, counter=stale)
        assert (res.status, res.json["code"]) == (400, "AUTHENTICATION_FAILED")
    assert counter(auth) == 5


def test_challenges_are_single_use_ceremony_bound_and_expire(
        auth: AuthKit, device: SoftAuthenticator, alice: HTTPClient, clock: Clock) -> None:
    browser = make_client("wsgi", auth)
    options = browser.get(f"{API}/passkey/generate-authenticate-options").json
    answer = device.assert_(options)
    assert browser.post(f"{API}/passkey/verify-authentication",
                        json={"response": answer}).status == 200
    replay = browser.post(f"{API}/passkey/verify-authentication", json={"response": answer})
    assert (replay.status, replay.json["code"]) == (400, "CHALLENGE_NOT_FOUND")
    # A registration challenge cannot be spent on a sign-in.
    alice.get(f"{API}/passkey/generate-register-options")
    res = alice.post(f"{API}/passkey/verify-authentication",
                     json={"response": device.assert_(options)})
    assert (res.status, res.json["code"]) == (400, "CHALLENGE_NOT_FOUND")
    # Five minutes, then the challenge is gone.
    late = make_client("wsgi", auth)
    options = late.get(f"{API}/passkey/generate-authenticate-options").json
    clock.advance(301)
    res = late.post(f"{API}/passkey/verify-authentication",
                    json={"response": device.assert_(options)})
    assert (res.status, res.json["code"]) == (400, "CHALLENGE_NOT_FOUND")


def test_unknown_or_oversized_credential_ids(auth: AuthKit, device: SoftAuthenticator) -> None:
    for cred_id in ("bm9wZQ", "x" * 5000):
        browser = make_client("wsgi", auth)
        options = browser.get(f"{API}/passkey/generate-authenticate-options").json
        answer = device.assert_(options)
        answer["id"] = answer["rawId"] = cred_id
        res = browser.post(f"{API}/passkey/verify-authentication", json={"response": answer})
        assert (res.status, res.json["code"]) == (401, "PASSKEY_NOT_FOUND")


@pytest.mark.parametrize("bend", [
    {"origin": "https://evil.example"},
    {"rp_id": "evil.example"},
    {"challenge": "A" * 43},
    {"att_stmt": {"alg": -7}},  # fmt "none" must carry an empty statement
])
def test_refused_registrations_are_400_and_write_nothing(auth: AuthKit, alice: HTTPClient,
                                                         bend: dict[str, Any]) -> None:
    res = register(alice, SoftAuthenticator(ORIGIN), **bend)
    assert (res.status, res.json["code"]) == (400, "FAILED_TO_VERIFY_REGISTRATION")
    assert auth.storage.count_rows("passkey") == 0


@pytest.mark.parametrize("response", [None, "garbage", {}, {"id": "x", "response": {}},
                                      {"id": "x", "rawId": "x", "type": "public-key",
                                       "response": {"clientDataJSON": "%%%",
                                                    "attestationObject": "AAAA"}}])
def test_malformed_registrations_are_400(auth: AuthKit, alice: HTTPClient,
                                         response: Any) -> None:
    alice.get(f"{API}/passkey/generate-register-options")
    res = alice.post(f"{API}/passkey/verify-registration", json={"response": response})
    assert (res.status, res.json["code"]) == (400, "FAILED_TO_VERIFY_REGISTRATION")
    assert auth.storage.count_rows("passkey") == 0


def test_backed_up_without_backup_eligible_is_refused(auth: AuthKit, alice: HTTPClient) -> None:
    res = register(alice, SoftAuthenticator(ORIGIN, backed_up=True))
    assert (res.status, res.json["code"]) == (400, "FAILED_TO_VERIFY_REGISTRATION")


def test_a_passkey_signs_in_only_its_owner(auth: AuthKit, device: SoftAuthenticator) -> None:
    bob = make_client("wsgi", auth)
    sign_up(bob, email="bob@example.com")
    # Whoever holds the authenticator is signed in as its owner, in any browser...
    stranger = make_client("wsgi", auth)
    stranger.jar.update(bob.jar)
    res = sign_in(stranger, device)
    assert res.json["user"]["email"] == "alice@example.com"
    # ...and bob cannot touch alice's passkey.
    pk = auth.storage.find_row("passkey", {})
    assert pk is not None
    assert bob.post(f"{API}/passkey/delete-passkey", json={"id": pk["id"]}).status == 401
    assert auth.storage.count_rows("passkey") == 1


def test_registration_needs_a_fresh_session_from_the_store(auth: AuthKit, alice: HTTPClient,
                                                           clock: Clock) -> None:
    clock.advance(auth.options.session.fresh_age + 1)
    res = alice.get(f"{API}/passkey/generate-register-options")
    assert (res.status, res.json["code"]) == (403, "SESSION_NOT_FRESH")


def test_register_sign_in_rename_delete_on_every_database(make_auth: MakeAuth,
                                                          db_url: str) -> None:
    auth = make_auth(database=db_url, plugins=[passkey()])
    owner = make_client("wsgi", auth)
    sign_up(owner)
    dev = SoftAuthenticator(ORIGIN, fmt="packed", backup_eligible=True, backed_up=True)
    created = register(owner, dev).json
    assert (created["deviceType"], created["backedUp"], created["counter"]) == (
        "multiDevice", True, 0)
    for expected in (1, 2):
        assert sign_in(make_client("wsgi", auth), dev).status == 200
        assert counter(auth) == expected
    assert sign_in(make_client("wsgi", auth), dev, counter=2).status == 400
    renamed = owner.post(f"{API}/passkey/update-passkey", json={"id": created["id"],
                                                                "name": "  phone  "})
    assert renamed.json["passkey"]["name"] == "phone"
    assert owner.post(f"{API}/passkey/update-passkey",
                      json={"id": created["id"], "name": "   "}).json["code"] == "VALIDATION_ERROR"
    assert [p["id"] for p in owner.get(f"{API}/passkey/list-user-passkeys").json] == \
        [created["id"]]
    assert owner.post(f"{API}/passkey/delete-passkey", json={"id": created["id"]}).json == \
        {"status": True}
    assert sign_in(make_client("wsgi", auth), dev).json["code"] == "PASSKEY_NOT_FOUND"


def test_a_credential_id_cannot_be_registered_twice(auth: AuthKit, alice: HTTPClient,
                                                    device: SoftAuthenticator) -> None:
    """Mallory claims alice's credential id for a key of her own (attestation "none" proves
    nothing about ids): refused, and alice's passkey keeps working."""
    mallory = make_client("wsgi", auth)
    sign_up(mallory, email="mallory@example.com")
    alice_id = next(iter(device.creds))
    options = mallory.get(f"{API}/passkey/generate-register-options").json
    forged = SoftAuthenticator(ORIGIN).register(options, cred_id=alice_id)
    res = mallory.post(f"{API}/passkey/verify-registration", json={"response": forged})
    assert (res.status, res.json["code"]) == (400, "FAILED_TO_VERIFY_REGISTRATION")
    assert auth.storage.count_rows("passkey", {"credentialID": alice_id}) == 1
    assert sign_in(make_client("wsgi", auth), device).status == 200


def test_over_long_names_are_400_not_a_database_error(auth: AuthKit, alice: HTTPClient) -> None:
    options = alice.get(f"{API}/passkey/generate-register-options").json
    res = alice.post(f"{API}/passkey/verify-registration", json={
        "response": SoftAuthenticator(ORIGIN).register(options), "name": "n" * 70000})
    assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR")
    res = alice.post(f"{API}/passkey/update-passkey", json={"id": "x", "name": "n" * 257})
    assert (res.status, res.json["code"]) == (400, "VALIDATION_ERROR")
    assert auth.storage.count_rows("passkey") == 0
