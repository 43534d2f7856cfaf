"""symmetric_encrypt/decrypt against values the real Better Auth 1.7.25 produced and read."""

from __future__ import annotations

import pytest

from authkit import AuthKit
from authkit.crypto import (
    DecryptionError,
    SecretConfig,
    looks_encrypted,
    purpose_key,
    symmetric_decrypt,
    symmetric_encrypt,
)
from authkit.crypto.symmetric import parse_versioned

S = "better-auth-ref-fixed-test-secret-0123456789abcdef"
V2 = "new-secret-v2-0123456789abcdef0123456789"
NONCE = bytes(range(24))
# Written by Node's symmetricEncrypt with random nonces.
NODE_TOKEN = ("848c79981fd7241b022b489e7dbf0ff41d3dd03162616976a9dd26eb2ed0447304a4bb7a279e79940"
              "24d43229b67814c5ba488d665573653dfbad89a144b30d41f")
NODE_VERSIONED = ("$ba$2$dcb4d6ab6b5a4fcfc1da1ace28f0ca829bae9bc1362be2c8eed55a7cb07a3064843a54e8a"
                  "8c6468f943fb0df00a8543b263daa7a8a945859c1ef5d3f06b4c096f8")
NODE_STATE_COOKIE = (
    "2452edbddc3b2998c6e8399da16a67ae0e35ae5125e157ad01a9876c2d313ac58cee554ecbfc27c2838fc4a9"
    "416b1adc01c7aa790eb39218efddf599538a677edf3780bccf8062a37b77aec7d5d6c6c1bed841ab0bf7c21e"
    "e57326a7c4225e4a12a87395de486ceb458a9b61be19cebb00")


def test_fixed_nonce_matches_the_vector_node_decrypts() -> None:
    assert symmetric_encrypt(S, "from python", nonce=NONCE) == (
        "000102030405060708090a0b0c0d0e0f10111213141516176634d1456ce4cb856b72fe80f97cf6f6ed"
        "d9569402334d471e5022")
    assert symmetric_encrypt(S, "gho_exampleAccessToken123", nonce=NONCE) == (
        "000102030405060708090a0b0c0d0e0f1011121314151617672ed17729ecd39c7371f54ca5893e60f9"
        "c6260744546804ca395e88f44e6e9e8901f799d51ae20e44")


def test_reads_values_node_wrote() -> None:
    assert symmetric_decrypt(S, NODE_TOKEN) == "gho_exampleAccessToken123"
    versioned = SecretConfig(versions=((2, V2), (1, S)), legacy=(S,))
    assert symmetric_decrypt(versioned, NODE_VERSIONED) == "gho_exampleAccessToken123"
    # A bare value written before versions were turned on still reads through the legacy secret.
    assert symmetric_decrypt(versioned, NODE_TOKEN) == "gho_exampleAccessToken123"


def test_purpose_keys_match_better_auth() -> None:
    state = purpose_key(S, "oauth-state-cookie")
    assert state.legacy == ("cf9b5972ca6071f74983c08169d8ae681cdf711befa515cd7920a6fc6770884a",)
    assert purpose_key(S, "oauth-link-session-token").legacy == (
        "cbdcfa14bad9271e058b4c3f4ce275c09c8537e62d02e40402042f1b7133e17f",)
    assert symmetric_decrypt(state, NODE_STATE_COOKIE) == (
        '{"callbackURL":"/dash","codeVerifier":"v","expiresAt":1,"oauthState":"s"}')


def test_round_trip_and_envelope() -> None:
    config = SecretConfig(versions=((3, "c" * 32), (2, V2)))
    sealed = symmetric_encrypt(config, "héllo")
    assert sealed.startswith("$ba$3$") and len(sealed) == len("$ba$3$") + 2 * (40 + 6)
    assert symmetric_decrypt(config, sealed) == "héllo"
    assert symmetric_encrypt(S, "x") != symmetric_encrypt(S, "x")  # random nonces


@pytest.mark.parametrize("value", [
    "$ba$9$00",                       # unknown version
    NODE_TOKEN[:-2] + "00",           # tampered tag
    "zz",                             # not hex
    "00" * 10,                        # too short
])
def test_refusals(value: str) -> None:
    with pytest.raises(DecryptionError):
        symmetric_decrypt(SecretConfig(versions=((2, V2),), legacy=(S,)), value)
    with pytest.raises(DecryptionError):
        symmetric_decrypt("another-secret-entirely-0123456789", NODE_TOKEN)


def test_versioned_without_legacy_refuses_bare_values() -> None:
    with pytest.raises(DecryptionError, match="unversioned"):
        symmetric_decrypt(SecretConfig(versions=((2, V2),)), NODE_TOKEN)


def test_looks_encrypted_as_better_auth_tests_it() -> None:
    assert looks_encrypted(NODE_TOKEN) and looks_encrypted(NODE_VERSIONED)
    assert not looks_encrypted("gho_plain") and not looks_encrypted("abc")


def test_parse_versioned_and_repr_hides_secrets() -> None:
    assert parse_versioned("2:new, 1:old") == ((2, "new"), (1, "old"))
    assert parse_versioned([(2, "a")]) == ((2, "a"),)
    with pytest.raises(ValueError):
        parse_versioned("new-without-version")
    assert V2 not in repr(SecretConfig(versions=((2, V2),), legacy=(S,)))


def test_authkit_secret_config(tmp_path: object) -> None:
    plain = AuthKit(secret=S, database="sqlite://")
    assert symmetric_decrypt(plain.secret_config, NODE_TOKEN) == "gho_exampleAccessToken123"
    assert not symmetric_encrypt(plain.secret_config, "x").startswith("$ba$")
    both = AuthKit(secret=S, secrets="2:" + V2, database="sqlite://")
    assert symmetric_encrypt(both.secret_config, "x").startswith("$ba$2$")
    assert symmetric_decrypt(both.secret_config, NODE_TOKEN) == "gho_exampleAccessToken123"
    assert symmetric_decrypt(both.secret_config, NODE_VERSIONED) == "gho_exampleAccessToken123"
    # The current version signs cookies, as in Better Auth.
    assert both.secrets.current.reveal() == V2
    only = AuthKit(secrets=[(2, V2)], database="sqlite://")
    assert only.secrets.current.reveal() == V2
