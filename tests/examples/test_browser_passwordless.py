"""Both examples in headless Chromium: signing in with an emailed link and with an emailed code.

Each example runs with its README command and ``AUTHKIT_EMAIL_OUTBOX`` set, so the "mail" is a
JSON line the test reads, as a person would read their inbox. The link is opened in the browser
like a click in a mail program; the code is typed into the form. Skips as test_browser does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_browser import (
    free_port,
    needs_chromium,
    path_of,
    run_example,
    submit_and_wait,
)

pytestmark = needs_chromium


@pytest.fixture(params=["flask", "starlette"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """One example with an outbox, on a fresh SQLite database; (base URL, outbox)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    outbox = tmp_path / "outbox.jsonl"
    # Links are built from the configured origin, never from a request's Host header.
    with run_example(str(request.param), tmp_path, port,
                     {"AUTHKIT_BASE_URL": base, "AUTHKIT_EMAIL_OUTBOX": str(outbox)}):
        yield base, outbox


def last_mail(outbox: Path, mail_type: str, count: int) -> dict[str, Any]:
    """The ``count``-th mail of the outbox once it is there (written before the page answers)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = outbox.read_text().splitlines() if outbox.exists() else []
        if len(lines) >= count:
            mail: dict[str, Any] = json.loads(lines[count - 1])
            assert mail["type"] == mail_type, mail
            return mail
        time.sleep(0.05)  # polling a file another process writes
    raise AssertionError(f"no mail #{count} in {outbox}")


def click_and_load(driver: Any, element_id: str, css: str) -> Any:
    """Click a submit button, wait until the next page replaced this one and shows ``css``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    wait = WebDriverWait(driver, 30)
    wait.until(ec.staleness_of(page))
    return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_sign_in_with_a_link_then_with_a_code(served: tuple[str, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By

    base, outbox = served
    browser.get(base + "/dashboard")
    assert path_of(browser, base) == "/sign-in?callbackURL=%2Fdashboard"
    browser.get(browser.find_element(By.ID, "by-email").get_attribute("href"))
    browser.find_element(By.NAME, "email").send_keys("Mia@Example.com")
    sent = click_and_load(browser, "send-link", "#sent")
    assert "We sent a sign-in link to Mia@Example.com" in sent.text
    link = last_mail(outbox, "magic-link", 1)
    assert link["url"].startswith(f"{base}/api/auth/magic-link/verify?token=")
    browser.get(link["url"])  # clicking the link in the mail
    assert path_of(browser, base) == "/dashboard"
    assert "mia@example.com" in browser.find_element(By.ID, "welcome").text

    # The link works once: opened again after signing out, it signs nobody in.
    submit_and_wait(browser, "sign-out", base, "/")
    browser.get(link["url"])
    browser.get(base + "/dashboard")
    assert path_of(browser, base) == "/sign-in?callbackURL=%2Fdashboard"

    browser.get(base + "/sign-in/email")
    browser.find_element(By.NAME, "email").send_keys("mia@example.com")
    assert click_and_load(browser, "send-code", "h1").text == "Enter your code"
    code = last_mail(outbox, "email-otp", 2)["otp"]
    browser.find_element(By.NAME, "otp").send_keys("000000" if code != "000000" else "111111")
    assert "That code is not right" in click_and_load(browser, "submit-code", ".error").text
    browser.find_element(By.NAME, "otp").send_keys(code)
    submit_and_wait(browser, "submit-code", base, "/dashboard")
    assert "mia@example.com" in browser.find_element(By.ID, "welcome").text
