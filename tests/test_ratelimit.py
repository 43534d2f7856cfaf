"""Rate limiting (docs/wire-compatibility.md#rate-limits; docs/security.md#rate-limiting, 61, 62,
64, 65) over WSGI and ASGI, controlled clock."""

import logging
import threading

import pytest

from authkit.errors import APIError, ConfigError
from authkit.http import Headers, Request
from authkit.plugins.base import Plugin
from authkit.ratelimit import (
    Decision,
    MemoryStore,
    PluginRateLimit,
    RateLimiter,
    Rule,
    SecondaryStore,
    builtin_rule,
    rate_limit_key,
)
from authkit.secondary import MemoryStorage, SecondaryStorageUnavailable
from authkit.settings import from_env

from .support.clients import make_client
from .support.fixtures import sign_up

SIGN_IN = "/api/auth/sign-in/email"
TOO_MANY = {"message": "Too many requests. Please try again later."}
PW = "correct-horse-1"


def limited_auth(make_auth, **rate_limit):
    return make_auth(rate_limit={"enabled": True, **rate_limit})


def wrong_sign_in(client, **kw):
    return client.post(SIGN_IN, json={"email": "alice@example.com", "password": "wrong-pass-1"},
                       **kw)


# -- docs/security.md#rate-limiting: Better Auth's documented example
# --------------------------------------------------------------

def test_fourth_sign_in_within_ten_seconds_is_429_with_retry_after(kind, make_auth, clock):
    client = make_client(kind, limited_auth(make_auth))
    for _ in range(3):
        assert wrong_sign_in(client).status == 401
    clock.advance(3)
    res = wrong_sign_in(client)
    assert res.status == 429
    assert res.json == TOO_MANY
    assert res.header("x-retry-after") == "7"
    assert res.header("content-type") == "application/json"
    clock.advance(6.999)
    assert wrong_sign_in(client).status == 429
    clock.advance(0.001)  # t = 10 s after the last allowed request
    assert wrong_sign_in(client).status == 401


def test_each_path_has_its_own_bucket_and_the_query_is_ignored(kind, make_auth):
    client = make_client(kind, limited_auth(make_auth))
    for _ in range(3):
        assert wrong_sign_in(client).status == 401
    assert wrong_sign_in(client, query={"x": "1"}).status == 429
    # /sign-up/email shares the strict rule but not the bucket.
    res = client.post("/api/auth/sign-up/email",
                      json={"email": "bob@example.com", "password": PW, "name": "Bob"})
    assert res.status == 200


def test_refused_requests_do_not_extend_the_wait(kind, make_auth, clock):
    client = make_client(kind, limited_auth(make_auth))
    for _ in range(3):
        wrong_sign_in(client)
    for _ in range(5):
        clock.advance(1)
        assert wrong_sign_in(client).status == 429
    clock.advance(5)  # 10 s after the third, allowed one
    assert wrong_sign_in(client).status == 401


def test_global_rule_applies_to_other_paths(kind, make_auth, clock):
    client = make_client(kind, limited_auth(make_auth, window=30, max=5))
    for _ in range(5):
        assert client.get("/api/auth/get-session").status == 200
    res = client.get("/api/auth/get-session")
    assert res.status == 429 and res.header("x-retry-after") == "30"


def test_unknown_paths_are_not_counted(kind, make_auth):
    client = make_client(kind, limited_auth(make_auth, max=2))
    for _ in range(5):
        assert client.get("/api/auth/no-such-route").status == 404


def test_auth_api_calls_are_never_limited(make_auth):
    auth = limited_auth(make_auth)
    for _ in range(6):
        with pytest.raises(APIError) as info:
            auth.api.sign_in_email(body={"email": "alice@example.com", "password": "wrong-pass-1"})
        assert info.value.status == 401


# -- enabling --------------------------------------------------------------------------------

def test_off_by_default_outside_production(kind, make_auth):
    client = make_client(kind, make_auth())
    assert all(wrong_sign_in(client).status == 401 for _ in range(6))


def test_on_by_default_in_production(make_auth):
    auth = make_auth(production=True, base_url="https://auth.example.com")
    assert auth.rate_limiter.enabled
    off = make_auth(production=True, base_url="https://auth.example.com",
                    rate_limit={"enabled": False})
    assert not off.rate_limiter.enabled


def test_serve_switch():
    env = {"AUTHKIT_SECRET": "x" * 40, "AUTHKIT_RATE_LIMIT": "on"}
    assert from_env(env)["rate_limit"] == {"enabled": True}
    assert from_env({**env, "AUTHKIT_RATE_LIMIT": "off"})["rate_limit"] == {"enabled": False}


# -- rules and their precedence --------------------------------------------------------------

@pytest.mark.parametrize("path, rule", [
    ("/sign-in/email", Rule(10, 3)),
    ("/sign-in/social", Rule(10, 3)),
    ("/sign-up/email", Rule(10, 3)),
    ("/change-password", Rule(10, 3)),
    ("/change-email", Rule(10, 3)),
    ("/request-password-reset", Rule(60, 3)),
    ("/send-verification-email", Rule(60, 3)),
    ("/email-otp/send-verification-otp", Rule(60, 3)),
    ("/email-otp/request-password-reset", Rule(60, 3)),
    ("/forget-password/email-otp", Rule(60, 3)),
    ("/request-password-reset/x", None),
    ("/get-session", None),
    ("/reset-password", None),
])
def test_builtin_rules(path, rule):
    assert builtin_rule(path) == rule


class LimitedPlugin(Plugin):
    id = "limited"
    rate_limit = (PluginRateLimit(lambda p: p.startswith("/sign-in"), window=20, max=7),)


def rule_of(auth, path):
    return auth.rate_limiter.rule_for(Request("POST", "/api/auth" + path), path)


def test_plugin_rule_overrides_builtin(make_auth):
    auth = make_auth(rate_limit={"enabled": True}, plugins=[LimitedPlugin()])
    assert rule_of(auth, "/sign-in/email") == Rule(20, 7)
    assert rule_of(auth, "/sign-up/email") == Rule(10, 3)
    assert auth.rate_limiter.is_credential_path("/sign-in/anything")


def test_custom_rules_override_plugin_and_can_disable(make_auth):
    seen = []

    def dynamic(request, current):
        seen.append(current)
        return {"window": 5, "max": 50}

    auth = make_auth(plugins=[LimitedPlugin()], rate_limit={
        "enabled": True,
        "custom_rules": {
            "/sign-in/email": {"window": 1, "max": 1},
            "/sign-up/*": False,
            "/get-*": dynamic,
            "/list-sessions": lambda request, current: None,
        }})
    assert rule_of(auth, "/sign-in/email") == Rule(1, 1)
    assert rule_of(auth, "/sign-in/social") == Rule(20, 7)
    assert rule_of(auth, "/sign-up/email") is None
    assert rule_of(auth, "/get-session") == Rule(5, 50)
    assert seen == [Rule(10, 100)]
    assert rule_of(auth, "/list-sessions") == Rule(10, 100)


def test_disabled_custom_rule_is_unlimited_over_http(kind, make_auth):
    client = make_client(kind, make_auth(rate_limit={
        "enabled": True, "custom_rules": {"/sign-in/email": False}}))
    assert all(wrong_sign_in(client).status == 401 for _ in range(6))


@pytest.mark.parametrize("options, fragment", [
    ({"custom_rules": {"/x": {"window": 0, "max": 1}}}, "window"),
    ({"custom_rules": {"/x": {"max": 3}}}, "custom_rules['/x']"),
    ({"custom_rules": {"/x": 5}}, "custom_rules['/x']"),
    ({"storage": "secondary-storage"}, "secondary_storage"),
    ({"storage": "redis"}, "rate_limit.storage"),
    ({"custom_storage": object()}, "consume"),
])
def test_bad_configuration_is_refused(make_auth, options, fragment):
    with pytest.raises(ConfigError) as info:
        make_auth(rate_limit={"enabled": True, **options})
    assert fragment in str(info.value)


def test_bad_plugin_rule_is_refused(make_auth):
    class Bad(Plugin):
        rate_limit = (PluginRateLimit(lambda p: True, window=10, max=0),)

    with pytest.raises(ConfigError):
        make_auth(plugins=[Bad()])


# -- client identity: docs/security.md#rate-limiting
# -------------------------------------------------

def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(kind, make_auth):
    client = make_client(kind, limited_auth(make_auth))
    codes = [wrong_sign_in(client, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status
             for n in range(10)]
    assert codes == [401] * 3 + [429] * 7


def test_trusted_proxy_keys_on_the_right_most_untrusted_hop(kind, make_auth):
    auth = make_auth(rate_limit={"enabled": True},
                     advanced={"trusted_proxies": ["127.0.0.1"]})
    client = make_client(kind, auth)
    chain = [wrong_sign_in(client, headers={
        "X-Forwarded-For": f"1.1.1.{n}, 203.0.113.9, 127.0.0.1"}).status for n in range(5)]
    assert chain == [401, 401, 401, 429, 429]
    # Another client behind the same proxy has its own bucket.
    other = wrong_sign_in(client, headers={"X-Forwarded-For": "203.0.113.10, 127.0.0.1"})
    assert other.status == 401


def test_trusted_proxy_chain_key(make_auth):
    auth = make_auth(rate_limit={"enabled": True},
                     advanced={"trusted_proxies": ["127.0.0.1"]})
    addr = auth.client_ip.resolve("127.0.0.1", Headers(
        {"X-Forwarded-For": "1.1.1.1, 203.0.113.9, 127.0.0.1"}))
    assert rate_limit_key(addr, "/sign-in/email") == "203.0.113.9|/sign-in/email"


def peer_client(kind, auth, peer):
    return make_client(kind, auth, peer=peer)


def test_ipv6_notations_and_one_64_share_a_bucket(kind, make_auth):
    auth = limited_auth(make_auth)
    same = ["2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0::1"]
    assert [wrong_sign_in(peer_client(kind, auth, p)).status for p in same] == [401] * 3
    assert wrong_sign_in(peer_client(kind, auth, "2001:db8::ffff")).status == 429
    assert wrong_sign_in(peer_client(kind, auth, "2001:db8:0:1::1")).status == 401


def test_ipv4_mapped_ipv6_shares_the_ipv4_bucket(kind, make_auth):
    auth = limited_auth(make_auth)
    for peer in ("::ffff:192.0.2.1", "192.0.2.1", "::ffff:192.0.2.1"):
        assert wrong_sign_in(peer_client(kind, auth, peer)).status == 401
    assert wrong_sign_in(peer_client(kind, auth, "192.0.2.1")).status == 429


@pytest.mark.parametrize("ip, expected", [
    ("2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0000"),
    ("2001:DB8:0:0:1:2:3:4", "2001:0db8:0000:0000:0000:0000:0000:0000"),
    ("::ffff:192.0.2.1", "192.0.2.1"),
    ("203.0.113.9", "203.0.113.9"),
])
def test_keys_are_written_as_better_auth_writes_them(ip, expected):
    from authkit.ip import canonical

    assert rate_limit_key(canonical(ip), "/sign-in/email") == f"{expected}|/sign-in/email"
    assert rate_limit_key(None, "/ok") == "no-trusted-ip|/ok"


def test_ipv6_subnet_option(make_auth):
    auth = make_auth(rate_limit={"enabled": True}, advanced={"ipv6_subnet": 128})
    store = auth.rate_limiter.store
    for peer in ("2001:db8::1", "2001:db8::2"):
        auth.handle(Request("POST", SIGN_IN, client=peer))
    assert len(store) == 2


def test_success_does_not_reset_the_failure_bucket(kind, make_auth, clock):
    auth = make_auth()
    client = make_client(kind, auth)
    sign_up(client)
    auth.rate_limiter.enabled = True
    client.jar.clear()
    assert wrong_sign_in(client).status == 401
    assert wrong_sign_in(client).status == 401
    good = {"email": "alice@example.com", "password": PW}
    assert client.post(SIGN_IN, json=good).status == 200
    assert client.post(SIGN_IN, json=good, use_jar=False).status == 429


def test_limit_runs_before_the_body_is_parsed(kind, make_auth, monkeypatch):
    from authkit import pipeline

    client = make_client(kind, limited_auth(make_auth))
    for _ in range(3):
        wrong_sign_in(client)
    calls = []
    real = pipeline.parse_json_body
    monkeypatch.setattr(pipeline, "parse_json_body", lambda b: calls.append(1) or real(b))
    res = client.post(SIGN_IN, body=b"[" * 1_000_000,
                      headers={"Content-Type": "application/json"})
    assert res.status == 429
    assert calls == []


def test_no_client_ip_shares_one_bucket_fail_closed(make_auth, caplog):
    auth = limited_auth(make_auth)
    caplog.set_level(logging.WARNING, "authkit.ratelimit")
    statuses = [auth.handle(Request("POST", SIGN_IN, client=None)).status for _ in range(4)]
    assert statuses == [400, 400, 400, 429]  # no body: validation error, until limited
    assert "no client IP" in caplog.text
    assert next(iter(auth.rate_limiter.store._data)) == "no-trusted-ip|/sign-in/email"


def test_disable_ip_tracking_turns_off_limits_without_an_ip(make_auth):
    auth = make_auth(rate_limit={"enabled": True}, advanced={"disable_ip_tracking": True})
    statuses = {auth.handle(Request("POST", SIGN_IN, client=None)).status for _ in range(5)}
    assert statuses == {400}


def test_spread_out_guessing_does_not_lock_the_account(kind, make_auth):
    """docs/security.md#rate-limiting: Better Auth has no per-account lockout; authkit keeps it that
    way, so guessing
    from 50 addresses never locks alice out (the per-IP limit is the only brake)."""
    auth = make_auth()
    sign_up(make_client(kind, auth))
    auth.rate_limiter.enabled = True
    for n in range(50):
        res = wrong_sign_in(peer_client(kind, auth, f"198.51.100.{n}"))
        assert res.status == 401
    good = peer_client(kind, auth, "203.0.113.77").post(
        SIGN_IN, json={"email": "alice@example.com", "password": PW})
    assert good.status == 200


# -- stores ----------------------------------------------------------------------------------

def test_memory_store_algorithm():
    store = MemoryStore()
    rule = Rule(10, 2)
    assert store.consume("k", rule, 0).allowed
    assert store.consume("k", rule, 1000).allowed
    assert store.consume("k", rule, 2500) == Decision(False, 9)
    assert store.consume("k", rule, 11_000).allowed  # 10 s after the last allowed one


def test_memory_store_is_bounded():
    store = MemoryStore(max_keys=3)
    for n in range(10):
        store.consume(f"k{n}", Rule(10, 1), 0)
    assert len(store) == 3
    assert list(store._data) == ["k7", "k8", "k9"]


def test_memory_store_lets_exactly_max_through_under_threads():
    store = MemoryStore()
    rule = Rule(10, 5)
    barrier = threading.Barrier(20)
    results = []

    def hit():
        barrier.wait()
        results.append(store.consume("k", rule, 0).allowed)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5


def test_secondary_storage_store_is_a_fixed_window(clock):
    storage = MemoryStorage(clock=clock)
    store = SecondaryStore(storage)
    rule = Rule(10, 2)
    assert store.consume("k", rule, 0).allowed
    clock.advance(5)
    assert store.consume("k", rule, 0).allowed
    assert store.consume("k", rule, 0) == Decision(False, 10)
    clock.advance(5)  # the counter expires 10 s after the first request
    assert store.consume("k", rule, 0).allowed


def test_secondary_storage_is_the_default_with_secondary_storage(kind, make_auth, clock):
    storage = MemoryStorage(clock=clock)
    auth = make_auth(rate_limit={"enabled": True}, secondary_storage=storage)
    client = make_client(kind, auth)
    assert isinstance(auth.rate_limiter.store, SecondaryStore)
    for _ in range(3):
        assert wrong_sign_in(client).status == 401
    res = wrong_sign_in(client)
    assert res.status == 429 and res.header("x-retry-after") == "10"
    assert storage.get("127.0.0.1|/sign-in/email") == 4


def test_memory_storage_can_be_chosen_with_secondary_storage(make_auth, clock):
    auth = make_auth(rate_limit={"enabled": True, "storage": "memory"},
                     secondary_storage=MemoryStorage(clock=clock))
    assert isinstance(auth.rate_limiter.store, MemoryStore)


def test_database_storage_over_http(kind, make_auth, clock):
    auth = make_auth(rate_limit={"enabled": True, "storage": "database"})
    client = make_client(kind, auth)
    for _ in range(3):
        assert wrong_sign_in(client).status == 401
    clock.advance(3)
    res = wrong_sign_in(client)
    assert res.status == 429 and res.header("x-retry-after") == "7"
    row = auth.storage.get_rate_limit("127.0.0.1|/sign-in/email")
    assert row["count"] == 3
    clock.advance(7)
    assert wrong_sign_in(client).status == 401


def test_custom_storage_hook(kind, make_auth):
    calls = []

    class Store:
        def consume(self, key, rule):
            calls.append((key, rule))
            return {"allowed": len(calls) < 2, "retryAfter": 42}

    client = make_client(kind, make_auth(rate_limit={"enabled": True, "custom_storage": Store()}))
    assert wrong_sign_in(client).status == 401
    res = wrong_sign_in(client)
    assert res.status == 429 and res.header("x-retry-after") == "42"
    assert calls[0] == ("127.0.0.1|/sign-in/email", Rule(10, 3))


class DownStorage(MemoryStorage):
    def increment(self, key, ttl):
        raise SecondaryStorageUnavailable("down")


def test_store_outage_fails_closed_on_credential_paths(kind, make_auth, caplog):
    """docs/security.md#outages: no unlimited guessing while Redis is down; other paths keep
    working."""
    auth = make_auth(rate_limit={"enabled": True, "storage": "secondary-storage"},
                     secondary_storage=DownStorage())
    auth.db.secondary = None  # only the limiter sees the outage in this test
    client = make_client(kind, auth)
    caplog.set_level(logging.WARNING, "authkit.ratelimit")
    res = wrong_sign_in(client)
    assert res.status == 503 and res.json["code"] == "SERVICE_UNAVAILABLE"
    assert client.get("/api/auth/ok").status == 200
    assert "rate-limit store unavailable" in caplog.text


def test_rate_limit_hits_are_logged_without_secrets(kind, make_auth, caplog):
    client = make_client(kind, limited_auth(make_auth))
    caplog.set_level(logging.WARNING, "authkit.ratelimit")
    for _ in range(4):
        wrong_sign_in(client, headers={"User-Agent": "bot/1\r\nforged"})
    hits = [r for r in caplog.records if getattr(r, "event", None) == "rate_limit.hit"]
    assert len(hits) == 1 and hits[0].ip == "127.0.0.1" and hits[0].path == "/sign-in/email"
    assert "wrong-pass-1" not in caplog.text
    # The shape of every security event (log_event): record.authkit, escaped values.
    assert hits[0].levelno == logging.WARNING
    assert hits[0].authkit == {"event": "rate_limit.hit", "ip": "127.0.0.1",
                               "user_agent": "bot/1\\r\\nforged", "path": "/sign-in/email",
                               "retry_after": 10}



def test_path_variants_open_no_new_bucket(kind, make_auth):
    """docs/security.md#rate-limiting: doubled or trailing slashes never reach the handler under
    another key."""
    client = make_client(kind, limited_auth(make_auth))
    for _ in range(3):
        wrong_sign_in(client)
    for path in ("/api/auth//sign-in/email", "/api/auth/sign-in//email",
                 "/api/auth/sign-in/email/"):
        res = client.post(path, json={"email": "alice@example.com", "password": "x" * 9})
        assert res.status == 404 and res.body == b"", path


def test_trailing_slash_shares_the_bucket_when_skipped(kind, make_auth):
    client = make_client(kind, make_auth(rate_limit={"enabled": True},
                                         advanced={"skip_trailing_slashes": True}))
    for _ in range(3):
        wrong_sign_in(client)
    res = client.post(SIGN_IN + "/", json={"email": "alice@example.com", "password": "x" * 9})
    assert res.status == 429


def test_the_limiter_works_from_its_collaborators_alone():
    # No AuthKit, no database: options, a clock and the client's address are all it uses.
    from authkit.config import RateLimitOptions

    now = [1000.0]
    limiter = RateLimiter(options=RateLimitOptions(enabled=True, window=60, max=2),
                          clock=lambda: now[0])
    request = Request(method="POST", path="/api/auth/sign-in/email", query_string="",
                      headers=Headers([]), body=b"", client="203.0.113.9")
    statuses = [limiter.check(request, "/sign-in/email") for _ in range(4)]
    assert statuses[:3] == [None, None, None]  # the built-in sign-in rule: 3 per 10 s
    assert statuses[3] is not None and statuses[3].status == 429
    now[0] += 10
    assert limiter.check(request, "/sign-in/email") is None
    assert RateLimiter(options=RateLimitOptions(enabled=True), is_routed=lambda m, p: False,
                       clock=lambda: now[0]).check(request, "/nowhere") is None
