"""A cookie-cache hit is answered on the event loop; everything else still goes to a thread.

The ASGI app is wrapped so that the running loop's default executor counts what is handed to
it: zero hand-offs for a cache hit, one for a request that needs the database.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from authkit import asgi
from authkit.hooks import Hooks
from authkit.loop_guard import BLOCKED, try_without_blocking

from .support.clients import HTTPClient, make_client
from .support.fixtures import sign_up

GS = "/api/auth/get-session"
CACHE = {"cookie_cache": {"enabled": True}}


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts submissions into a shared list."""

    def __init__(self, counter: list[int]) -> None:
        super().__init__(max_workers=2)
        self.counter = counter

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.counter.append(1)
        return super().submit(fn, *args, **kwargs)


def counting_client(auth: Any, monkeypatch: Any) -> tuple[HTTPClient, list[int]]:
    """An ASGI client whose every request runs on a loop with a counting executor (the
    loop's default one and the session reads' own alike)."""
    counter: list[int] = []
    inner = auth.asgi_app()
    current: list[CountingExecutor] = []
    monkeypatch.setattr(asgi, "read_executor", lambda: current[-1])

    async def app(scope: Any, receive: Any, send: Any) -> None:
        # asyncio.run gives every request a new loop, which shuts its executor down.
        executor = CountingExecutor(counter)
        current.append(executor)
        asyncio.get_running_loop().set_default_executor(executor)
        try:
            await inner(scope, receive, send)
        finally:
            executor.shutdown(wait=False)

    return HTTPClient("asgi", app), counter


def test_cache_hit_answered_on_the_loop_with_the_same_answer(make_auth: Any, monkeypatch: Any) -> None:
    auth = make_auth(session=CACHE)
    client, handed = counting_client(auth, monkeypatch)
    sign_up(client)
    assert any(k.endswith("session_data") for k in client.jar)
    handed.clear()
    hit = client.get(GS, use_jar=True)
    assert hit.status == 200 and hit.json["user"]["email"] == "alice@example.com"
    assert handed == []
    # The same request through the thread (the WSGI app) answers byte for byte the same.
    wsgi = make_client("wsgi", auth, jar=dict(client.jar))
    same = wsgi.get(GS, use_jar=False, headers={"Cookie": client.cookie_header()})
    assert (same.status, same.body) == (hit.status, hit.body)
    assert sorted((k.lower(), v) for k, v in same.headers) == sorted(hit.headers)


def test_database_reads_still_go_to_a_thread(make_auth: Any, monkeypatch: Any) -> None:
    auth = make_auth(session=CACHE)
    client, handed = counting_client(auth, monkeypatch)
    sign_up(client)
    handed.clear()
    # The cache bypassed: tried on the loop, stopped before the query, run in a thread.
    res = client.get(GS, query={"disableCookieCache": "true"})
    assert res.status == 200 and res.json["user"]["email"] == "alice@example.com"
    assert handed == [1]
    # No cache cookie: not tried on the loop at all.
    handed.clear()
    token_only = {k: v for k, v in client.jar.items() if k.endswith("session_token")}
    res = client.get(GS, use_jar=False,
                     headers={"Cookie": "; ".join(f"{k}={v}" for k, v in token_only.items())})
    assert res.status == 200 and res.json is not None
    assert handed == [1]


def test_user_hooks_keep_the_hand_off(make_auth: Any, monkeypatch: Any) -> None:
    seen: list[str] = []
    auth = make_auth(session=CACHE, hooks=Hooks(before=lambda ctx: seen.append(ctx.path)))
    client, handed = counting_client(auth, monkeypatch)
    sign_up(client)
    handed.clear()
    assert client.get(GS).status == 200
    assert handed == [1] and seen[-1] == "/get-session"


def test_rate_limit_counts_a_retried_request_once(make_auth: Any, monkeypatch: Any) -> None:
    auth = make_auth(session=CACHE, rate_limit={
        "enabled": True, "custom_rules": {"/get-session": {"window": 60, "max": 3}}})
    client, handed = counting_client(auth, monkeypatch)
    sign_up(client)
    handed.clear()
    # Each of these is tried on the loop, needs the database and is run again in a thread:
    # counted twice, the third would already be refused.
    statuses = [client.get(GS, query={"disableCookieCache": "true"}).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(handed) == 3  # the 429 is answered on the loop


def test_storage_calls_are_refused_inside_the_guard(make_auth: Any) -> None:
    auth = make_auth()
    assert try_without_blocking(lambda: auth.db.get_session_with_user("x")) is BLOCKED
    assert try_without_blocking(lambda: auth.storage.get_user_by_id("x")) is BLOCKED
    assert auth.db.get_session_with_user("x") is None  # outside it, as before


def test_a_plugin_hook_on_another_endpoint_keeps_the_loop(make_auth: Any, monkeypatch: Any) -> None:
    from authkit.plugins import admin

    # The admin plugin hooks list-sessions only: get-session is still answered on the loop.
    auth = make_auth(session=CACHE, plugins=[admin()])
    client, handed = counting_client(auth, monkeypatch)
    sign_up(client)
    handed.clear()
    assert client.get(GS).status == 200
    assert handed == []
