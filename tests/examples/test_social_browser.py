"""Both examples' "Sign in with GitHub/Google" buttons and accounts page in headless
Chromium, through the reference deployment's loopback providers (``idp.mjs``): sign in with
GitHub, link Google, unlink GitHub, sign out and back in with Google. Skips with the reason
when Chromium, ChromeDriver, Selenium or node is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.test_browser import (
    free_port,
    needs_chromium,
    path_of,
    run_example,
)
from tests.plugins.social.live import idp_server, idp_user
from tests.support.live_servers import Server

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with idp_server(tmp_path_factory.mktemp("idp")) as server:
        yield server


@pytest.fixture(params=["flask", "starlette"])
def server(request: pytest.FixtureRequest, tmp_path: Path, idp: Server) -> Iterator[str]:
    port = free_port()
    env = {"EXAMPLE_OAUTH_TEST_IDP": idp.base_url,
           # The provider sends the browser back to <base URL>/api/auth/callback/<id>.
           "AUTHKIT_BASE_URL": f"http://127.0.0.1:{port}"}
    with run_example(str(request.param), tmp_path, port, env):
        yield f"http://127.0.0.1:{port}"


def _click_and_wait(driver: Any, by: str, value: str, done: Any) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(by, value).click()
    try:
        WebDriverWait(driver, 30).until(done)
    except TimeoutException:
        body = driver.find_element("tag name", "body").text
        pytest.fail(f"stuck at {driver.current_url}: {body[:500]}")


def _provider_login(driver: Any, login: str, back_to: str) -> None:
    """Fill the provider's login form and wait until the browser is back at ``back_to``."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys("password")
    _click_and_wait(driver, By.CSS_SELECTOR, "button[type=submit]",
                    lambda d: d.current_url.startswith(back_to))


def _providers_listed(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#accounts tr")
    return sorted(row.get_attribute("id").removeprefix("account-") for row in rows)


def test_sign_in_link_unlink(server: str, browser: Any, idp: Server) -> None:
    from selenium.webdriver.common.by import By

    user = idp_user(idp.base_url, "chrome", name="Chrome Carla")
    browser.get(server + "/sign-in")
    _click_and_wait(browser, By.ID, "social-github", lambda d: "/github.com/" in d.current_url)
    _provider_login(browser, user["login"], server + "/dashboard")
    welcome = browser.find_element(By.ID, "welcome").text
    assert "Chrome Carla" in welcome and user["email"] in welcome

    browser.get(server + "/accounts")
    assert _providers_listed(browser) == ["github"]
    _click_and_wait(browser, By.ID, "link-google",
                    lambda d: "/accounts.google.com/" in d.current_url)
    _provider_login(browser, user["login"], server + "/accounts")
    assert path_of(browser, server) == "/accounts"
    assert _providers_listed(browser) == ["github", "google"]

    _click_and_wait(browser, By.ID, "unlink-github",
                    lambda d: "unlinked" in d.find_element(By.TAG_NAME, "main").text)
    assert _providers_listed(browser) == ["google"]

    browser.get(server + "/dashboard")
    _click_and_wait(browser, By.ID, "sign-out", lambda d: path_of(d, server) == "/")
    browser.get(server + "/sign-in")
    # The Google look-alike remembers the login: straight back, signed in as the same user.
    _click_and_wait(browser, By.ID, "social-google",
                    lambda d: d.current_url.startswith(server + "/dashboard"))
    assert user["email"] in browser.find_element(By.ID, "welcome").text


def test_unlinked_provider_error_is_shown(server: str, browser: Any, idp: Server) -> None:
    from selenium.webdriver.common.by import By

    # A local password account with the same (unverified) e-mail: GitHub may not take it over.
    user = idp_user(idp.base_url, "clash")
    browser.get(server + "/sign-up")
    browser.find_element(By.NAME, "name").send_keys("Local")
    browser.find_element(By.NAME, "email").send_keys(user["email"])
    browser.find_element(By.NAME, "password").send_keys("correct-horse-1")
    _click_and_wait(browser, By.ID, "submit", lambda d: path_of(d, server) == "/dashboard")
    _click_and_wait(browser, By.ID, "sign-out", lambda d: path_of(d, server) == "/")
    browser.get(server + "/sign-in")
    _click_and_wait(browser, By.ID, "social-github", lambda d: "/github.com/" in d.current_url)
    _provider_login(browser, user["login"], server + "/sign-in")
    assert "already exists" in browser.find_element(By.CSS_SELECTOR, ".error").text
