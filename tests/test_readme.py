"""The README is run, not just read: its FastAPI, Flask and raw WSGI snippets, its curl
flow, its path-pattern table, its endpoint list, its contents and its set-up commands.

A snippet is a fenced block whose first line is ``# README: <name>``; each is written to a
file and run in a fresh folder exactly as a user would paste it, then driven over HTTP.
"""

from __future__ import annotations

import asyncio
import re
import runpy
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authkit.middleware import compile_pattern

from .support.fixtures import SECRET
from .support.live_servers import Server, authkit_server

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def snippet(name: str) -> str:
    found = [code for _, code in BLOCK.findall(README)
             if code.startswith(f"# README: {name}\n")]
    assert len(found) == 1, f"README has {len(found)} snippets named {name}"
    return found[0]


def run_snippet(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(folder)
    path = folder / f"readme_{name}.py"
    path.write_text(snippet(name))
    return runpy.run_path(str(path), run_name=f"readme_{name}")


def asgi(app: Any, method: str, path: str, **kw: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport,
                                     base_url="http://localhost:8000") as client:
            return await client.request(method, path, **kw)

    return asyncio.run(go())


SIGN_UP = {"email": "ann@example.com", "password": "pass-word-1", "name": "Ann"}
HTML = {"Accept": "text/html"}


def make_admin(auth: Any, email: str) -> None:
    user = auth.storage.get_user_by_email(email)
    auth.storage.update_user(user.id, {"role": "admin"})


def test_fastapi_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = run_snippet("fastapi", tmp_path, monkeypatch)
    app, auth = ns["app"], ns["auth"]
    refused = asgi(app, "GET", "/me", headers={"Accept": "application/json"})
    assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED"
    res = asgi(app, "POST", "/api/auth/sign-up/email", json=SIGN_UP)
    assert res.status_code == 200, res.text
    cookie = res.headers["set-cookie"].split(";", 1)[0]
    me = asgi(app, "GET", "/me", headers={"Cookie": cookie})
    assert me.json() == {"email": "ann@example.com"}
    assert asgi(app, "GET", "/admin/stats", headers={"Cookie": cookie}).status_code == 403
    make_admin(auth, "ann@example.com")
    stats = asgi(app, "GET", "/admin/stats", headers={"Cookie": cookie})
    assert stats.json() == {"admin": "ann@example.com"}
    schemes = asgi(app, "GET", "/openapi.json").json()["components"]["securitySchemes"]
    assert {"sessionCookie", "bearerAuth"} <= set(schemes)


def test_flask_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = run_snippet("flask", tmp_path, monkeypatch)
    client = ns["app"].test_client()
    res = client.get("/dashboard", headers=HTML)
    assert res.status_code == 302
    assert res.headers["Location"] == "/sign-in?callbackURL=%2Fdashboard"
    assert client.post("/api/auth/sign-up/email", json=SIGN_UP).status_code == 200
    assert client.get("/dashboard").get_data(as_text=True) == "hello ann@example.com"
    assert client.get("/admin", headers=HTML).status_code == 403
    make_admin(ns["auth"], "ann@example.com")
    assert client.get("/admin").get_data(as_text=True) == "admins only"


def test_wsgi_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from webtest import TestApp

    ns = run_snippet("wsgi", tmp_path, monkeypatch)
    client = TestApp(ns["app"])
    assert client.get("/", status=401).text == "please sign in"
    client.post_json("/api/auth/sign-up/email", SIGN_UP)
    assert client.get("/").text == "hello ann@example.com"


def test_path_pattern_table_is_true() -> None:
    section = README[README.index("### Path patterns"):README.index("### Examples")]
    rows = re.findall(r"^\| `([^`]+)` \| (.*?) \| (.*?) \|$", section, re.MULTILINE)
    assert len(rows) >= 6
    for pattern, matches, misses in rows:
        regex = compile_pattern(pattern)
        for path in re.findall(r"`([^`]+)`", matches):
            assert regex.match(path), (pattern, path)
        for path in re.findall(r"`([^`]+)`", misses):
            assert not regex.match(path), (pattern, path)


def test_endpoint_list_names_every_endpoint_of_authkit_serve(monkeypatch) -> None:
    from authkit import AuthKit

    auth = AuthKit.from_env({"AUTHKIT_SECRET": SECRET, "AUTHKIT_DATABASE_URL": "sqlite://"})
    listed = set(re.findall(r"^\| `(GET|POST) (/[^`]*)` \|", README, re.MULTILINE))
    routed = {(ep.method, ep.path) for ep in auth.registry if ep.path}
    assert routed <= listed, sorted(routed - listed)


def test_contents_link_every_section() -> None:
    toc = README[README.index("## Contents"):README.index("## Install")]
    for heading in re.findall(r"^## (.+)$", README, re.MULTILINE):
        if heading == "Contents":
            continue
        anchor = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        assert f"(#{anchor})" in toc, heading


def test_set_up_commands_and_ci_run_the_same_test_command() -> None:
    assert "pip install -e '.[server]' && authkit serve" in README
    test_command = "pip install -q -e '.[all]' && python -m pytest"
    assert test_command in README
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith(test_command)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("readme")
    with authkit_server(tmp, database_url=f"sqlite:///{tmp}/r.db", secret=SECRET) as server:
        yield server


def test_curl_flow_runs_as_written(served: Server, tmp_path: Path) -> None:
    block = next(code for kind, code in BLOCK.findall(README)
                 if kind == "sh" and code.startswith("ORIGIN=http://127.0.0.1:3000\n"))
    script = block.replace("ORIGIN=http://127.0.0.1:3000", f"ORIGIN={served.base_url}", 1)
    lines = [line for line in script.replace("\\\n", "").splitlines() if line.strip()]
    answers = []
    env = {"PATH": "/usr/bin:/bin"}
    for i in range(2, len(lines)):
        # Each curl on its own, with the two variable lines in front: one answer each.
        out = subprocess.run(["bash", "-c", "\n".join([*lines[:2], lines[i]])], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=30, check=False)
        assert out.returncode == 0, out.stderr
        answers.append(out.stdout)
    sign_up, sign_in, session, sign_out, after = answers
    assert '"email":"ann@example.com"' in sign_up and '"token":' in sign_in
    assert '"session":{' in session and sign_out == '{"success":true}' and after == "null"
    # Without the Origin header the same sign-out is refused, as the README says.
    subprocess.run(["bash", "-c", "\n".join([*lines[:2], lines[3]])], cwd=tmp_path, env=env,
                   check=True, capture_output=True, timeout=30)
    refused = subprocess.run(
        ["bash", "-c", "\n".join([*lines[:2], lines[5].replace(' -H "Origin: $ORIGIN"', "")])],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert '"code":"MISSING_OR_NULL_ORIGIN"' in refused.stdout
