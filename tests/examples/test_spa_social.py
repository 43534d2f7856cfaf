"""The single-page example's "Sign in with GitHub" in Chromium: the official client's
``signIn.social`` sends the browser to the reference deployment's loopback GitHub look-alike
(``idp.mjs``), which sends it back through authkit's callback to the page, signed in; the page
lists the linked account with ``listAccounts``, links Google with ``linkSocial`` and unlinks
GitHub with ``unlinkAccount``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.test_social_browser import idp  # noqa: F401 - the module's idp.mjs
from tests.examples.test_spa import spa_server
from tests.plugins.social.live import idp_user
from tests.support.browser import chromium, needs_chromium, wait_for
from tests.support.live_servers import Server

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def spa(tmp_path_factory: pytest.TempPathFactory, idp: Server) -> Iterator[str]:  # noqa: F811
    with spa_server(tmp_path_factory.mktemp("spa-social"),
                    EXAMPLE_OAUTH_TEST_IDP=idp.base_url) as base:
        yield base


def test_sign_in_with_github_link_google_unlink_github(
        spa: str, idp: Server, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    def accounts(d: Any) -> list[str]:
        # Read in one script: the page re-renders the table while the test polls it.
        ids = d.execute_script(
            "return [...document.querySelectorAll('#accounts tr')].map((r) => r.id)")
        return sorted(str(i).removeprefix("account-") for i in ids)

    def provider_login(login: str) -> None:
        browser.find_element(By.NAME, "login").send_keys(login)
        browser.find_element(By.NAME, "password").send_keys("password")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    user = idp_user(idp.base_url, "spa", name="Spa Sam")
    with chromium(tmp_path / "profile") as browser:
        # A failed round trip comes back as /?error=<code>: the page says what it means.
        browser.get(spa + "/?error=account_not_linked")
        wait_for(browser, lambda d: d.find_element(By.ID, "error").is_displayed(),
                 what="the callback error")
        assert "already exists" in browser.find_element(By.ID, "error").text
        assert browser.current_url == spa + "/"
        browser.get(spa + "/")
        wait_for(browser, lambda d: d.find_element(By.ID, "social-github").is_displayed(),
                 what="the GitHub button")
        assert browser.find_element(By.ID, "social-google").text == "Sign in with Google"
        browser.find_element(By.ID, "social-github").click()
        wait_for(browser, lambda d: "/github.com/" in d.current_url, what="the provider")
        provider_login(user["login"])
        wait_for(browser, lambda d: d.current_url.startswith(spa + "/")
                 and d.find_element(By.ID, "signed-in").is_displayed(), what="signed in")
        assert browser.find_element(By.ID, "who").text == user["email"]
        wait_for(browser, lambda d: accounts(d) == ["github"], what="the GitHub account")
        assert browser.find_element(By.ID, "account-github").text.startswith("GitHub")

        browser.find_element(By.ID, "link-google").click()
        wait_for(browser, lambda d: "/accounts.google.com/" in d.current_url, what="Google")
        if browser.find_elements(By.NAME, "login"):  # the look-alike may remember the login
            provider_login(user["login"])
        wait_for(browser, lambda d: accounts(d) == ["github", "google"], what="Google linked")
        assert browser.find_element(By.ID, "error").is_displayed() is False

        browser.find_element(By.ID, "unlink-github").click()
        wait_for(browser, lambda d: accounts(d) == ["google"], what="GitHub unlinked")
        assert browser.find_element(By.ID, "link-github").is_displayed()
        browser.refresh()  # still signed in, through the Google account
        wait_for(browser, lambda d: accounts(d) == ["google"], what="after reload")
        assert browser.find_element(By.ID, "who").text == user["email"]
