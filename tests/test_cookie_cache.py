"""The session cookie cache (docs/wire-compatibility.md#cookie-cache; docs/security.md#sessions).

Known-answer vectors in ``vectors/cookie_cache.json`` were issued by the real Better Auth
1.7.25 (``vectors/cookie_cache_gen.py``); the live two-way check is in
``interop/test_cookie_cache_interop.py``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from authkit import jsjson
from authkit.cookie_cache import CookieCache, sign_compact, sign_jwt
from authkit.endpoints.context import Context
from authkit.errors import APIError
from authkit.http import Headers
from authkit.jwe import b64url, b64url_decode

from .support.clients import HTTPClient, make_client, parse_set_cookie
from .support.fixtures import sign_up

VECTORS = json.loads(Path(__file__).with_name("vectors").joinpath("cookie_cache.json")
                     .read_text(encoding="utf-8"))
GS = "/api/auth/get-session"
DATA = "better-auth.session_data"
TOKEN = "better-auth.session_token"
STRATEGIES = ["compact", "jwt", "jwe"]


def _vector_ids(v: dict[str, Any]) -> str:
    return f"{v['strategy']}-v{v['version']}-{v['label'].replace(' ', '-')}"


def _cache_value(cookies: dict[str, str]) -> str:
    chunks = sorted((k for k in cookies if k.startswith(DATA)),
                    key=lambda k: int(k.rsplit(".", 1)[1]) if k != DATA else -1)
    return "".join(cookies[k] for k in chunks)


def _cache_for(make_auth: Any, clock: Any, strategy: str, version: str = "1",
               secret: Any = None, session: dict[str, Any] | None = None,
               max_header_bytes: int = 6000, **kw: Any) -> Any:
    return make_auth(secret=secret or VECTORS["secret"], session={
        "cookie_cache": {"enabled": True, "strategy": strategy, "version": version,
                         "max_header_bytes": max_header_bytes},
        **(session or {})}, **kw)


# Better Auth chunks without a total bound; these tests compare chunking itself, so they
# raise authkit's bound (see test_cookie_set_is_accepted_back for the default).
WIDE = 12000


# -- known answers from Better Auth 1.7.25 ----------------------------------------------------
@pytest.mark.parametrize("vec", VECTORS["vectors"], ids=_vector_ids)
def test_better_auth_cache_decodes(make_auth, clock, vec):
    auth = _cache_for(make_auth, clock, vec["strategy"], vec["version"])
    cache = CookieCache(auth)
    decoded = cache.decode(_cache_value(vec["cookies"]), vec["issued_before_ms"])
    assert decoded is not None
    session, user = cache._records(decoded.payload)
    expected = vec["get_session"]
    assert session.to_json() == {**expected["session"]} | {"token": session.token}
    assert dict(user.to_json()) == expected["user"]
    # The cache lives maxAge (compact: 60 s when rememberMe was false), from issue time.
    lifetime = 60 if vec["strategy"] == "compact" and "dont-remember" in vec["label"] else 300
    assert vec["issued_after_ms"] - 1000 <= decoded.expires_at_ms - lifetime * 1000 \
        <= vec["issued_before_ms"]


@pytest.mark.parametrize("vec", [v for v in VECTORS["vectors"] if v["strategy"] == "compact"],
                         ids=_vector_ids)
def test_compact_writer_is_byte_identical(vec):
    value = _cache_value(vec["cookies"])
    outer = jsjson.parse(b64url_decode(value).decode("utf-8"))
    key = VECTORS["secret"].encode()
    # Dates went through the reviver and back: the bytes must not move
    # (docs/wire-compatibility.md#cookie-cache).
    assert sign_compact(outer["session"], outer["expiresAt"], key) == value


@pytest.mark.parametrize("vec", [v for v in VECTORS["vectors"] if v["strategy"] == "jwt"],
                         ids=_vector_ids)
def test_jwt_writer_is_byte_identical(vec):
    value = _cache_value(vec["cookies"])
    claims = jsjson.parse(b64url_decode(value.split(".")[1]))
    assert sign_jwt(claims, VECTORS["secret"].encode()) == value


def test_jwe_header_matches_better_auth(make_auth, clock):
    node = next(v for v in VECTORS["vectors"] if v["strategy"] == "jwe")
    node_header = _cache_value(node["cookies"]).split(".")[0]
    auth = _cache_for(make_auth, clock, "jwe")
    client = make_client("wsgi", auth)
    sign_up(client)
    ours = _cache_value(client.jar).split(".")
    # Same secret → same derived key → same kid; the header JSON is byte-identical.
    assert ours[0] == node_header and ours[1] == ""
    assert len(b64url_decode(ours[2])) == 16 and len(b64url_decode(ours[4])) == 32


def test_cache_hit_answers_in_better_auths_key_order(make_auth, clock):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client("wsgi", auth)
    sign_up(client)
    body = client.get(GS).json
    node = VECTORS["vectors"][0]["get_session"]
    assert list(body["session"]) == [k for k in node["session"] if k != "impersonatedBy"]
    assert list(body["user"]) == [k for k in node["user"]
                                  if k not in ("role", "banned", "banReason", "banExpires")]


# -- issuing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sign_up_issues_cache_with_max_age(make_auth, clock, kind, strategy):
    auth = _cache_for(make_auth, clock, strategy)
    client = make_client(kind, auth)
    res = sign_up(client)
    line = res.cookie(DATA)
    assert line is not None and parse_set_cookie(line)["max-age"] == "300"
    decoded = CookieCache(auth).decode(client.jar[DATA], int(clock.now * 1000))
    assert decoded is not None
    assert decoded.payload["session"]["token"] == res.json["token"]
    assert decoded.payload["version"] == "1"
    assert decoded.payload["updatedAt"] == int(clock.now * 1000)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cache_disabled_issues_nothing_and_clears_a_sent_one(make_auth, clock, kind, strategy):
    cached = _cache_for(make_auth, clock, strategy)
    plain = make_auth(secret=VECTORS["secret"], database=cached.storage.engine,
                      secondary_storage=cached.secondary_storage)
    client = make_client(kind, cached)
    sign_up(client)
    value = client.jar[DATA]
    other = make_client(kind, plain)
    other.jar.update(client.jar)
    assert other.jar[DATA] == value
    res = other.get(GS)
    assert res.json["session"]["token"]
    assert parse_set_cookie(res.cookie(DATA))["max-age"] == "0"
    assert DATA not in other.jar
    assert sign_up(make_client(kind, plain), email="b@example.com").cookie(DATA) is None


# -- docs/security.md#sessions: the revocation window
# --------------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_deleted_session_lives_until_cache_expiry(make_auth, clock, kind, strategy):  # docs/security.md#sessions
    auth = _cache_for(make_auth, clock, strategy)
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    auth.db.delete_session(None, token)
    clock.advance(299)
    assert client.get(GS).json["session"]["token"] == token  # from the cache, no DB read
    assert client.get(GS, query={"disableCookieCache": "true"}).body == b"null"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_deleted_session_is_null_after_window(make_auth, clock, kind, strategy):  # docs/security.md#sessions
    auth = _cache_for(make_auth, clock, strategy)
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    auth.db.delete_session(None, token)
    # jose reads JWT/JWE expiry with 0 s / 15 s of tolerance; the window is ≤ max_age + 15 s.
    clock.advance(301 if strategy != "jwe" else 316)
    res = client.get(GS)
    assert res.body == b"null"
    assert parse_set_cookie(res.cookie(TOKEN))["max-age"] == "0"


def test_dont_remember_compact_cache_lasts_60_seconds(make_auth, clock, kind):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client(kind, auth)
    sign_up(client)
    client.jar.clear()
    res = client.post("/api/auth/sign-in/email", json={
        "email": "alice@example.com", "password": "correct-horse-1", "rememberMe": False})
    assert "max-age" not in parse_set_cookie(res.cookie(DATA))
    auth.db.delete_session(None, res.json["token"])
    clock.advance(59)
    assert client.get(GS).json is not None
    clock.advance(2)
    assert client.get(GS).body == b"null"


def test_refresh_on_db_read_reissues_cache(make_auth, clock, kind):
    auth = _cache_for(make_auth, clock, "compact",
                      session={"expires_in": 600, "update_age": 60})
    client = make_client(kind, auth)
    sign_up(client)
    clock.advance(301)  # cache expired, session due for refresh
    res = client.get(GS)
    data = [parse_set_cookie(x)["max-age"] for x in res.set_cookies if x.startswith(DATA)]
    assert data == ["0", "300"]  # the stale cache expired, the refreshed one issued
    assert parse_set_cookie(res.cookie(TOKEN))["max-age"] == "600"


def test_db_read_without_refresh_writes_cache_but_disable_refresh_does_not(make_auth, clock,
                                                                             kind):
    auth = _cache_for(make_auth, clock, "jwt")
    client = make_client(kind, auth)
    sign_up(client)
    clock.advance(400)
    res = client.get(GS, query={"disableRefresh": "true"})
    assert res.json is not None and res.cookie(DATA) is not None  # the stale cache expired
    assert parse_set_cookie(res.cookie(DATA))["max-age"] == "0"
    res = client.get(GS)
    assert parse_set_cookie(res.cookie(DATA))["max-age"] == "300"


# -- docs/security.md#sessions: binding and tampering
# ----------------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_cache_of_another_user_is_ignored(make_auth, clock, kind, strategy):  # docs/security.md#sessions
    auth = _cache_for(make_auth, clock, strategy)
    alice, bob = make_client(kind, auth), make_client(kind, auth)
    sign_up(alice)
    bob_token = sign_up(bob, email="bob@example.com", name="Bob").json["token"]
    bob.jar[DATA] = alice.jar[DATA]
    res = bob.get(GS)
    assert res.json["user"]["email"] == "bob@example.com"
    assert res.json["session"]["token"] == bob_token
    lines = [parse_set_cookie(x) for x in res.set_cookies if x.startswith(DATA)]
    assert lines[0]["max-age"] == "0" and lines[-1]["max-age"] == "300"  # expired, re-issued


def _tamper_last(value: str) -> str:
    return value[:-1] + ("A" if value[-1] != "A" else "B")


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("how", ["version", "signature", "expired"])
def test_bad_cache_falls_back_to_database(make_auth, clock, kind, strategy, how):  # docs/security.md#sessions
    v1 = _cache_for(make_auth, clock, strategy, version="1")
    client = make_client(kind, v1)
    token = sign_up(client).json["token"]
    v1.db.delete_session(None, token)  # only the database knows the session is gone
    if how == "version":
        v2 = _cache_for(make_auth, clock, strategy, version="2",
                        database=v1.storage.engine, secondary_storage=v1.secondary_storage)
        client = HTTPClient(kind, make_client(kind, v2).app, jar=dict(client.jar))
    elif how == "signature":
        client.jar[DATA] = _tamper_last(client.jar[DATA])
    else:
        clock.advance(330)
    res = client.get(GS)
    assert res.body == b"null"  # the database answered, not the cache
    expired = {parse_set_cookie(x)["name"] for x in res.set_cookies
               if parse_set_cookie(x)["max-age"] == "0"}
    assert {DATA, TOKEN} <= expired


def test_cache_alone_without_session_cookie_is_null(make_auth, clock, kind):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client(kind, auth)
    sign_up(client)
    del client.jar[TOKEN]
    assert client.get(GS).body == b"null"


def _spy_decrypt(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import authkit.jwe as jwe_module

    calls: list[int] = []
    real = jwe_module._decrypt_with

    def spy(*args: Any) -> bytes:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(jwe_module, "_decrypt_with", spy)
    return calls


def test_jwe_with_zip_header_is_refused_unread(make_auth, clock, monkeypatch):  # docs/security.md#sessions
    auth = _cache_for(make_auth, clock, "jwe")
    client = make_client("wsgi", auth)
    sign_up(client)
    parts = client.jar[DATA].split(".")
    header = json.loads(b64url_decode(parts[0]))
    parts[0] = b64url(json.dumps({**header, "zip": "DEF"}, separators=(",", ":")).encode())
    calls = _spy_decrypt(monkeypatch)
    cache = CookieCache(auth)
    assert cache.decode(".".join(parts), int(clock.now * 1000)) is None
    assert cache.decode(client.jar[DATA], int(clock.now * 1000)) is not None
    assert len(calls) == 1  # only the untampered token reached decryption


def test_jwe_over_64_kib_is_refused_unread(make_auth, clock, monkeypatch):  # docs/security.md#sessions
    auth = _cache_for(make_auth, clock, "jwe")
    calls = _spy_decrypt(monkeypatch)
    huge = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2Q0JDLUhTNTEyIn0.." + "A" * (64 * 1024) + ".x.y"
    assert CookieCache(auth).decode(huge, int(clock.now * 1000)) is None
    assert calls == []


@pytest.mark.parametrize("header", [
    {"alg": "none"}, {"alg": "HS512"}, {"alg": "HS256", "crit": ["exp"]},
])
def test_jwt_other_algorithms_refused(make_auth, clock, header):
    auth = _cache_for(make_auth, clock, "jwt")
    client = make_client("wsgi", auth)
    sign_up(client)
    _, claims, sig = client.jar[DATA].split(".")
    forged = b64url(json.dumps(header).encode()) + "." + claims + "." + sig
    assert CookieCache(auth).decode(forged, int(clock.now * 1000)) is None


def test_jwe_rotated_secret_still_decrypts(make_auth, clock):
    old = _cache_for(make_auth, clock, "jwe", secret="old-secret-old-secret-old-secret-0123")
    client = make_client("wsgi", old)
    sign_up(client)
    rotated = _cache_for(make_auth, clock, "jwe",
                         secret=["new-secret-new-secret-new-secret-0123",
                                 "old-secret-old-secret-old-secret-0123"])
    assert CookieCache(rotated).decode(client.jar[DATA], int(clock.now * 1000)) is not None


# -- chunking ---------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_large_cache_is_chunked_and_read_back(make_auth, clock, kind, strategy):
    auth = _cache_for(make_auth, clock, strategy, max_header_bytes=WIDE)
    client = make_client(kind, auth)
    token = sign_up(client, image="N" * 6000).json["token"]
    lines = [x for x in client.jar if x.startswith(DATA)]
    assert lines == [f"{DATA}.0", f"{DATA}.1", f"{DATA}.2"]
    res_lines = [x for x in sign_up(make_client(kind, auth), email="c@example.com",
                                    image="N" * 6000).set_cookies if x.startswith(DATA)]
    assert all(len(x.encode()) <= 4050 for x in res_lines)
    auth.db.delete_session(None, token)
    assert client.get(GS).json["user"]["image"] == "N" * 6000  # joined, verified, no DB


def test_node_chunks_match_ours(make_auth, clock):
    node = next(v for v in VECTORS["vectors"] if v["label"] == "chunked"
                and v["strategy"] == "compact")
    sizes = [len(node["cookies"][f"{DATA}.{i}"]) for i in range(2)]
    auth = _cache_for(make_auth, clock, "compact", max_header_bytes=WIDE)
    client = make_client("wsgi", auth)
    sign_up(client, image="N" * 6000)
    assert [len(client.jar[f"{DATA}.{i}"]) for i in range(2)] == sizes


def test_sign_out_expires_every_chunk(make_auth, clock, kind):
    auth = _cache_for(make_auth, clock, "compact", max_header_bytes=WIDE)
    client = make_client(kind, auth)
    sign_up(client, image="N" * 6000)
    res = client.post("/api/auth/sign-out")
    expired = {parse_set_cookie(x)["name"] for x in res.set_cookies
               if parse_set_cookie(x)["max-age"] == "0"}
    assert {DATA, f"{DATA}.0", f"{DATA}.1", f"{DATA}.2", TOKEN} <= expired
    assert not [k for k in client.jar if k.startswith(DATA)]


def test_cache_over_the_header_budget_is_skipped(make_auth, clock, caplog):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client("wsgi", auth)
    res = sign_up(client, image="N" * 6000)
    assert res.cookie(TOKEN) is not None
    assert not [x for x in res.set_cookies if x.startswith(DATA)]
    assert "cookie cache skipped" in caplog.text and "over the 6000 allowed" in caplog.text


# -- sensitive reads and docs/security.md#sessions
# -----------------------------------------------------------------
def test_sensitive_session_ignores_cache(make_auth, clock):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client("wsgi", auth)
    token = sign_up(client).json["token"]
    auth.db.delete_session(None, token)
    ep = auth.registry.get("get_session")
    ctx = Context(auth, ep, Headers({"cookie": client.cookie_header()}))
    assert ctx.require_session().session.token == token  # cache: still valid
    with pytest.raises(APIError) as err:
        ctx.require_session(sensitive=True)
    assert err.value.status == 401


def test_unverified_sign_in_sets_no_cache(make_auth, clock, kind):  # docs/security.md#sessions
    auth = make_auth(secret=VECTORS["secret"],
                     session={"cookie_cache": {"enabled": True}},
                     email_and_password={"require_email_verification": True})
    client = make_client(kind, auth)
    client.post("/api/auth/sign-up/email", json={
        "email": "u@example.com", "password": "correct-horse-1", "name": "U"})
    res = client.post("/api/auth/sign-in/email", json={
        "email": "u@example.com", "password": "correct-horse-1"})
    assert res.status == 403
    assert not [x for x in res.set_cookies if x.startswith(("better-auth.session",))]


def test_vetoed_session_sets_no_cache(make_auth, clock, kind):  # docs/security.md#sessions
    hooks = {"session": {"create": {"before": lambda data, ctx: False}}}
    auth = make_auth(secret=VECTORS["secret"], session={"cookie_cache": {"enabled": True}},
                     database_hooks=hooks)
    client = make_client(kind, auth)
    res = client.post("/api/auth/sign-up/email", json={
        "email": "v@example.com", "password": "correct-horse-1", "name": "V"})
    assert res.status == 400
    assert not [x for x in res.set_cookies if x.startswith("better-auth.session")]
    res = client.post("/api/auth/sign-in/email", json={
        "email": "v@example.com", "password": "correct-horse-1"})
    assert res.status == 401
    assert not [x for x in res.set_cookies if x.startswith("better-auth.session")]


# -- JSON as JavaScript writes it -------------------------------------------------------------
@pytest.mark.parametrize(("value", "text"), [
    ({"b": 1, "2": 0, "a": [1.5, None, True], "1": "x"}, '{"1":"x","2":0,"b":1,"a":[1.5,null,true]}'),
    (1e21, "1e+21"), (1e-7, "1e-7"), (1.5e16, "15000000000000000"), (0.000001, "0.000001"),
    ("é\u2028\n\x01", '"é\u2028\\n\\u0001"'), ("\ud800", '"\\ud800"'),
])
def test_stringify_matches_javascript(value, text):
    assert jsjson.stringify(value) == text


def test_reviver_normalises_like_date():
    out = jsjson.parse('{"a":"2026-01-02T03:04:05.1Z","b":"2026-02-30T00:00:00.000Z",'
                       '"c":"2026-01-02T03:04:05+00:00"}')
    assert jsjson.stringify(out) == ('{"a":"2026-01-02T03:04:05.100Z",'
                                     '"b":"2026-02-30T00:00:00.000Z",'
                                     '"c":"2026-01-02T03:04:05+00:00"}')


def test_payload_schema_rejects_wrong_types(make_auth, clock):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client("wsgi", auth)
    sign_up(client)
    key = VECTORS["secret"].encode()
    outer = jsjson.parse(base64.urlsafe_b64decode(client.jar[DATA] + "==="))
    payload = outer["session"]
    for broken in ({**payload, "updatedAt": "x"},
                   {**payload, "session": {**payload["session"], "expiresAt": "tomorrow"}},
                   {**payload, "user": {**payload["user"], "emailVerified": "yes"}}):
        value = sign_compact(broken, outer["expiresAt"], key)
        assert CookieCache(auth).decode(value, int(clock.now * 1000)) is None


def test_compact_with_non_canonical_json_still_verifies_canonically(make_auth, clock):
    # Whitespace in the cookie's JSON: the byte-level shortcut cannot apply, the canonical
    # re-serialisation Better Auth performs still verifies the signature.
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client("wsgi", auth)
    sign_up(client)
    outer = json.loads(b64url_decode(client.jar[DATA]))
    spaced = b64url(json.dumps(outer, indent=1, ensure_ascii=False).encode())
    assert CookieCache(auth).decode(spaced, int(clock.now * 1000)) is not None
    outer["session"]["user"]["name"] = "Mallory"
    forged = b64url(json.dumps(outer, indent=1).encode())
    assert CookieCache(auth).decode(forged, int(clock.now * 1000)) is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_other_spelling_of_the_same_bytes_is_refused(make_auth, clock, strategy):
    # The last base64url character carries padding bits; flipping only those keeps the bytes.
    auth = _cache_for(make_auth, clock, strategy)
    client = make_client("wsgi", auth)
    sign_up(client)
    value = client.jar[DATA]
    last = value[-1]
    index = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(last)
    sibling = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[index ^ 1]
    now = int(clock.now * 1000)
    assert CookieCache(auth).decode(value, now) is not None
    assert CookieCache(auth).decode(value[:-1] + sibling, now) is None


def test_banned_sign_in_sets_no_cache(make_auth, clock, kind):  # docs/security.md#sessions
    from authkit.plugins.admin import admin

    auth = make_auth(secret=VECTORS["secret"], session={"cookie_cache": {"enabled": True}},
                     plugins=[admin()])
    client = make_client(kind, auth)
    user_id = sign_up(client).json["user"]["id"]
    auth.db.update_user(None, user_id, {"banned": True})
    client.jar.clear()
    res = client.post("/api/auth/sign-in/email", json={
        "email": "alice@example.com", "password": "correct-horse-1"})
    assert res.status == 403 and res.json["code"] == "BANNED_USER"
    assert not [x for x in res.set_cookies if x.startswith("better-auth.session")]


# -- the memo of verified compact values ------------------------------------------------------------
def test_memoized_cache_still_checks_expiry_and_token(make_auth, clock, kind):
    auth = _cache_for(make_auth, clock, "compact")
    alice, bob = make_client(kind, auth), make_client(kind, auth)
    token = sign_up(alice).json["token"]
    sign_up(bob, email="bob@example.com", name="Bob")
    auth.db.delete_session(None, token)
    assert alice.get(GS).json["session"]["token"] == token  # decoded once, now remembered
    assert auth.sessions.cookie_cache._memo  # the hit above went through the memo
    bob.jar[DATA] = alice.jar[DATA]
    assert bob.get(GS).json["user"]["email"] == "bob@example.com"  # bound to the token
    clock.advance(301)
    assert alice.get(GS).body == b"null"  # the remembered value expired like any other


def test_forged_values_are_not_memoized(make_auth, clock, kind):
    auth = _cache_for(make_auth, clock, "compact")
    client = make_client(kind, auth)
    sign_up(client)
    cache = auth.sessions.cookie_cache
    cache._memo.clear()
    client.jar[DATA] = _tamper_last(client.jar[DATA])
    client.get(GS)
    assert cache._memo == {}


def test_memo_is_bounded(make_auth, clock, monkeypatch):
    from authkit import cookie_cache

    monkeypatch.setattr(cookie_cache, "_MEMO_SIZE", 3)
    auth = _cache_for(make_auth, clock, "compact")
    cache = CookieCache(auth)
    for i in range(5):
        payload = {"session": {"id": f"s{i}", "token": f"t{i}", "userId": "u",
                               "expiresAt": "2030-01-01T00:00:00.000Z"},
                   "user": {"id": "u", "email": "a@example.com", "name": "A"},
                   "updatedAt": 1, "version": "1"}
        value = sign_compact(payload, 2_000_000_000_000, auth.secrets.current.key)
        assert cache.decode(value, 0) is not None
    assert len(cache._memo) == 3


def test_records_with_nested_fields_are_not_shared(make_auth, clock):
    auth = _cache_for(make_auth, clock, "compact")
    cache = CookieCache(auth)
    payload = {"session": {"id": "s", "token": "t", "userId": "u",
                           "expiresAt": "2030-01-01T00:00:00.000Z"},
               "user": {"id": "u", "email": "a@example.com", "name": "A", "tags": ["x"]},
               "updatedAt": 1, "version": "1"}
    value = sign_compact(payload, 2_000_000_000_000, auth.secrets.current.key)
    decoded = cache.decode(value, 0)
    assert decoded is not None
    assert cache._memo == {}  # a caller could change the list inside a shared payload


# -- docs/security.md#sessions with the cache on: the absolute cap is not stretched by max_age
# ---------------------
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_absolute_max_age_ends_a_cached_session(make_auth, clock, kind, strategy):  # docs/security.md#sessions
    auth = _cache_for(make_auth, clock, strategy, session={"absolute_max_age": 600})
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    clock.advance(590)  # the first cache has expired: a database read writes a fresh one
    res = client.get(GS)
    assert res.json["session"]["token"] == token
    data = [parse_set_cookie(x)["max-age"] for x in res.set_cookies if x.startswith(DATA)]
    assert data == ["0", "300"]  # the stale cache expired, a fresh one issued
    clock.advance(20)  # past the cap, well inside the new cache's max_age
    res = client.get(GS)
    assert res.body == b"null"
    assert parse_set_cookie(res.cookie(TOKEN))["max-age"] == "0"
    assert auth.storage.get_session(token) is None


def test_the_cache_works_from_its_collaborators_alone() -> None:
    # No AuthKit, no database: options, the cookie spec, the secrets and a clock are all the
    # cookie cache uses.
    from datetime import UTC, datetime, timedelta

    from authkit.config import AdvancedOptions, SessionOptions
    from authkit.cookies import AuthCookies
    from authkit.models import Session, User
    from authkit.tokens import SecretList

    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    options = SessionOptions(cookie_cache={"enabled": True, "strategy": "compact"})
    cache = CookieCache(session_options=options,
                        spec=AuthCookies(AdvancedOptions(), None).session_data,
                        secrets=SecretList(["unit-secret-" + "x" * 32]), now=lambda: now)
    user = User("u1", "Ann", "ann@example.com", False, None, now, now)
    session = Session("s1", "tok", "u1", now + timedelta(days=1), now, now)
    now_ms = int(now.timestamp() * 1000)
    value = cache.encode(cache.payload(session, user, now_ms), now_ms, 300)
    decoded = cache.decode(value, now_ms)
    assert decoded is not None
    other = CookieCache(session_options=options, spec=cache.spec,
                        secrets=SecretList(["another-secret-" + "y" * 32]), now=lambda: now)
    assert other.decode(value, now_ms) is None
