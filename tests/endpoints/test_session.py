"""GET /get-session and POST /sign-out (docs/wire-compatibility.md#get-session,
docs/wire-compatibility.md#sign-out, docs/wire-compatibility.md#session-semantics;
docs/security.md#sessions, 16, 17, 25, 92)."""

import itertools
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from authkit.plugins import bearer
from authkit.tokens import SecretList, sign

from ..support.clients import make_client, parse_set_cookie
from ..support.fixtures import Clock, sign_up
from ..support.race import run_together

GS = "/api/auth/get-session"
NAME = "better-auth.session_token"


def test_no_cookie_is_null_and_no_store(client):
    res = client.get(GS)
    assert res.status == 200 and res.body == b"null"
    assert res.header("cache-control") == "no-store" and res.header("pragma") == "no-cache"


def test_valid_session_shape(client):
    token = sign_up(client).json["token"]
    res = client.get(GS)
    body = res.json
    assert list(body) == ["session", "user"]
    assert body["session"]["token"] == token
    assert set(body["session"]) >= {"id", "token", "userId", "expiresAt", "createdAt",
                                    "updatedAt", "ipAddress", "userAgent"}
    assert body["session"]["ipAddress"] == "127.0.0.1"
    assert not res.set_cookies


@pytest.mark.parametrize("tamper", [
    lambda v: ("B" if v[0] != "B" else "C") + v[1:],
    lambda v: v[:40] + ("x" if v[40] != "x" else "y") + v[41:],
    lambda v: v.split(".")[0],
    lambda v: v.replace("%2B", "-").replace("%2F", "_").replace("%3D", ""),  # URL-safe b64
])
def test_tampered_cookie_is_null_and_clears_nothing(client, tamper):  # docs/security.md#sessions
    sign_up(client)
    client.jar[NAME] = tamper(client.jar[NAME])
    res = client.get(GS)
    assert res.body == b"null" and not res.set_cookies


def test_cookie_signed_with_other_secret_is_null(client):  # docs/security.md#sessions
    token = sign_up(client).json["token"]
    other = SecretList(["another-secret-another-secret-another-secret"])
    client.jar[NAME] = quote(sign(token, other), safe="")
    assert client.get(GS).body == b"null"


def test_unknown_token_clears_cookies(client, auth):
    sign_up(client)
    client.jar[NAME] = quote(sign("Z" * 32, auth.secrets), safe="")
    res = client.get(GS)
    assert res.body == b"null"
    assert sorted(c.split("=")[0] for c in res.set_cookies) == [
        "better-auth.dont_remember", "better-auth.session_data", NAME]


def test_expired_session_deletes_row_and_clears(client, auth, clock):
    token = sign_up(client).json["token"]
    clock.advance(604800 + 1)
    res = client.get(GS)
    assert res.body == b"null"
    assert parse_set_cookie(res.cookie(NAME))["max-age"] == "0"
    assert auth.storage.get_session(token) is None


def test_sliding_refresh(kind, make_auth, clock):  # docs/security.md#sessions
    auth = make_auth(session={"expires_in": 120, "update_age": 60})
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    first = client.get(GS).json["session"]["expiresAt"]
    clock.advance(30)
    res = client.get(GS)
    assert not res.set_cookies and res.json["session"]["expiresAt"] == first
    clock.advance(31)
    res = client.get(GS)
    cookie = parse_set_cookie(res.cookie(NAME))
    assert cookie["max-age"] == "120"
    assert res.json["session"]["token"] == token
    assert res.json["session"]["expiresAt"] > first
    assert auth.storage.get_session(token).expires_at == auth.now() + timedelta(seconds=120)


def test_dont_remember_never_slides(kind, make_auth, clock):  # docs/security.md#sessions, docs/wire-compatibility.md#remember-me
    auth = make_auth(session={"expires_in": 120, "update_age": 0})
    client = make_client(kind, auth)
    sign_up(client, rememberMe=False)
    before = client.get(GS).json["session"]["expiresAt"]
    clock.advance(3600)
    res = client.get(GS)
    assert res.json["session"]["expiresAt"] == before and not res.set_cookies
    clock.advance(86400 - 3600 + 1)
    assert client.get(GS).body == b"null"  # ended within 24 h of creation


def test_disable_refresh_quirk_false_string_means_true(kind, make_auth, clock):
    auth = make_auth(session={"expires_in": 120, "update_age": 0})
    client = make_client(kind, auth)
    sign_up(client)
    clock.advance(5)
    res = client.get(GS, query={"disableRefresh": "false"})
    assert not res.set_cookies
    assert client.get(GS).set_cookies


def test_absolute_max_age(kind, make_auth, clock):  # docs/security.md#sessions
    auth = make_auth(session={"expires_in": 3600, "update_age": 0, "absolute_max_age": 7200})
    client = make_client(kind, auth)
    sign_up(client)
    for _ in range(3):
        clock.advance(1800)
        assert client.get(GS).json is not None
    clock.advance(1801)
    assert client.get(GS).body == b"null"


def test_no_absolute_cap_by_default(kind, make_auth, clock):  # docs/security.md#sessions, documented behaviour
    auth = make_auth()
    client = make_client(kind, auth)
    sign_up(client)
    for _ in range(30):
        clock.advance(86400)
        assert client.get(GS).json is not None


def test_post_get_session_needs_defer(client):
    res = client.post(GS, origin=False, use_jar=False)
    assert res.status == 405
    assert res.json["code"] == "METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED"
    sign_up(client)
    res = client.post(GS, origin=False)
    assert res.status == 403 and res.json["code"] == "MISSING_OR_NULL_ORIGIN"


def test_unprefixed_cookie_is_ignored_under_secure_prefix(kind, make_auth):  # docs/security.md#cookies
    auth = make_auth(base_url="https://auth.example.com")
    client = make_client(kind, auth, origin="https://auth.example.com")
    token = sign_up(client).json["token"]
    value = client.jar.pop("__Secure-" + NAME)
    client.jar[NAME] = value
    assert client.get(GS).body == b"null"
    client.jar.clear()
    cookie = f'=__Secure-{NAME}={value}; "__Secure-{NAME}"={value}'
    assert client.get(GS, headers={"Cookie": cookie}, use_jar=False).body == b"null"
    assert token


def test_sign_out_deletes_and_clears(client, auth):
    token = sign_up(client).json["token"]
    res = client.post("/api/auth/sign-out")
    assert res.status == 200 and res.json == {"success": True}
    assert sorted(c.split("=")[0] for c in res.set_cookies) == [
        "better-auth.dont_remember", "better-auth.session_data", NAME]
    assert all("Max-Age=0" in c for c in res.set_cookies)
    assert auth.storage.get_session(token) is None
    assert client.get(GS).body == b"null"


def test_sign_out_without_session_still_succeeds(client):
    res = client.post("/api/auth/sign-out", origin=False)
    assert res.status == 200 and res.json == {"success": True}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_safe_methods_never_sign_out(client, auth, method):  # docs/security.md#origins-and-csrf
    token = sign_up(client).json["token"]
    res = client.request(method, "/api/auth/sign-out")
    assert res.status == 404 and res.body == b""
    assert auth.storage.get_session(token) is not None


class TickingClock(Clock):
    """A controlled clock that moves 1 s on every reading: racing refreshes each compute
    their own expiry, so a late write of an earlier one would show as the row moving back."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += 1
            return self.now


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


REFRESHERS = 50


def refresh_rounds(kind: str) -> int:
    """docs/security.md#testing asks for 20 runs of each race; ASGI shares the code path, so
    fewer."""
    return 20 if kind == "wsgi" else 5


def test_concurrent_refresh_is_consistent(db_url, kind, make_auth):  # docs/security.md#concurrency
    """50 parallel GET /get-session with one cookie and update_age=0, on SQL storage (no
    secondary storage), 20 rounds (5 over ASGI): all 200 with the session (never 401
    FAILED_TO_GET_SESSION), one row, and its expiresAt never moves backwards: after each
    round it is the latest expiry any answer reported, and later than the round before."""
    auth = make_auth(database=db_url, session={"update_age": 0}, clock=TickingClock(),
                     secondary_storage=None)
    assert auth.secondary_storage is None
    token = sign_up(make_client(kind, auth)).json["token"]
    user_id = auth.storage.get_session(token).user_id
    cookie = make_client(kind, auth)
    cookie.jar[NAME] = quote(sign(token, auth.secrets), safe="")
    header = cookie.cookie_header()
    previous = _utc(auth.storage.get_session(token).expires_at)

    def refresh():
        res = make_client(kind, auth).get(GS, headers={"Cookie": header}, use_jar=False)
        return res.status, res.json

    for round_no in range(refresh_rounds(kind)):
        answers = run_together(refresh, REFRESHERS)
        assert [status for status, _ in answers] == [200] * REFRESHERS, (round_no, answers)
        assert all(body is not None and body["session"]["token"] == token
                   and body["user"]["id"] == user_id for _, body in answers), round_no
        seen = [_iso(body["session"]["expiresAt"]) for _, body in answers]
        rows = auth.storage.list_user_sessions(user_id)
        assert len(rows) == 1 and rows[0].token == token, round_no
        stored = _utc(rows[0].expires_at)
        assert stored == max(seen), (round_no, stored, max(seen))
        assert min(seen) > previous, round_no  # every answer extended the last round's expiry
        previous = stored


def test_a_late_refresh_never_moves_the_expiry_back(db_url, kind, make_auth, clock):  # docs/security.md#concurrency
    """The interleaving the race above looks for, made deterministic: a refresh that computed
    its expiry earlier commits after one that computed a later expiry → nothing is written,
    the row keeps the later expiry and is what the late refresh answers."""
    late = {}

    def commit_after_a_later_refresh(data, ctx):
        if not late:
            late["expiry"] = data["expiresAt"]
            later = data["expiresAt"] + timedelta(seconds=30)
            late["later"] = auth.db.update_session(None, token, {"expiresAt": later},
                                                   extend_only=True)

    auth = None
    auth = make_auth(database=db_url, session={"update_age": 0}, secondary_storage=None,
                     database_hooks={"session": {"update": {
                         "before": commit_after_a_later_refresh}}})
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    clock.advance(10)
    res = client.get(GS)
    assert res.status == 200
    stored = _utc(auth.storage.get_session(token).expires_at)
    assert stored == _utc(late["expiry"]) + timedelta(seconds=30)
    assert _utc(late["later"].expires_at) == stored
    assert _iso(res.json["session"]["expiresAt"]) == stored


def test_sign_out_racing_refreshes_stays_deleted(db_url, kind, make_auth):  # docs/security.md#concurrency
    """A sign-out released together with 49 refreshes (update_age=0, SQL storage): the row
    stays deleted (a refresh is an UPDATE, never an upsert) and the cookie reads as null;
    each refresh answers the session, null, or 401 FAILED_TO_GET_SESSION, never a 5xx."""
    auth = make_auth(database=db_url, session={"update_age": 0}, clock=TickingClock(),
                     secondary_storage=None)
    for round_no in range(refresh_rounds(kind)):
        client = make_client(kind, auth)
        token = sign_up(client, email=f"racer{round_no}@example.com").json["token"]
        user_id = auth.storage.get_session(token).user_id
        header = client.cookie_header()
        counter = itertools.count()
        lock = threading.Lock()

        def call(header=header, counter=counter, lock=lock):
            with lock:
                first = next(counter) == 0
            racer = make_client(kind, auth)
            if first:
                res = racer.post("/api/auth/sign-out", headers={"Cookie": header},
                                 use_jar=False)
                return "sign-out", res.status, res.json
            res = racer.get(GS, headers={"Cookie": header}, use_jar=False)
            return "get-session", res.status, res.json

        answers = run_together(call, REFRESHERS)
        assert ("sign-out", 200, {"success": True}) in answers, (round_no, answers)
        for what, status, body in answers:
            if what == "get-session":
                assert (status == 200 and (body is None or body["session"]["token"] == token)
                        or (status, body) == (401, {"message": "Failed to get session",
                                                    "code": "FAILED_TO_GET_SESSION"})), \
                    (round_no, status, body)
        assert auth.storage.get_session(token) is None, round_no
        assert auth.storage.list_user_sessions(user_id) == [], round_no
        res = client.get(GS)
        assert res.status == 200 and res.body == b"null", round_no
        assert auth.storage.get_session(token) is None, round_no


def test_bearer_token(kind, make_auth):
    auth = make_auth(plugins=[bearer()])
    client = make_client(kind, auth)
    res = sign_up(client)
    signed = res.header("set-auth-token")
    assert signed and signed.startswith(res.json["token"] + ".")
    assert "set-auth-token" in res.header("access-control-expose-headers")
    client.jar.clear()
    for value in (signed, res.json["token"], quote(signed, safe="")):
        for scheme in ("Bearer", "bearer"):
            got = client.get(GS, headers={"Authorization": f"{scheme} {value}"})
            assert got.json["session"]["token"] == res.json["token"]
    assert client.get(GS, headers={"Authorization": "Bearer nope.bad="}).body == b"null"


def test_refresh_finding_no_row_is_401_failed_to_get_session(kind, make_auth, clock):
    """docs/wire-compatibility.md#get-session: the session is signed out elsewhere between the read
    and the sliding
    update; the update finds no row → 401 FAILED_TO_GET_SESSION and the cookies cleared."""
    auth = None

    def signed_out_meanwhile(data, ctx):
        auth.storage.delete_session(token)

    auth = make_auth(session={"update_age": 0},
                     database_hooks={"session": {"update": {"before": signed_out_meanwhile}}})
    client = make_client(kind, auth)
    token = sign_up(client).json["token"]
    clock.advance(10)
    res = client.get(GS)
    assert res.status == 401
    assert res.json == {"message": "Failed to get session", "code": "FAILED_TO_GET_SESSION"}
    assert parse_set_cookie(res.cookie(NAME))["max-age"] == "0"
    assert client.get(GS).body == b"null"


def test_unexpected_failure_is_500_failed_to_get_session(kind, make_auth, clock, caplog):
    """docs/wire-compatibility.md#get-session: a failure that is no APIError (a database error, a
    hook's bug) is 500
    FAILED_TO_GET_SESSION; the cause is logged, never sent."""
    def broken(data, ctx):
        raise RuntimeError("secret internals")

    auth = make_auth(session={"update_age": 0},
                     database_hooks={"session": {"update": {"before": broken}}})
    client = make_client(kind, auth)
    sign_up(client)
    clock.advance(10)
    with caplog.at_level("ERROR", logger="authkit"):
        res = client.get(GS)
    assert res.status == 500
    assert res.json == {"message": "Failed to get session", "code": "FAILED_TO_GET_SESSION"}
    assert b"secret" not in res.body and "secret internals" in caplog.text


def test_cookie_of_another_secret_sets_no_cookie(client):  # docs/security.md#sessions
    token = sign_up(client).json["token"]
    other = SecretList(["another-secret-another-secret-another-secret"])
    client.jar[NAME] = quote(sign(token, other), safe="")
    res = client.get(GS)
    assert res.body == b"null" and not res.set_cookies  # a bad signature clears nothing


def test_repeated_session_cookie_first_wins(kind, make_auth):  # docs/security.md#cookies
    """Two session cookies of one name (cookie tossing): the first is read, on WSGI and ASGI
    alike, the documented rule; the second never replaces it."""
    auth = make_auth()
    alice, bob = make_client(kind, auth), make_client(kind, auth)
    sign_up(alice)
    sign_up(bob, email="bob@example.com", name="Bob")
    a, b = alice.jar[NAME], bob.jar[NAME]
    for first, second, owner in ((a, b, "alice@example.com"), (b, a, "bob@example.com")):
        res = alice.get(GS, headers={"Cookie": f"{NAME}={first}; {NAME}={second}"},
                        use_jar=False)
        assert res.json["user"]["email"] == owner
    res = alice.get(GS, headers={"Cookie": f"{NAME}=forged; {NAME}={a}"}, use_jar=False)
    assert res.body == b"null" and not res.set_cookies


def test_cookies_split_over_several_headers_are_all_read(make_auth):
    """HTTP/2 lets a client send each cookie in its own ``cookie`` field (RFC 9113 §8.2.3);
    an ASGI server hands them on as separate headers. All are read, in order."""
    import asyncio

    import httpx

    auth = make_auth()
    client = make_client("asgi", auth)
    sign_up(client)
    split = [("cookie", "theme=dark"), ("cookie", f"{NAME}={client.jar[NAME]}")]

    async def over_asgi() -> httpx.Response:
        transport = httpx.ASGITransport(app=auth.asgi_app())
        async with httpx.AsyncClient(transport=transport,
                                     base_url="http://localhost:3000") as http:
            return await http.get(GS, headers=split)

    res = asyncio.run(over_asgi())
    assert res.json()["user"]["email"] == "alice@example.com"
    session = auth.api.get_session(headers=split)  # the same list in-process
    assert session is not None and session.user.email == "alice@example.com"
