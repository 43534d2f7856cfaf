"""A real browser on both examples: headless Debian Chromium driven by Selenium.

Each example runs with its README's one command in a subprocess on a free localhost port.
The browser signs up, lands on the dashboard, reloads (the session is kept), is refused the
admin page, signs out, and is sent from the dashboard to the sign-in page. Skips with the
reason when Chromium, ChromeDriver or Selenium is missing (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import needs_chromium, wait_for

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0  # seconds for the example server to accept connections

pytestmark = needs_chromium


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the example exited early with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)  # waiting for a server to start, not for time to pass
    raise RuntimeError(f"the example did not listen on port {port} in {STARTUP_TIMEOUT}s")


@contextmanager
def run_example(example: str, tmp_path: Path, port: int,
                env: Mapping[str, str] | None = None) -> Iterator[None]:
    """``examples/<example>/app.py --port <port>`` (its README command) on a fresh SQLite
    database in ``tmp_path``, with ``env`` over the defaults; stopped on exit."""
    full = {**os.environ, "AUTHKIT_SECRET": "browser-test-secret-0123456789-0123456789",
            "AUTHKIT_DATABASE_URL": f"sqlite:///{tmp_path}/example.db",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "adapters"),
                                           os.environ.get("PYTHONPATH", "")]),
            **(env or {})}
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / example / "app.py"), "--port", str(port)],
        env=full, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(params=["flask", "starlette"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One example, started with its README command, on a fresh SQLite database."""
    port = free_port()
    with run_example(str(request.param), tmp_path, port,
                     {"EXAMPLE_ADMIN_EMAILS": "boss@example.com"}):
        yield f"http://127.0.0.1:{port}"


def path_of(driver: Any, base: str) -> str:
    url: str = driver.current_url
    assert url.startswith(base), url
    return url[len(base):]


def submit_and_wait(driver: Any, element_id: str, base: str, expected_path: str) -> None:
    """Click and wait for the navigation: a click returns before the next page loads."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.ID, element_id).click()
    try:
        WebDriverWait(driver, 30).until(lambda d: d.current_url == base + expected_path)
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text
        pytest.fail(f"expected {expected_path}, still on {driver.current_url}: {body[:500]}")


def test_sign_up_reload_sign_out(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/sign-up")
    browser.find_element(By.NAME, "name").send_keys("Browser Ann")
    browser.find_element(By.NAME, "email").send_keys("ann@example.com")
    browser.find_element(By.NAME, "password").send_keys("correct-horse-1")
    submit_and_wait(browser, "submit", server, "/dashboard")
    welcome = browser.find_element(By.ID, "welcome").text
    assert "Browser Ann" in welcome and "ann@example.com" in welcome

    browser.refresh()
    assert path_of(browser, server) == "/dashboard"
    assert "Browser Ann" in browser.find_element(By.ID, "welcome").text

    assert not browser.find_elements(By.ID, "admin-link")  # not an admin: no link
    browser.get(server + "/admin/users")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    browser.find_element(By.ID, "back").click()
    wait_for(browser, lambda d: d.current_url == server + "/dashboard", what="the dashboard")
    # People-friendly times and the session's IP on the dashboard.
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC",
                        browser.find_element(By.ID, "signed-in").text)
    assert browser.find_element(By.ID, "ip").text == "127.0.0.1"

    browser.get(server + "/dashboard")
    submit_and_wait(browser, "sign-out", server, "/")
    browser.get(server + "/dashboard")
    assert path_of(browser, server) == "/sign-in?callbackURL=%2Fdashboard"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"

    # Signing in from there comes back to the dashboard.
    browser.find_element(By.NAME, "email").send_keys("ann@example.com")
    browser.find_element(By.NAME, "password").send_keys("correct-horse-1")
    submit_and_wait(browser, "submit", server, "/dashboard")


def test_admin_page_lists_searches_bans_and_impersonates(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    def sign_up_as(name: str, email: str) -> None:
        browser.get(server + "/sign-up")
        browser.find_element(By.NAME, "name").send_keys(name)
        browser.find_element(By.NAME, "email").send_keys(email)
        browser.find_element(By.NAME, "password").send_keys("correct-horse-1")
        submit_and_wait(browser, "submit", server, "/dashboard")
        browser.get(server + "/dashboard")
        submit_and_wait(browser, "sign-out", server, "/")

    sign_up_as("Bob", "bob@example.com")
    browser.get(server + "/sign-up")
    browser.find_element(By.NAME, "name").send_keys("Boss")
    browser.find_element(By.NAME, "email").send_keys("boss@example.com")
    browser.find_element(By.NAME, "password").send_keys("correct-horse-1")
    submit_and_wait(browser, "submit", server, "/dashboard")
    click_and_wait_first = browser.find_element(By.ID, "admin-link")
    click_and_wait_first.click()
    wait_for(browser, lambda d: d.current_url == server + "/admin/users", what="the admin page")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Users"
    emails = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#users td.email")]
    assert sorted(emails) == ["bob@example.com", "boss@example.com"]
    assert browser.find_element(By.ID, "user-count").text == "2 users."

    search = browser.find_element(By.NAME, "q")
    search.send_keys("bob")
    submit_and_wait(browser, "search", server, "/admin/users?q=bob")
    rows = browser.find_elements(By.CSS_SELECTOR, "#users tr[data-email]")
    assert [r.get_attribute("data-email") for r in rows] == ["bob@example.com"]

    def bob_row() -> Any:
        return browser.find_element(By.CSS_SELECTOR, 'tr[data-email="bob@example.com"]')

    def click_and_wait(element: Any) -> None:
        # A click returns before the next page loads: wait for this page to go away.
        from selenium.webdriver.support import expected_conditions

        page = browser.find_element(By.TAG_NAME, "html")
        element.click()
        wait_for(browser, expected_conditions.staleness_of(page), what="the next page")
        # ...and for the next page to finish loading (a redirect after the POST): an element
        # found in a document still being replaced cannot be clicked.
        wait_for(browser, lambda b: b.execute_script("return document.readyState") == "complete",
                 what="the next page to load")

    Select(bob_row().find_element(By.NAME, "role")).select_by_value("admin")
    click_and_wait(bob_row().find_element(By.CSS_SELECTOR, "button.set-role"))
    assert "The role was saved." in browser.find_element(By.CLASS_NAME, "message").text
    assert Select(bob_row().find_element(By.NAME, "role")).first_selected_option.text == "admin"
    Select(bob_row().find_element(By.NAME, "role")).select_by_value("user")
    click_and_wait(bob_row().find_element(By.CSS_SELECTOR, "button.set-role"))

    click_and_wait(bob_row().find_element(By.CSS_SELECTOR, "button.ban"))
    assert bob_row().find_element(By.CLASS_NAME, "status").text == "banned"
    click_and_wait(bob_row().find_element(By.CSS_SELECTOR, "button.unban"))
    assert bob_row().find_element(By.CLASS_NAME, "status").text == "active"

    click_and_wait(bob_row().find_element(By.CSS_SELECTOR, "button.impersonate"))
    assert path_of(browser, server) == "/dashboard"
    assert "bob@example.com" in browser.find_element(By.ID, "welcome").text
    assert not browser.find_elements(By.ID, "admin-link")
    click_and_wait(browser.find_element(By.ID, "stop-impersonating"))
    assert "You are yourself again." in browser.find_element(By.CLASS_NAME, "message").text
    assert browser.find_elements(By.ID, "admin-link")


def test_pages_fit_a_phone(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(390, 844)
    for path in ("/sign-up", "/sign-in", "/"):
        browser.get(server + path)
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"), path
        for field in browser.find_elements(By.CSS_SELECTOR, "input[type=email]"):
            box = browser.execute_script("return arguments[0].getBoundingClientRect().right",
                                         field)
            assert box <= browser.execute_script("return window.innerWidth"), path
