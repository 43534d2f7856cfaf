"""Both examples' organization page in headless Chromium: create an organization,
invite by email, accept from the mailed link, switch the active organization, change a
member's role. Skips with the reason when Chromium, ChromeDriver or Selenium is missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_browser import (
    free_port,
    run_example,
    submit_and_wait,
)

PASSWORD = "correct-horse-1"


@pytest.fixture(params=["flask", "starlette"])
def example_server(request: pytest.FixtureRequest,
                   tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    outbox = tmp_path / "outbox.jsonl"
    with run_example(str(request.param), tmp_path, port,
                     {"AUTHKIT_EMAIL_OUTBOX": str(outbox),
                      "EXAMPLE_SITE_URL": f"http://127.0.0.1:{port}"}):
        yield f"http://127.0.0.1:{port}", outbox


def _account(driver: Any, base: str, name: str, email: str, *, new: bool) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + ("/sign-up" if new else "/sign-in"))
    if new:
        driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit_and_wait(driver, "submit", base, "/dashboard")


def _fill(driver: Any, fields: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for element_id, value in fields.items():
        driver.find_element(By.ID, element_id).send_keys(value)


def test_create_invite_accept_switch_and_change_role(example_server: tuple[str, Path],
                                                     browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, outbox = example_server

    def text(element_id: str) -> str:
        return str(browser.find_element(By.ID, element_id).text)

    _account(browser, base, "Ann", "ann@example.com", new=True)
    browser.get(base + "/org")
    assert text("active") == "No active organization."
    _fill(browser, {"org-name": "Acme", "org-slug": "acme"})
    submit_and_wait(browser, "create-org", base, "/org?done=created")
    assert text("active") == "Active: Acme"
    _fill(browser, {"invite-email": "bob@example.com"})
    submit_and_wait(browser, "invite", base, "/org?done=invited")
    assert "bob@example.com (member): pending" in text("invitations")
    link = json.loads(outbox.read_text().splitlines()[-1])
    assert link["type"] == "invitation" and link["email"] == "bob@example.com"

    _account(browser, base, "Bob", "bob@example.com", new=True)
    browser.get(link["url"])
    assert "ann@example.com invited you to join Acme as member." in text("invitation")
    submit_and_wait(browser, "accept", base, "/org")
    assert text("active") == "Active: Acme"
    _fill(browser, {"org-name": "Bobco", "org-slug": "bobco"})
    submit_and_wait(browser, "create-org", base, "/org?done=created")
    assert text("active") == "Active: Bobco"
    submit_and_wait(browser, "switch-acme", base, "/org?done=switched")
    assert text("active") == "Active: Acme"
    assert "Bob bob@example.com member" in text("members")

    _account(browser, base, "Ann", "ann@example.com", new=False)
    browser.get(base + "/org")
    # A new session starts without an active organization, as in Better Auth.
    assert text("active") == "No active organization."
    submit_and_wait(browser, "switch-acme", base, "/org?done=switched")
    Select(browser.find_element(By.ID, "role-bob@example.com")).select_by_visible_text("admin")
    submit_and_wait(browser, "set-role-bob@example.com", base, "/org?done=role")
    assert "Bob bob@example.com admin" in text("members")
