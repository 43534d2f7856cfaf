"""The examples' security page in headless Chromium: set up an authenticator app (a TOTP
computed here from the key the page shows), add a passkey with Chromium's virtual
authenticator (DevTools `WebAuthn.addVirtualAuthenticator`), then sign in three ways: password
+ TOTP, password + backup code, and the passkey alone. The browser opens the example at
http://localhost:<port>, since WebAuthn needs a domain (the RP ID defaults to `localhost`).
Skips with the reason when Chromium, ChromeDriver or Selenium is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from .test_browser import (
    free_port,
    needs_chromium,
    run_example,
    submit_and_wait,
)

pytestmark = needs_chromium
PASSWORD = "correct-horse-1"


@pytest.fixture(params=["flask", "starlette"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    # The origin the browser uses (and so the passkey RP ID, "localhost").
    with run_example(str(request.param), tmp_path, port,
                     {"AUTHKIT_SECRET": "security-browser-secret-0123456789-0123456789",
                      "AUTHKIT_BASE_URL": f"http://localhost:{port}"}):
        yield f"http://localhost:{port}"


def fill(driver: Any, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By

    for name, value in values.items():
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def wait_for(driver: Any, condition: Any, what: str) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 30).until(condition)
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text
        pytest.fail(f"waiting for {what} on {driver.current_url}: {body[:600]}")


def sign_out(driver: Any, site: str) -> None:
    driver.get(site + "/dashboard")
    submit_and_wait(driver, "sign-out", site, "/")


def password_step(driver: Any, site: str) -> None:
    driver.get(site + "/sign-in")
    fill(driver, {"email": "sec@example.com", "password": PASSWORD})
    submit_and_wait(driver, "submit", site, "/two-factor?callbackURL=%2Fdashboard")


def test_totp_backup_codes_and_a_passkey(site: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("WebAuthn.enable", {})
    browser.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})

    browser.get(site + "/sign-up")
    fill(browser, {"name": "Sec", "email": "sec@example.com", "password": PASSWORD})
    submit_and_wait(browser, "submit", site, "/dashboard")

    # Set up the authenticator app from the key the page shows, and confirm with a code.
    browser.get(site + "/security")
    assert "off" in browser.find_element(By.ID, "two-factor-status").text
    fill(browser, {"password": PASSWORD})
    # The form posts back to /security: wait for the new page's content, not the URL.
    browser.find_element(By.ID, "enable-2fa").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "totp-secret"), "the authenticator key")
    assert browser.find_element(By.ID, "totp-qr").get_attribute("src").startswith("data:image")
    key = pyotp.TOTP(browser.find_element(By.ID, "totp-secret").text)
    codes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#backup-codes li")]
    assert len(codes) == 10
    fill(browser, {"code": key.now()})
    browser.find_element(By.ID, "confirm-2fa").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "disable-2fa"), "2FA turned on")
    assert "on" in browser.find_element(By.ID, "two-factor-status").text

    # A passkey from Chromium's virtual authenticator.
    browser.find_element(By.ID, "add-passkey").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#passkeys li"), "the passkey")
    assert "This device" in browser.find_element(By.ID, "passkeys").text

    # Password + TOTP.
    sign_out(browser, site)
    password_step(browser, site)
    fill(browser, {"code": key.now()})
    submit_and_wait(browser, "verify-code", site, "/dashboard")

    # Password + a backup code (single use).
    sign_out(browser, site)
    password_step(browser, site)
    browser.find_element(By.ID, "backup-code").send_keys(codes[0])
    submit_and_wait(browser, "verify-backup-code", site, "/dashboard")

    # The passkey alone: no password, no second step.
    sign_out(browser, site)
    browser.get(site + "/sign-in")
    browser.find_element(By.ID, "passkey-sign-in").click()
    wait_for(browser, lambda d: d.current_url == site + "/dashboard", "the passkey sign-in")
    assert "Sec" in browser.find_element(By.ID, "welcome").text
