"""The Swagger UI reference: served offline from swagger-ui-bundle, and `authkit serve`
with AUTHKIT_OPENAPI=on, opened in Chromium: it renders the operations and sends requests."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from authkit import ConfigError
from authkit.http import Headers, Request
from authkit.openapi import open_api
from authkit.openapi_viewer import assets_dir

from .support import fixtures
from .support.browser import chromium, needs_chromium, wait_for
from .support.fixtures import SECRET
from .support.live_servers import Server, authkit_server

clock, make_auth = fixtures.clock, fixtures.make_auth


def get(auth: Any, path: str) -> Any:
    return auth.handle(Request(method="GET", path=path, headers=Headers()))


def test_page_and_assets_are_served_from_the_package(make_auth):
    auth = make_auth(plugins=[open_api(viewer="swagger-ui")])
    page = get(auth, "/api/auth/reference")
    assert page.status == 200
    text = page.body.decode()
    assert 'data-spec="/api/auth/reference/openapi-3.0.json"' in text
    assert "/api/auth/reference/assets/swagger-ui-bundle.js" in text and "<script>" not in text
    headers = dict(page.headers)
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    bundle = get(auth, "/api/auth/reference/assets/swagger-ui-bundle.js")
    assert bundle.status == 200
    assert bundle.body == (assets_dir() / "swagger-ui-bundle.js").read_bytes()
    assert get(auth, "/api/auth/reference/assets/init.js").body.startswith(b"window.")
    for name in ("index.html", "..%2f..%2fsetup.py", "swagger-ui.js.map"):
        assert get(auth, f"/api/auth/reference/assets/{name}").status == 404
    document = json.loads(get(auth, "/api/auth/open-api/generate-schema").body)
    assert not any(p.startswith("/reference") for p in document["paths"])


def test_unknown_viewer_is_refused():
    with pytest.raises(ConfigError, match="'table' or 'swagger-ui'"):
        open_api(viewer="scalar")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("openapi")
    with authkit_server(tmp, database_url=f"sqlite:///{tmp}/o.db", secret=SECRET,
                        extra_env={"AUTHKIT_OPENAPI": "on"}) as server:
        yield server


def test_serve_with_openapi_on_serves_the_document(served: Server):
    with urllib.request.urlopen(f"{served.base_url}/api/auth/open-api/generate-schema") as res:
        document = json.loads(res.read())
    assert {"/sign-up/email", "/sign-in/email", "/get-session", "/sign-out",
            "/admin/list-users"} <= set(document["paths"])
    sign_up = document["paths"]["/sign-up/email"]["post"]
    assert "email" in sign_up["requestBody"]["content"]["application/json"]["schema"][
        "properties"]


@needs_chromium
def test_reference_page_renders_and_sends_requests(served: Server, tmp_path: Path):
    from selenium.webdriver.common.by import By

    with chromium(tmp_path / "profile") as browser:
        browser.get(f"{served.base_url}/api/auth/reference")
        wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"),
                 what="the operations")
        text = browser.find_element(By.TAG_NAME, "body").text
        assert "/sign-up/email" in text and "/get-session" in text
        # Open GET /ok, try it out, execute: the browser sends the request.
        block = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".opblock-get")
                     if b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").text == "/ok")
        block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        wait_for(browser, lambda d: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"),
                 what="Try it out")
        block.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
        wait_for(browser, lambda d: block.find_elements(By.CSS_SELECTOR, ".execute"),
                 what="Execute")
        block.find_element(By.CSS_SELECTOR, ".execute").click()
        answer = wait_for(
            browser, lambda d: [e for e in block.find_elements(
                By.CSS_SELECTOR, ".responses-table .response-col_description pre")
                if '"ok": true' in e.text],
            what="the response")
        assert answer
        # The error codes are part of what the page renders.
        sign_in = next(b for b in browser.find_elements(By.CSS_SELECTOR, ".opblock-post")
                       if b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").text
                       == "/sign-in/email")
        sign_in.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        wait_for(browser, lambda d: "INVALID_EMAIL_OR_PASSWORD" in sign_in.text,
                 what="the error codes")


def test_document_for_the_viewer_is_openapi_30(make_auth):
    from authkit.openapi_viewer import downgrade

    auth = make_auth(plugins=[open_api(viewer="swagger-ui")])
    document = json.loads(get(auth, "/api/auth/reference/openapi-3.0.json").body)
    assert document["openapi"] == "3.0.3"
    text = json.dumps(document)
    assert '{"type": "null"}' not in text and '"const"' not in text
    assert downgrade({"anyOf": [{"type": "string"}, {"type": "null"}], "title": "T"}) == {
        "type": "string", "nullable": True, "title": "T"}
    assert downgrade({"type": ["integer", "null"], "exclusiveMinimum": 0}) == {
        "type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True}
    assert downgrade({"const": "x"}) == {"enum": ["x"]}


def test_security_log_lines_carry_a_timestamp_and_level(served: Server):
    body = json.dumps({"email": "log@example.com", "password": "pass-word-1",
                       "name": "L"}).encode()
    req = urllib.request.Request(f"{served.base_url}/api/auth/sign-up/email", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as res:
        assert res.status == 200
    import re
    import time

    pattern = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO authkit: sign_up ",
                         re.MULTILINE)
    deadline = time.monotonic() + 10
    while not pattern.search(served.log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)  # the server process writes its log asynchronously
    assert pattern.search(served.log.read_text()), served.log_tail()
