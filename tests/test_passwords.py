"""Tests for authkit.passwords: formats, Better Auth vectors,
docs/security.md#credentials cases."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from authkit.errors import ConfigError
from authkit.passwords import (
    Argon2Hasher,
    BcryptHasher,
    PasswordHasher,
    ScryptHasher,
    make_hasher,
    password_length,
    verify_any,
)

SCRYPT_FORMAT = re.compile(r"^[0-9a-f]{32}:[0-9a-f]{128}$")
VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "scrypt_better_auth.json").read_text("utf-8")
)
# From passlib's bcrypt_sha256 documentation: the v2 format and its HMAC pre-hash.
PASSLIB_BCRYPT_SHA256 = (
    "password",
    "$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
)

try:
    import argon2  # noqa: F401

    HAVE_ARGON2 = True
except ImportError:
    HAVE_ARGON2 = False
needs_argon2 = pytest.mark.skipif(not HAVE_ARGON2, reason="argon2-cffi is not installed")


def fast_argon2() -> PasswordHasher:
    return Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module")
def scrypt() -> ScryptHasher:
    return ScryptHasher()


@pytest.fixture(scope="module")
def bcrypt4() -> BcryptHasher:
    return BcryptHasher(rounds=4)


# --- scrypt: Better Auth's format and its vectors (docs/security.md#credentials)
# -------------------------------


def test_scrypt_format_and_fresh_salts(scrypt: ScryptHasher) -> None:
    first, second = scrypt.hash("same-password"), scrypt.hash("same-password")
    assert SCRYPT_FORMAT.match(first) and SCRYPT_FORMAT.match(second)
    assert first.split(":")[0] != second.split(":")[0]
    assert scrypt.verify("same-password", first) and scrypt.verify("same-password", second)


def test_scrypt_salt_is_the_hex_text(scrypt: ScryptHasher) -> None:
    salt_hex, key_hex = scrypt.hash("pw-12345678").split(":")
    expected = hashlib.scrypt(
        b"pw-12345678", salt=salt_hex.encode(), n=16384, r=16, p=1, dklen=64, maxmem=64 << 20
    )
    assert key_hex == expected.hex()


def test_vector_file_has_both_origins() -> None:
    origins = [v["made_by"] for v in VECTORS]
    assert sum(o.startswith("better-auth@1.7.25") for o in origins) >= 2
    assert sum(o.startswith("authkit") for o in origins) >= 1
    assert all(SCRYPT_FORMAT.match(v["hash"]) for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['made_by'][:7]}:{v['label']}")
def test_vectors_verify(scrypt: ScryptHasher, vector: dict[str, Any]) -> None:
    for password in [vector["password"], *vector.get("also_matches", [])]:
        assert scrypt.verify(password, vector["hash"])
    assert verify_any(vector["password"], vector["hash"], BcryptHasher(rounds=4))
    assert not scrypt.verify(vector["password"] + "!", vector["hash"])


def test_custom_scrypt_params_round_trip() -> None:
    light = ScryptHasher(n=1024, r=8, p=1)
    stored = light.hash("light-password")
    assert SCRYPT_FORMAT.match(stored)
    assert light.verify("light-password", stored)
    assert verify_any("light-password", stored, light)
    # The format records no parameters: default-parameter scrypt derives another key.
    assert not ScryptHasher().verify("light-password", stored)


@pytest.mark.parametrize(
    "params", [{"n": 1000}, {"n": 1}, {"r": 0}, {"p": 0}], ids=lambda p: str(p)
)
def test_scrypt_rejects_bad_params(params: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        ScryptHasher(**params)


def test_authkit_hash_verifies_in_better_auth(scrypt: ScryptHasher) -> None:
    from .support.live_servers import REPO, npm_ci, require_node

    require_node()
    # The conformance project pins better-auth 1.7.25; its crypto module is what Node uses.
    folder = REPO / "tests" / "conformance"
    npm_ci(folder)
    cases = [("café-secret", "cafe\u0301-secret"), ("\ufb01le-secret1", "file-secret1")]
    items = [{"password": alt, "hash": scrypt.hash(pw)} for pw, alt in cases]
    script = (
        "import {verifyPassword} from 'better-auth/crypto';"
        "const items = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(await Promise.all(items.map(i => verifyPassword(i)))));"
    )
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(items)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == [True, True]


# --- NFKC for every algorithm (docs/security.md#credentials)
# -------------------------------------------------

NFKC_CASES = [
    ("caf\u00e9-secret", "cafe\u0301-secret"),
    ("\ufb01le-secret1", "file-secret1"),
    ("\U0001d400\U0001d401\U0001d402-bold", "ABC-bold"),
]


def all_hashers() -> list[Any]:
    hashers: list[Any] = [
        pytest.param(ScryptHasher, id="scrypt"),
        pytest.param(lambda: BcryptHasher(rounds=4), id="bcrypt"),
    ]
    hashers.append(pytest.param(fast_argon2, id="argon2id", marks=needs_argon2))
    return hashers


@pytest.mark.parametrize("factory", all_hashers())
@pytest.mark.parametrize(("signed_up", "signed_in"), NFKC_CASES)
def test_nfkc_equivalent_forms_match(factory: Any, signed_up: str, signed_in: str) -> None:
    hasher: PasswordHasher = factory()
    stored = hasher.hash(signed_up)
    assert hasher.verify(signed_in, stored)
    assert hasher.verify(signed_up, stored)
    assert not hasher.verify(signed_in + "x", stored)


@pytest.mark.parametrize("factory", all_hashers())
def test_odd_unicode_never_raises(factory: Any) -> None:
    hasher: PasswordHasher = factory()
    stored = hasher.hash("\ud800lone")  # a lone surrogate can arrive through JSON
    assert hasher.verify("\ud800lone", stored)
    assert hasher.verify("\ufffdlone", stored)  # as Node's UTF-8 encoder replaces it
    assert not hasher.verify("\udc00lone-x", stored)
    # A surrogate pair held as two code points is one character to JS and to NFKC.
    bold = hasher.hash("\U0001d400-bold-secret")
    assert hasher.verify("\ud835\udc00-bold-secret", bold)
    assert hasher.verify("A-bold-secret", bold)


# --- lengths in UTF-16 code units (docs/security.md#credentials)
# -------------------------------------------


@pytest.mark.parametrize(
    ("password", "units"),
    [
        ("😀" * 64, 128),
        ("😀" * 65, 130),
        ("password", 8),
        ("caf\u00e9", 4),
        ("cafe\u0301", 5),
        ("\ud800", 1),
        ("", 0),
    ],
)
def test_password_length_counts_utf16_units(password: str, units: int) -> None:
    assert password_length(password) == units


# --- bcrypt without truncation (docs/security.md#credentials)
# ----------------------------------------------


def test_bcrypt_hash_is_passlib_bcrypt_sha256_v2(bcrypt4: BcryptHasher) -> None:
    stored = bcrypt4.hash("pw")
    assert re.fullmatch(
        r"\$bcrypt-sha256\$v=2,t=2b,r=04\$[./A-Za-z0-9]{21}[.Oeu]\$[./A-Za-z0-9]{31}", stored
    )
    assert bcrypt4.hash("pw") != stored


def test_bcrypt_verifies_passlib_vector(bcrypt4: BcryptHasher) -> None:
    password, stored = PASSLIB_BCRYPT_SHA256
    assert bcrypt4.verify(password, stored)
    assert not bcrypt4.verify(password + "x", stored)
    assert verify_any(password, stored, ScryptHasher())


@pytest.mark.parametrize(
    ("signed_up", "signed_in"),
    [
        ("a" * 72 + "X", "a" * 72 + "Y"),
        ("\u00e9" * 40, "\u00e9" * 39 + "e"),  # 80 bytes, differing after byte 72
        ("a" * 200 + "1", "a" * 200 + "2"),
    ],
)
def test_bcrypt_bytes_past_72_count(bcrypt4: BcryptHasher, signed_up: str, signed_in: str) -> None:
    stored = bcrypt4.hash(signed_up)
    assert bcrypt4.verify(signed_up, stored)
    assert not bcrypt4.verify(signed_in, stored)


def test_bcrypt_nul_bytes_are_significant(bcrypt4: BcryptHasher) -> None:
    stored = bcrypt4.hash("ab\x00cd-secret")
    assert bcrypt4.verify("ab\x00cd-secret", stored)
    assert not bcrypt4.verify("ab", stored)
    assert not bcrypt4.verify("ab\x00xx-secret", stored)


@pytest.mark.parametrize("prefix", [b"$2a$", b"$2b$", b"$2y$"])
def test_plain_bcrypt_from_other_systems(bcrypt4: BcryptHasher, prefix: bytes) -> None:
    stored = bcrypt.hashpw(b"a" * 72, bcrypt.gensalt(4)).replace(b"$2b$", prefix, 1).decode()
    assert bcrypt4.verify("a" * 72, stored)
    assert verify_any("a" * 72, stored, ScryptHasher())
    # What bcrypt would have truncated to the same key: a non-match, not a ValueError.
    assert not bcrypt4.verify("a" * 72 + "X", stored)
    assert not verify_any("a" * 72 + "X", stored, ScryptHasher())


def test_plain_bcrypt_refuses_long_passwords_with_a_truncating_bcrypt(
    bcrypt4: BcryptHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bcrypt < 5 (the pyproject allows 4.x) silently truncated instead of raising.
    real_checkpw = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: real_checkpw(pw[:72], h))
    stored = bcrypt.hashpw(b"a" * 72, bcrypt.gensalt(4)).decode()
    assert bcrypt4.verify("a" * 72, stored)
    assert not bcrypt4.verify("a" * 72 + "X", stored)
    assert not bcrypt4.verify(
        "\u00e9" * 36 + "tail", bcrypt.hashpw(("\u00e9" * 36).encode(), bcrypt.gensalt(4)).decode()
    )


def test_plain_bcrypt_never_matches_through_a_nul(bcrypt4: BcryptHasher) -> None:
    stored = bcrypt.hashpw(b"a" * 71, bcrypt.gensalt(4)).decode()
    assert bcrypt4.verify("a" * 71, stored)
    # The implicit terminator would make "a"*71 + NUL the same 72-byte key.
    assert not bcrypt4.verify("a" * 71 + "\x00", stored)
    assert not bcrypt4.verify("a" * 71 + "\x00tail", stored)


@pytest.mark.parametrize("rounds", [3, 32])
def test_bcrypt_rejects_bad_rounds(rounds: int) -> None:
    with pytest.raises(ConfigError):
        BcryptHasher(rounds=rounds)


# --- argon2id ------------------------------------------------------------------------


@needs_argon2
def test_argon2_round_trip() -> None:
    hasher = fast_argon2()
    stored = hasher.hash("argon-secret")
    assert stored.startswith("$argon2id$")
    assert hasher.verify("argon-secret", stored)
    assert not hasher.verify("argon-secret!", stored)
    assert verify_any("argon-secret", stored, ScryptHasher())


def test_argon2_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "argon2", None)  # makes `import argon2` fail
    with pytest.raises(ImportError, match=r"pip install 'authkit-server\[argon2\]'"):
        Argon2Hasher()
    with pytest.raises(ImportError, match="authkit"):
        make_hasher("argon2id")


def test_verify_any_without_argon2_is_false(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$" + "A" * 43
    monkeypatch.setitem(sys.modules, "argon2", None)
    assert verify_any("pw", stored, ScryptHasher()) is False


# --- malformed hashes verify as False ------------------------------------------------

GOOD_KEY = "0" * 128
MALFORMED = [
    "",
    "not-a-hash",
    ":",
    "0" * 32 + ":",
    ":" + GOOD_KEY,
    "0" * 32 + ":" + "0" * 127,
    "0" * 32 + ":" + GOOD_KEY + ":00",
    "A" * 32 + ":" + GOOD_KEY,  # upper-case hex is never written by Better Auth
    "0" * 31 + "g:" + GOOD_KEY,
    " " + "0" * 32 + ":" + GOOD_KEY,
    "0" * 32 + ":" + GOOD_KEY + "\n",
    "$2b$04$short",
    "$2b$99$" + "a" * 53,
    "$2b$03$" + "a" * 53,
    "$2x$04$" + "a" * 53,
    "$2b$4$" + "a" * 54,
    "$bcrypt-sha256$v=2,t=2b,r=12$bad$bad",
    "$bcrypt-sha256$v=2,t=2b,r=99$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
    "$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9ukv$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
    "$bcrypt-sha256$v=1,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
    "$argon2id$garbage",
    "$argon2id$v=19$m=8,t=1,p=1$!!!$!!!",
    "\ud800",
]


@pytest.mark.parametrize("factory", all_hashers())
@pytest.mark.parametrize("stored", MALFORMED)
def test_malformed_hash_is_false(factory: Any, stored: str) -> None:
    hasher: PasswordHasher = factory()
    assert hasher.verify("password", stored) is False
    assert verify_any("password", stored, hasher) is False
    assert hasher.needs_rehash(stored) is True


@pytest.mark.parametrize("stored", [None, b"0" * 32, 12345])
def test_non_string_hash_is_false(scrypt: ScryptHasher, stored: Any) -> None:
    assert scrypt.verify("password", stored) is False
    assert BcryptHasher(rounds=4).verify("password", stored) is False
    assert verify_any("password", stored, scrypt) is False


# --- needs_rehash ----------------------------------------------------------------------


def test_needs_rehash_matrix() -> None:
    bcrypt_salt = bcrypt.gensalt(4)
    stored = {
        "scrypt": ScryptHasher(n=1024, r=8).hash("pw"),
        "bcrypt-sha256-r4": BcryptHasher(rounds=4).hash("pw"),
        "bcrypt-sha256-r5": BcryptHasher(rounds=5).hash("pw"),
        "plain-2b-r4": bcrypt.hashpw(b"pw", bcrypt_salt).decode(),
    }
    hashers: dict[str, PasswordHasher] = {
        "scrypt": ScryptHasher(),
        "scrypt-other-params": ScryptHasher(n=2048),
        "bcrypt-r4": BcryptHasher(rounds=4),
        "bcrypt-r5": BcryptHasher(rounds=5),
    }
    expected = {
        # scrypt's stored form has no parameters, so only another algorithm asks for a rehash.
        "scrypt": {"scrypt": False, "bcrypt-sha256-r4": True, "bcrypt-sha256-r5": True,
                   "plain-2b-r4": True},
        "scrypt-other-params": {"scrypt": False, "bcrypt-sha256-r4": True,
                                "bcrypt-sha256-r5": True, "plain-2b-r4": True},
        # Plain bcrypt truncates at 72 bytes: always moved to the pre-hashed format.
        "bcrypt-r4": {"scrypt": True, "bcrypt-sha256-r4": False, "bcrypt-sha256-r5": True,
                      "plain-2b-r4": True},
        "bcrypt-r5": {"scrypt": True, "bcrypt-sha256-r4": True, "bcrypt-sha256-r5": False,
                      "plain-2b-r4": True},
    }  # fmt: skip
    if HAVE_ARGON2:
        stored["argon2id-light"] = fast_argon2().hash("pw")
        hashers["argon2id-light"] = fast_argon2()
        hashers["argon2id-heavier"] = Argon2Hasher(time_cost=2, memory_cost=8, parallelism=1)
        for row in expected.values():
            row["argon2id-light"] = True
        expected["argon2id-light"] = {k: k != "argon2id-light" for k in stored}
        expected["argon2id-heavier"] = {k: True for k in stored}
    actual = {h: {s: hashers[h].needs_rehash(v) for s, v in stored.items()} for h in hashers}
    assert actual == expected


# --- dummy work matches the configured algorithm (docs/security.md#credentials)
# ---------------------


class CallCounter:
    """Wraps a function, recording the keyword arguments / salts it was called with."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[Any] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        return self.real(*args, **kwargs)


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> tuple[CallCounter, CallCounter]:
    scrypt_spy = CallCounter(hashlib.scrypt)
    bcrypt_spy = CallCounter(bcrypt.hashpw)
    monkeypatch.setattr(hashlib, "scrypt", scrypt_spy)
    monkeypatch.setattr(bcrypt, "hashpw", bcrypt_spy)
    return scrypt_spy, bcrypt_spy


def test_scrypt_dummy_verify_runs_scrypt(spies: tuple[CallCounter, CallCounter]) -> None:
    scrypt_spy, bcrypt_spy = spies
    hasher = ScryptHasher(n=1024, r=8)
    hasher.dummy_verify("whatever")  # first call also makes the dummy hash
    assert len(scrypt_spy.calls) == 2
    hasher.dummy_verify("whatever")  # then exactly the work of one verify
    assert len(scrypt_spy.calls) == 3
    assert all(kw["n"] == 1024 and kw["r"] == 8 for _, kw in scrypt_spy.calls)
    assert bcrypt_spy.calls == []


def test_bcrypt_dummy_verify_runs_bcrypt_at_its_cost(
    spies: tuple[CallCounter, CallCounter],
) -> None:
    scrypt_spy, bcrypt_spy = spies
    hasher = BcryptHasher(rounds=5)
    hasher.dummy_verify("whatever")
    hasher.dummy_verify("whatever")
    assert len(bcrypt_spy.calls) == 3
    assert all(args[1].startswith(b"$2b$05$") for args, _ in bcrypt_spy.calls)
    assert scrypt_spy.calls == []


def test_dummy_verify_matches_a_real_failed_verify(
    spies: tuple[CallCounter, CallCounter],
) -> None:
    scrypt_spy, _ = spies
    hasher = ScryptHasher(n=1024, r=8)
    stored = hasher.hash("real-password")
    hasher.dummy_verify("warm-up")
    before = len(scrypt_spy.calls)
    hasher.verify("wrong-password", stored)
    real_cost = len(scrypt_spy.calls) - before
    hasher.dummy_verify("wrong-password")
    assert len(scrypt_spy.calls) - before - real_cost == real_cost == 1


@needs_argon2
def test_argon2_dummy_verify_runs_argon2() -> None:
    class Spy(Argon2Hasher):
        def __init__(self) -> None:
            super().__init__(time_cost=1, memory_cost=8, parallelism=1)
            self.verified: list[str] = []

        def verify(self, password: str, stored: str) -> bool:
            self.verified.append(stored)
            return super().verify(password, stored)

    spy = Spy()
    spy.dummy_verify("x")
    spy.dummy_verify("y")
    assert len(spy.verified) == 2 and spy.verified[0] == spy.verified[1]
    assert spy.verified[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")


# --- make_hasher -----------------------------------------------------------------------


def test_make_hasher_builds_each_algorithm() -> None:
    scrypt_hasher = make_hasher("scrypt")
    assert isinstance(scrypt_hasher, ScryptHasher) and scrypt_hasher.name == "scrypt"
    bcrypt_hasher = make_hasher("bcrypt", rounds=4)
    assert isinstance(bcrypt_hasher, BcryptHasher) and bcrypt_hasher.rounds == 4
    assert bcrypt_hasher.name == "bcrypt"


@needs_argon2
def test_make_hasher_argon2id() -> None:
    hasher = make_hasher("argon2id", time_cost=1, memory_cost=8, parallelism=1)
    assert hasher.name == "argon2id"
    assert hasher.hash("pw").startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_make_hasher_unknown_name_says_the_choices() -> None:
    with pytest.raises(ConfigError, match="'scrypt', 'bcrypt', 'argon2id'"):
        make_hasher("md5")


def test_make_hasher_bad_params_is_config_error() -> None:
    with pytest.raises(ConfigError, match="bcrypt"):
        make_hasher("bcrypt", cost=12)
    with pytest.raises(ConfigError):
        make_hasher("bcrypt", rounds=40)
