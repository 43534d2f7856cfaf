"""auth.health() and the health endpoint of `authkit serve` (issue 5 item 6)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import httpx
import pytest

from authkit.health import HealthApp
from authkit.secondary import MemoryStorage
from authkit.storage import StorageUnavailable

from .support.fixtures import SECRET
from .support.live_servers import authkit_server


def test_health_reports_the_database(make_auth: Any) -> None:
    report = make_auth(secondary_storage=None).health()
    assert report["status"] == "ok" and report["database"]["status"] == "ok"
    assert report["database"]["latency_ms"] >= 0
    assert "secondary_storage" not in report


def test_health_reports_secondary_storage_when_configured(make_auth: Any) -> None:
    report = make_auth(secondary_storage=MemoryStorage()).health()
    assert report["secondary_storage"]["status"] == "ok"


def test_health_never_reads_users(auth: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("health read a user")

    for name in ("get_user_by_id", "get_user_by_email", "list_users", "count_users"):
        monkeypatch.setattr(auth.storage, name, refuse)
    assert auth.health()["status"] == "ok"


def test_database_down_is_an_error(make_auth: Any, monkeypatch: pytest.MonkeyPatch,
                                   caplog: pytest.LogCaptureFixture) -> None:
    auth = make_auth(secondary_storage=None)

    def down() -> None:
        raise StorageUnavailable("the database is unavailable")

    monkeypatch.setattr(auth.storage, "ping", down)
    assert auth.health() == {"status": "error", "database": {"status": "error"}}
    assert "StorageUnavailable" in caplog.text


def serve(app: Any, path: str, **headers: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def test_health_app_answers_text_or_json_and_passes_the_rest(
        auth: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = HealthApp(auth.asgi_app(), auth, "/health")
    res = serve(app, "/health")
    assert (res.status_code, res.text) == (200, "ok")
    assert res.headers["cache-control"] == "no-store"
    res = serve(app, "/health", accept="application/json")
    assert res.json()["database"]["status"] == "ok"
    assert serve(app, "/api/auth/ok").json() == {"ok": True}
    monkeypatch.setattr(auth.storage, "ping", lambda: (_ for _ in ()).throw(
        StorageUnavailable("down")))
    res = serve(app, "/health")
    assert (res.status_code, res.text) == (503, "unavailable")


def test_serve_exposes_health_at_the_configured_path(tmp_path: Any) -> None:
    with authkit_server(tmp_path, database_url=f"sqlite:///{tmp_path}/h.db", secret=SECRET,
                        extra_env={"AUTHKIT_HEALTH_PATH": "/healthz"}) as server:
        with urllib.request.urlopen(server.base_url + "/healthz") as res:
            assert res.status == 200 and res.read() == b"ok"
        req = urllib.request.Request(server.base_url + "/healthz",
                                     headers={"Accept": "application/json"})
        with urllib.request.urlopen(req) as res:
            assert json.loads(res.read())["status"] == "ok"
