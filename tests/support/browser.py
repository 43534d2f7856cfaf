"""Debian's headless Chromium through Selenium, shared by the browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("AUTHKIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("AUTHKIT_CHROMEDRIVER", "/usr/bin/chromedriver")
# No sandbox as root, and no background traffic, which an offline machine would refuse.
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage"]

needs_chromium = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f"Chromium ({CHROMIUM}) or ChromeDriver ({CHROMEDRIVER}) is not installed: "
           "apt-get install -y chromium chromium-driver",
)


@contextmanager
def chromium(profile: Path, *, width: int = 1200, height: int = 900) -> Iterator[Any]:
    """A headless Chromium; ``width`` 390 is a phone."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROME_FLAGS, f"--window-size={width},{height}",
                 f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: Any, condition: Any, timeout: float = 30, what: str = "") -> Any:
    """WebDriverWait with the page text in the failure message."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(condition)
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text
        pytest.fail(f"timed out waiting for {what} on {driver.current_url}: {body[:800]}")
