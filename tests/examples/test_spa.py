"""The FastAPI + single-page example in Chromium: the official better-auth client (served
from the reference's node_modules, better-auth 1.7.25) signs up, in and out against authkit,
and the page reads and writes the notes API with the session cookie."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import chromium, needs_chromium, wait_for
from tests.support.live_servers import Server, free_port, reference_dir, wait_ok

ROOT = Path(__file__).resolve().parents[2]
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def spa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    modules = reference_dir() / "node_modules"
    tmp = tmp_path_factory.mktemp("spa")
    port = free_port()
    env = {**os.environ, "AUTHKIT_SECRET": "spa-test-secret-0123456789-0123456789-xyz",
           "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp}/spa.db", "SPA_NODE_MODULES": str(modules),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "adapters"),
                                          os.environ.get("PYTHONPATH", "")])}
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, str(ROOT / "examples" / "fastapi_spa" / "app.py"),
                                "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ok(Server("spa", base, process, tmp / "server.log"))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_notes_api_needs_a_session(spa: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{spa}/api/notes")
    with info.value as error:
        assert error.code == 401 and json.loads(error.read())["code"] == "UNAUTHORIZED"
    for path in ("/vendor/../app.py", "/vendor/better-sqlite3/lib/index.js"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{spa}{path}")
        with info.value as error:
            assert error.code == 404


def test_single_page_with_the_official_client(spa: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    def visible(element_id: str) -> Any:
        return lambda d: d.find_element(By.ID, element_id).is_displayed()

    def fill(form_id: str, **values: str) -> None:
        form = browser.find_element(By.ID, form_id)
        for name, value in values.items():
            field = form.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def notes() -> list[str]:
        return [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#notes li")]

    with chromium(tmp_path / "profile") as browser:
        browser.get(spa + "/")
        wait_for(browser, visible("signed-out"), what="the signed-out view")
        fill("sign-up", name="Pat", email="pat@example.com", password="correct-horse-1")
        wait_for(browser, visible("signed-in"), what="the signed-in view")
        assert browser.find_element(By.ID, "who").text == "pat@example.com"

        fill("add-note", text="first note")
        wait_for(browser, lambda d: notes() == ["first note"], what="the note")
        browser.refresh()  # the session cookie survives a reload
        wait_for(browser, lambda d: notes() == ["first note"], what="the note after reload")

        browser.find_element(By.ID, "sign-out").click()
        wait_for(browser, visible("signed-out"), what="signed out")
        fill("sign-in", email="pat@example.com", password="wrong-password")
        wait_for(browser, visible("error"), what="the error")
        assert "Invalid email or password" in browser.find_element(By.ID, "error").text
        fill("sign-in", email="pat@example.com", password="correct-horse-1")
        wait_for(browser, visible("signed-in"), what="signed in again")
        wait_for(browser, lambda d: notes() == ["first note"], what="the notes")
        cookies = {c["name"]: c for c in browser.get_cookies()}
        assert cookies["better-auth.session_token"]["httpOnly"] is True


def test_a_write_from_another_site_is_refused(spa: str) -> None:
    body = json.dumps({"email": "x@example.com", "password": "pass-word-1",
                       "name": "X"}).encode()
    req = urllib.request.Request(f"{spa}/api/auth/sign-up/email", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as res:
        cookie = res.headers["Set-Cookie"].split(";", 1)[0]
    note = json.dumps({"text": "forged"}).encode()
    for origin, status in (("https://evil.example", 403), (spa, 201)):
        req = urllib.request.Request(f"{spa}/api/notes", data=note, method="POST", headers={
            "Content-Type": "application/json", "Cookie": cookie, "Origin": origin})
        try:
            with urllib.request.urlopen(req) as res:
                got = res.status
        except urllib.error.HTTPError as exc:
            with exc:
                got = exc.code
        assert got == status, origin
