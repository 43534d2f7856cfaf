"""User hooks, plugin hooks and database hooks (docs/wire-compatibility.md#endpoint-hooks,
docs/wire-compatibility.md#database-hooks), over HTTP and auth.api."""

import pytest
from sqlalchemy import create_engine, func, select

from authkit import APIError, Hooks
from authkit.hooks import HookMatcher
from authkit.plugins import Plugin

from .support.clients import make_client

SU = "/api/auth/sign-up/email"
BODY = {"email": "h@example.com", "password": "pass-word-1", "name": "Hook"}


def users(auth):
    with auth.storage.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(auth.tables.user)).scalar()


def via(channel, auth, kind):
    """Call sign-up over HTTP (status, json) or through auth.api (same shape)."""
    if channel == "http":
        res = make_client(kind, auth).post(SU, json=BODY)
        return res.status, res.json
    try:
        result = auth.api.sign_up_email(body=BODY)
        return 200, result.to_json() if hasattr(result, "to_json") else result
    except APIError as exc:
        return exc.status, exc.body


CHANNELS = ["http", "api"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_before_hook_rejects(channel, kind, make_auth):
    def before(ctx):
        if ctx.path == "/sign-up/email":
            raise APIError(400, "SIGN_UP_CLOSED", "Closed for the night")

    status, body = via(channel, make_auth(hooks=Hooks(before=before)), kind)
    assert status == 400 and body == {"message": "Closed for the night", "code": "SIGN_UP_CLOSED"}


@pytest.mark.parametrize("channel", CHANNELS)
def test_before_hook_changes_input(channel, kind, make_auth):
    def before(ctx):
        if ctx.path == "/sign-up/email":
            return {"context": {"body": {"name": ctx.raw_body["name"].upper()}}}

    status, body = via(channel, make_auth(hooks=Hooks(before=before)), kind)
    assert status == 200 and body["user"]["name"] == "HOOK"


@pytest.mark.parametrize("channel", CHANNELS)
def test_before_hook_short_circuits(channel, kind, make_auth):
    auth = make_auth(hooks=Hooks(before=lambda ctx: {"waitlisted": True}))
    status, body = via(channel, auth, kind) if channel == "http" else (
        200, auth.api.sign_up_email(body=BODY))
    assert status == 200 and body == {"waitlisted": True}
    assert users(auth) == 0


def test_before_hook_header_change_and_cookie_accumulate(kind, make_auth):
    def before(ctx):
        ctx.set_header("X-Seen", ctx.path)
        return {"context": {"headers": {"user-agent": "rewritten-agent"}}}

    auth = make_auth(hooks=Hooks(before=before))
    client = make_client(kind, auth)
    res = client.post(SU, json=BODY)
    assert res.header("x-seen") == "/sign-up/email"
    assert client.get("/api/auth/get-session").json["session"]["userAgent"] == "rewritten-agent"


@pytest.mark.parametrize("channel", CHANNELS)
def test_after_hook_sees_result_and_new_session_and_replaces(channel, kind, make_auth):
    seen = {}

    def after(ctx, result):
        if ctx.path == "/sign-up/email":
            seen["returned"] = ctx.returned is result
            seen["new_session"] = ctx.new_session.user.email if ctx.new_session else None
            return {"wrapped": result.to_json()["user"]["email"]}

    status, body = via(channel, make_auth(hooks=Hooks(after=after)), kind)
    assert status == 200 and body == {"wrapped": "h@example.com"}
    assert seen == {"returned": True, "new_session": "h@example.com"}


@pytest.mark.parametrize("channel", CHANNELS)
def test_after_hook_error_replaces_result_and_sees_errors(channel, kind, make_auth):
    errors = []

    def after(ctx, result):
        if isinstance(result, APIError):
            errors.append(result.code)
            return
        raise APIError(409, "AFTER_REFUSED", "refused after the fact")

    auth = make_auth(hooks=Hooks(after=after))
    status, body = via(channel, auth, kind)
    assert status == 409 and body["code"] == "AFTER_REFUSED"
    status, body = via(channel, auth, kind)  # now a duplicate: the hook sees the 422
    assert status == 422 and errors == ["USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"]


class Audit(Plugin):
    id = "audit"

    def __init__(self, log):
        self.log = log
        self.before = (HookMatcher(lambda ctx: ctx.path.startswith("/sign-up"),
                                   lambda ctx: self.log.append(("plugin-before", ctx.path))),)
        self.after = (HookMatcher(lambda ctx: True,
                                  lambda ctx, result: self.log.append(("plugin-after", ctx.path))),)


@pytest.mark.parametrize("channel", CHANNELS)
def test_plugin_hooks_run_after_user_hooks_and_only_when_matched(channel, kind, make_auth):
    log = []
    hooks = Hooks(before=lambda ctx: log.append(("user-before", ctx.path)),
                  after=lambda ctx, r: log.append(("user-after", ctx.path)))
    auth = make_auth(hooks=hooks, plugins=[Audit(log)])
    via(channel, auth, kind)
    assert log == [("user-before", "/sign-up/email"), ("plugin-before", "/sign-up/email"),
                   ("user-after", "/sign-up/email"), ("plugin-after", "/sign-up/email")]
    log.clear()
    auth.api.ok()
    assert log == [("user-before", "/ok"), ("user-after", "/ok"), ("plugin-after", "/ok")]


# -- database hooks -------------------------------------------------------------------------

@pytest.mark.parametrize("channel", CHANNELS)
def test_db_hook_changes_data(channel, kind, make_auth):
    hooks = {"user": {"create": {"before": lambda data, ctx: {"data": {"name": "Changed"}}}}}
    status, body = via(channel, make_auth(database_hooks=hooks), kind)
    assert status == 200 and body["user"]["name"] == "Changed"


@pytest.mark.parametrize("channel", CHANNELS)
def test_db_hook_veto_and_abort(channel, kind, make_auth):
    veto = {"user": {"create": {"before": lambda data, ctx: False}}}
    status, body = via(channel, make_auth(database_hooks=veto), kind)
    assert status == 400 and body["code"] == "FAILED_TO_CREATE_USER"

    def abort(data, ctx):
        raise APIError(403, "DOMAIN_NOT_ALLOWED", "Use your work email")

    auth = make_auth(database_hooks={"user": {"create": {"before": abort}}})
    status, body = via(channel, auth, kind)
    assert status == 403 and body["code"] == "DOMAIN_NOT_ALLOWED"
    assert users(auth) == 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_db_after_hooks_run_after_commit_and_not_on_rollback(channel, kind, make_auth, tmp_path):
    seen = []
    url = f"sqlite:///{tmp_path}/commit.db"
    probe = create_engine(url)

    def after_user(user, ctx):
        # A separate connection sees the row only once the transaction has committed.
        with probe.connect() as conn:
            seen.append(conn.execute(select(func.count()).select_from(
                auth.tables.user)).scalar())

    hooks = {"user": {"create": {"after": after_user}}}
    auth = make_auth(database=url, database_hooks=hooks)
    assert via(channel, auth, kind)[0] == 200
    assert seen == [1]
    seen.clear()
    vetoed = {"user": {"create": {"after": after_user}},
              "account": {"create": {"before": lambda d, c: False}}}
    auth2 = make_auth(database=f"sqlite:///{tmp_path}/rollback.db", database_hooks=vetoed)
    assert via(channel, auth2, kind)[0] == 400
    assert seen == []
    probe.dispose()


def test_db_session_hooks_on_sign_in_and_sign_out(kind, make_auth):
    events = []
    hooks = {"session": {
        "create": {"after": lambda s, ctx: events.append(("create", s.user_id))},
        "delete": {"before": lambda d, ctx: events.append(("delete", bool(d["token"])))},
    }}
    auth = make_auth(database_hooks=hooks)
    client = make_client(kind, auth)
    uid = client.post(SU, json=BODY).json["user"]["id"]
    client.post("/api/auth/sign-out")
    assert events == [("create", uid), ("delete", True)]


def test_db_after_hooks_stay_with_their_call_under_threads(make_auth):
    # ``auth.db`` is shared by every request thread (the ASGI path runs ``handle`` on a thread
    # pool). An after hook must run exactly once, on the thread whose write queued it: a ban
    # hook's error landing in another request, or a hook lost, would be silent corruption.
    # Several rounds, because a race shows itself in a fraction of them.
    import sys
    import threading

    from authkit.db import Database

    rounds, calls, workers, groups = 6, 250, 6, 40
    ran: list[tuple[str, str]] = []

    def after(record, ctx):
        ran.append((record["id"], threading.current_thread().name))

    # One hook group per plugin observing account writes, as an app with many plugins has.
    auth = make_auth()
    db = Database(auth.storage, [{"account": {"update": {"after": after}}}] * groups)

    def work(start: threading.Barrier) -> None:
        name = threading.current_thread().name
        start.wait()
        for i in range(calls):
            db.update_account(None, f"{name}:{i}", {"scope": None})

    expected = sorted(f"w{n}:{i}" for n in range(workers) for i in range(calls)
                      for _ in range(groups))
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(rounds):
            ran.clear()
            start = threading.Barrier(workers)
            threads = [threading.Thread(target=work, args=(start,), name=f"w{n}")
                       for n in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            strays = [(rid, thread) for rid, thread in ran if rid.split(":")[0] != thread]
            assert strays == []
            assert sorted(rid for rid, _ in ran) == expected
    finally:
        sys.setswitchinterval(old)
