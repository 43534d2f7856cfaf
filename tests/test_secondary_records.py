"""Sessions and verification values in secondary storage
(docs/wire-compatibility.md#secondary-storage; docs/security.md#outages).

Most cases run on ``MemoryStorage`` with the controlled clock; the key layout is checked
against real Redis too, and a pair of ``AuthKit`` instances sharing one store and one
database shows what several processes see (the real two-process test is in
tests/interop/test_two_instances.py).
"""

import json
import logging
from datetime import timedelta

import pytest

from authkit.models import Verification
from authkit.redis_storage import RedisStorage
from authkit.secondary import MemoryStorage, SecondaryStorageUnavailable

from .support.clients import make_client
from .support.fixtures import sign_up
from .support.race import run_together
from .support.redis_server import (
    REDIS_HOST,
    REDIS_PORT,
    REDIS_URL,
    TCPProxy,
    redis_prefix,  # noqa: F401  (fixture)
)

GET = "/api/auth/get-session"
PW = "correct-horse-1"


class SwitchableStorage(MemoryStorage):
    """A MemoryStorage that can be taken down, as Redis would go away."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.down = False

    def _check(self):
        if self.down:
            raise SecondaryStorageUnavailable("Redis is unavailable (test)")

    def get(self, key):
        self._check()
        return super().get(key)

    def set(self, key, value, ttl=None):
        self._check()
        super().set(key, value, ttl)

    def replace(self, key, value, ttl=None):
        self._check()
        return super().replace(key, value, ttl)

    def update(self, key, fn):
        self._check()
        super().update(key, fn)

    def delete(self, key):
        self._check()
        super().delete(key)

    def get_and_delete(self, key):
        self._check()
        return super().get_and_delete(key)

    def increment(self, key, ttl):
        self._check()
        return super().increment(key, ttl)


@pytest.fixture
def kv(clock):
    return SwitchableStorage(clock=clock)


def token_of(client):
    res = client.get(GET)
    return res.json["session"]["token"], res.json["user"]["id"]


def db_sessions(auth, user_id):
    return auth.storage.list_user_sessions(user_id)


# -- layout ----------------------------------------------------------------------------------

def test_sessions_live_only_in_the_store_by_default(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    assert db_sessions(auth, user_id) == []
    stored = json.loads(kv.get(token))
    assert list(stored) == ["session", "user"]
    assert stored["session"]["token"] == token and stored["user"]["email"] == "alice@example.com"
    assert stored["session"]["expiresAt"].endswith("Z")
    refs = json.loads(kv.get(f"active-sessions-{user_id}"))
    assert refs == [{"token": token, "expiresAt": refs[0]["expiresAt"]}]
    assert kv.ttl(token) == pytest.approx(604800, abs=1)


def test_sign_out_removes_the_session_and_its_reference(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    assert client.post("/api/auth/sign-out", json={}).status == 200
    assert kv.get(token) is None and kv.get(f"active-sessions-{user_id}") is None
    assert client.get(GET).json is None


def test_sliding_refresh_rewrites_the_cached_session(kind, make_auth, kv, clock):
    auth = make_auth(secondary_storage=kv, session={"expires_in": 120, "update_age": 60})
    client = make_client(kind, auth)
    sign_up(client)
    token, _ = token_of(client)
    before = json.loads(kv.get(token))["session"]["expiresAt"]
    clock.advance(61)
    after = client.get(GET).json["session"]["expiresAt"]
    assert after > before
    assert json.loads(kv.get(token))["session"]["expiresAt"] == after
    assert kv.ttl(token) == pytest.approx(120, abs=1)
    clock.advance(121)
    assert client.get(GET).json is None


def test_refresh_never_revives_a_signed_out_session(make_auth, kv):
    """docs/security.md#concurrency with secondary storage: a sign-out landing between the refresh's
    read and its
    write wins, because the write only overwrites a key that still exists."""
    auth = make_auth(secondary_storage=kv)
    res = auth.api.sign_up_email(body={"email": "a@example.com", "password": PW, "name": "A"})
    token = res.token
    real_get = kv.get

    def get_then_sign_out(key):
        value = real_get(key)
        if key == token:
            MemoryStorage.delete(kv, key)  # the concurrent sign-out
        return value

    kv.get = get_then_sign_out
    later = auth.now() + timedelta(days=7)
    assert auth.db.update_session(None, token, {"expiresAt": later}) is None
    kv.get = real_get
    assert kv.get(token) is None


def test_an_update_into_the_past_ends_the_session(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    auth.db.update_session(None, token, {"expiresAt": auth.now()})
    assert kv.get(token) is None and kv.get(f"active-sessions-{user_id}") is None
    assert client.get(GET).json is None


def test_store_session_in_database_writes_both(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv, session={"store_session_in_database": True})
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    assert [s.token for s in db_sessions(auth, user_id)] == [token]
    assert kv.get(token) is not None
    kv.delete(token)  # evicted from the cache: the database still answers
    assert client.get(GET).json["session"]["token"] == token


def test_user_updates_reach_every_cached_session(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    other = make_client(kind, auth)
    other.post("/api/auth/sign-in/email", json={"email": "alice@example.com", "password": PW})
    assert client.post("/api/auth/update-user", json={"name": "Alice B"}).status == 200
    assert other.get(GET).json["user"]["name"] == "Alice B"


def test_list_and_revoke_sessions_from_the_store(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv, session={"fresh_age": 0})
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    others = [make_client(kind, auth) for _ in range(2)]
    for c in others:
        c.post("/api/auth/sign-in/email", json={"email": "alice@example.com", "password": PW})
    listed = client.get("/api/auth/list-sessions").json
    assert len(listed) == 3 and token in [s["token"] for s in listed]
    assert client.post("/api/auth/revoke-other-sessions", json={}).status == 200
    assert all(c.get(GET).json is None for c in others)
    assert client.get(GET).json["session"]["token"] == token
    assert [r["token"] for r in json.loads(kv.get(f"active-sessions-{user_id}"))] == [token]


def test_revoke_all_marks_older_sessions_dead_everywhere(kind, make_auth, kv, clock):
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    stale_copy = kv.get(token)
    clock.advance(1)
    assert client.post("/api/auth/revoke-sessions", json={}).status == 200
    marker = int(kv.get(f"revoked-sessions-before-{user_id}"))
    assert marker == int(clock.now * 1000)
    assert kv.ttl(f"revoked-sessions-before-{user_id}") == pytest.approx(604800, abs=1)
    # A copy another instance wrote back (or never saw the list) is still refused.
    kv.set(token, stale_copy, 600)
    client.jar.clear()
    client.jar["better-auth.session_token"] = make_cookie(auth, token)
    assert client.get(GET).json is None
    # Sessions created after the revocation work.
    clock.advance(1)
    fresh = make_client(kind, auth)
    assert fresh.post("/api/auth/sign-in/email",
                      json={"email": "alice@example.com", "password": PW}).status == 200
    assert fresh.get(GET).json is not None


def make_cookie(auth, token):
    from authkit.cookies import encode_value
    from authkit.tokens import sign

    return encode_value(sign(token, auth.secrets))


def test_deleting_a_user_ends_their_cached_sessions(make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    res = auth.api.sign_up_email(body={"email": "a@example.com", "password": PW, "name": "A"})
    assert auth.db.delete_user(None, res.user)
    assert kv.get(res.token) is None
    assert auth.db.get_session_with_user(res.token) is None


# -- verification values ---------------------------------------------------------------------

def verification(auth, identifier="reset-password:abc", seconds=3600):
    now = auth.now()
    return Verification(id="v1", identifier=identifier, value="user-1",
                        expires_at=now + timedelta(seconds=seconds), created_at=now,
                        updated_at=now)


def test_verification_values_live_in_the_store_and_are_taken_once(make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    auth.db.create_verification(None, verification(auth))
    stored = json.loads(kv.get("verification:reset-password:abc"))
    assert stored["value"] == "user-1" and stored["identifier"] == "reset-password:abc"
    assert kv.ttl("verification:reset-password:abc") == pytest.approx(3600, abs=1)
    assert auth.storage.find_verification("reset-password:abc") is None
    assert auth.db.find_verification("reset-password:abc").value == "user-1"
    assert auth.db.consume_verification(None, "reset-password:abc").value == "user-1"
    assert auth.db.consume_verification(None, "reset-password:abc") is None


def test_verification_store_in_database(make_auth, kv):
    auth = make_auth(secondary_storage=kv, verification={"store_in_database": True})
    auth.db.create_verification(None, verification(auth))
    assert auth.storage.find_verification("reset-password:abc") is not None
    assert kv.get("verification:reset-password:abc") is not None
    assert auth.db.consume_verification(None, "reset-password:abc").value == "user-1"
    assert kv.get("verification:reset-password:abc") is None
    assert auth.db.consume_verification(None, "reset-password:abc") is None


def test_a_rolled_back_transaction_puts_the_token_back(make_auth, kv):
    """docs/security.md#outages: a failure after the token was taken must not leave it burnt."""
    auth = make_auth(secondary_storage=kv)
    auth.db.create_verification(None, verification(auth))
    with pytest.raises(RuntimeError), auth.db.transaction() as tx:
        assert tx.consume_verification(None, "reset-password:abc") is not None
        raise RuntimeError("the password write failed")
    assert auth.db.consume_verification(None, "reset-password:abc").value == "user-1"


# -- Redis down (docs/security.md#outages)
# ---------------------------------------------------------------------

def test_sessions_only_in_the_store_fail_closed(kind, make_auth, kv):
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    kv.down = True
    res = client.get(GET)
    assert res.status == 503 and res.json["code"] == "SERVICE_UNAVAILABLE"
    assert res.set_cookies == []  # not "signed out": nothing cleared
    assert client.get("/api/auth/list-sessions").status == 503
    signin = client.post("/api/auth/sign-in/email",
                         json={"email": "alice@example.com", "password": PW})
    assert signin.status == 503
    kv.down = False  # recovery needs no restart
    assert client.get(GET).json["user"]["email"] == "alice@example.com"


def test_with_sessions_in_the_database_reads_fall_back(kind, make_auth, kv, caplog):
    auth = make_auth(secondary_storage=kv, session={"store_session_in_database": True})
    client = make_client(kind, auth)
    sign_up(client)
    kv.down = True
    caplog.set_level(logging.WARNING, "authkit.secondary")
    assert client.get(GET).json["user"]["email"] == "alice@example.com"
    other = make_client(kind, auth)
    assert other.post("/api/auth/sign-in/email",
                      json={"email": "alice@example.com", "password": PW}).status == 200
    assert other.get(GET).status == 200
    assert "secondary storage down" in caplog.text


@pytest.mark.parametrize("in_db", [False, True], ids=["store-only", "store-and-db"])
def test_a_revocation_is_never_lost(kind, make_auth, kv, in_db):
    """Sign-out while Redis is down answers 503 and changes nothing; once Redis is back the
    session is exactly as before (no half-revoked state), and signing out then works."""
    auth = make_auth(secondary_storage=kv, session={"store_session_in_database": in_db})
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    kv.down = True
    res = client.post("/api/auth/sign-out", json={})
    assert res.status == 503
    assert client.post("/api/auth/revoke-sessions", json={}).status == 503
    kv.down = False
    assert [s.token for s in db_sessions(auth, user_id)] == ([token] if in_db else [])
    assert client.get(GET).json["session"]["token"] == token
    assert client.post("/api/auth/sign-out", json={}).status == 200
    assert kv.get(token) is None and db_sessions(auth, user_id) == []
    # Replaying the old cookie after the store lost nothing: still dead.
    client.jar["better-auth.session_token"] = make_cookie(auth, token)
    assert client.get(GET).json is None


def test_user_updates_fail_closed_while_the_store_is_down(kind, make_auth, kv):
    """A stale cached user (an old role or ban state) must not outlive an update."""
    auth = make_auth(secondary_storage=kv, session={"store_session_in_database": True})
    client = make_client(kind, auth)
    sign_up(client)
    _, user_id = token_of(client)
    kv.down = True
    assert client.post("/api/auth/update-user", json={"name": "Changed"}).status == 503
    assert auth.storage.get_user_by_id(user_id).name == "Alice"  # rolled back
    kv.down = False


# -- two instances sharing one store and one database ----------------------------------------

def test_two_instances_share_sessions_and_revocations(kind, make_auth, kv, tmp_path):
    db = f"sqlite:///{tmp_path}/shared.db"
    a = make_auth(secondary_storage=kv, database=db)
    b = make_auth(secondary_storage=kv, database=db, migrate=False)
    on_a, on_b = make_client(kind, a), make_client(kind, b)
    sign_up(on_a)
    on_b.jar.update(on_a.jar)
    assert on_b.get(GET).json["user"]["email"] == "alice@example.com"
    assert on_a.post("/api/auth/sign-out", json={}).status == 200
    assert on_b.get(GET).json is None


# -- the same layout on real Redis -----------------------------------------------------------

def test_layout_on_real_redis(kind, make_auth, redis_prefix):  # noqa: F811
    import redis

    storage = RedisStorage(REDIS_URL, key_prefix=redis_prefix)
    auth = make_auth(secondary_storage=storage)
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    raw = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        assert json.loads(raw.get(redis_prefix + token))["user"]["id"] == user_id
        assert raw.ttl(redis_prefix + f"active-sessions-{user_id}") > 0
        assert client.post("/api/auth/sign-out", json={}).status == 200
        assert raw.get(redis_prefix + token) is None
    finally:
        raw.close()
        storage.close()


def test_real_redis_outage_is_503_and_recovers_without_restart(kind, make_auth,
                                                                redis_prefix):  # noqa: F811
    proxy = TCPProxy((REDIS_HOST, REDIS_PORT))
    proxy.start()
    storage = RedisStorage(proxy.url, key_prefix=redis_prefix, connect_timeout=0.5,
                           socket_timeout=0.5)
    try:
        auth = make_auth(secondary_storage=storage, rate_limit={"enabled": True})
        client = make_client(kind, auth)
        sign_up(client)
        proxy.stop()
        assert client.get(GET).status == 503
        signin = client.post("/api/auth/sign-in/email",
                             json={"email": "alice@example.com", "password": PW})
        assert signin.status == 503  # the limiter cannot count: fail closed
        assert client.get("/api/auth/ok").status == 200  # fails open off credential paths
        proxy.start()
        assert client.get(GET).json["user"]["email"] == "alice@example.com"
    finally:
        proxy.stop()
        storage.close()


def test_revocation_markers_outlive_impersonation_sessions(make_auth, kv):
    from authkit.plugins.admin import admin

    auth = make_auth(secondary_storage=kv, session={"expires_in": 3600},
                     plugins=[admin(impersonation_session_duration=200_000)])
    assert auth.db.secondary._revoked_ttl == 200_000


def test_store_writes_are_undone_when_the_transaction_fails(kind, make_auth, kv):
    """Revoking the other sessions inside a unit of work that then fails leaves them valid
    (as the database rows would be): the store never keeps half of a rolled-back change."""
    auth = make_auth(secondary_storage=kv)
    client = make_client(kind, auth)
    sign_up(client)
    token, user_id = token_of(client)
    other = make_client(kind, auth)
    other.post("/api/auth/sign-in/email", json={"email": "alice@example.com", "password": PW})
    other_token, _ = token_of(other)
    before = json.loads(kv.get(f"active-sessions-{user_id}"))
    with pytest.raises(RuntimeError), auth.db.transaction() as tx:
        assert tx.delete_user_sessions(None, user_id, except_token=token) == 1
        assert kv.get(other_token) is None  # revoked inside the unit of work
        raise RuntimeError("a later write failed")
    assert other.get(GET).json["user"]["id"] == user_id
    assert json.loads(kv.get(f"active-sessions-{user_id}")) == before


# -- CVE-2026-134321: the active-sessions list under concurrent writers ------------------------

class GetThenSet:
    """A store without ``update``: authkit falls back to get-then-set on it."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        if name == "update":
            raise AttributeError(name)
        return getattr(self.inner, name)


def _sign_in_at_once(auth, count):
    """``count`` sign-ins of one user, released together from as many threads."""
    run_together(lambda: auth.api.sign_in_email(
        body={"email": "alice@example.com", "password": PW}), count)


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_concurrent_sign_ins_all_reach_the_session_list(make_auth, store, request):
    # Every session must be listed: one missing from the list escapes revoke-other-sessions
    # and keeps a stale user after a role change. Run a few rounds: a lost update needs two
    # writers to interleave, which a single round may not show.
    if store == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        storage = RedisStorage(REDIS_URL, key_prefix=prefix)
    else:
        storage = MemoryStorage()
    auth = make_auth(secondary_storage=storage)
    user_id = auth.api.sign_up_email(body={"email": "alice@example.com", "password": PW,
                                           "name": "Alice"}).user.id
    try:
        for _ in range(5):
            _sign_in_at_once(auth, 8)
        listed = auth.db.list_user_sessions(user_id)
        assert len(listed) == 1 + 5 * 8
        keep = listed[0].token
        auth.db.delete_user_sessions(None, user_id, except_token=keep)  # revoke-other-sessions
        assert [s.token for s in auth.db.list_user_sessions(user_id)] == [keep]
    finally:
        if store == "redis":
            storage.close()


def test_a_store_without_update_still_works(make_auth):
    auth = make_auth(secondary_storage=GetThenSet(MemoryStorage()))
    user_id = sign_up(make_client("wsgi", auth)).json["user"]["id"]
    auth.api.sign_in_email(body={"email": "alice@example.com", "password": PW})
    assert len(auth.db.list_user_sessions(user_id)) == 2


def test_redis_update_retries_when_another_client_wrote_in_between(redis_prefix):  # noqa: F811
    import redis

    storage = RedisStorage(REDIS_URL, key_prefix=redis_prefix)
    other = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    seen = []

    def append_x(raw):
        seen.append(raw)
        if len(seen) == 1:  # another instance writes after our read, before our write
            other.set(redis_prefix + "k", "from-other")
        return (raw or "") + "+x", 60

    try:
        storage.set("k", "start", 60)
        storage.update("k", append_x)
        assert seen == ["start", "from-other"]  # the first attempt was thrown away
        assert storage.get("k") == "from-other+x"
        assert 0 < other.ttl(redis_prefix + "k") <= 60
        storage.update("k", lambda raw: (None, None))
        assert storage.get("k") is None
    finally:
        other.close()
        storage.close()


# -- docs/security.md#concurrency with sessions only in the store: the refresh is one atomic step
# -------------------

def _race_refreshes(auth, kv, token, first, second):
    """``second``'s refresh reads the session, then ``first``'s commits, then ``second``'s
    write goes in: the interleaving that moved expiries backwards."""
    real_get = kv.get
    done = []

    def get_then_other_refresh(key):
        value = real_get(key)
        if key == token and not done:
            done.append(True)
            kv.get = real_get
            auth.db.update_session(None, token, {"expiresAt": first}, extend_only=True)
        return value

    kv.get = get_then_other_refresh
    try:
        return auth.db.update_session(None, token, {"expiresAt": second}, extend_only=True)
    finally:
        kv.get = real_get


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_late_refresh_never_moves_a_stored_expiry_back(make_auth, kv, store, request):
    if store == "redis":
        kv = RedisStorage(REDIS_URL, key_prefix=request.getfixturevalue("redis_prefix"))
    auth = make_auth(secondary_storage=kv)
    try:
        token = auth.api.sign_up_email(
            body={"email": "a@example.com", "password": PW, "name": "A"}).token
        later = auth.now() + timedelta(days=9)
        earlier = auth.now() + timedelta(days=8)
        answered = _race_refreshes(auth, kv, token, first=later, second=earlier)
        assert answered is not None and answered.expires_at == later  # the stored, later one
        stored = auth.db.get_session_with_user(token)
        assert stored is not None and stored[0].expires_at == later
        user_id = stored[1].id
        assert [s.token for s in auth.db.list_user_sessions(user_id)] == [token]
    finally:
        if store == "redis":
            kv.close()


def test_records_work_from_their_collaborators_alone():
    # No AuthKit, no database: a store, the options and a clock are all the layout uses.
    from datetime import UTC, datetime

    from authkit.models import Session, User
    from authkit.secondary_records import SecondaryRecords

    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    store = MemoryStorage(clock=lambda: now.timestamp())
    records = SecondaryRecords(store, sessions_in_db=False, verification_in_db=False,
                               now=lambda: now, session_expires_in=3600)
    user = User("u1", "Ann", "ann@example.com", False, None, now, now)
    session = Session("s1", "tok", "u1", now.replace(hour=4), now, now, "10.0.0.1", "curl")
    records.cache_session(session, user)
    cached = records.cached("tok")
    assert cached is not None and cached[0] == session and cached[1].email == user.email
    assert json.loads(store.get("tok"))["session"]["token"] == "tok"
