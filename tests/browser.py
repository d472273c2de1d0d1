"""A real headless Chromium for the browser tests: Debian's chromium driven by its own chromedriver
through Selenium (installed by scripts/install_browser.sh; a missing browser fails, never skips)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import Callable, Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@contextmanager
def chromium(width: int = 1280, height: int = 900, language: str = "zh-CN") -> Iterator[webdriver.Chrome]:
    """One browser with its own profile (so two of them are two independent users)."""
    if not shutil.which("chromedriver"):
        pytest.fail("chromedriver is required for the browser tests: run `make setup-browser`")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", f"--lang={language}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_until(driver: webdriver.Chrome, condition: Callable[[], object], what: str, timeout: float,
               describe: Callable[[], str], ignored: tuple[type[Exception], ...] = ()):
    """`condition()` once it is truthy; on timeout an AssertionError with `describe()`, which is only
    called then: evaluated up front (as `until`'s message is) it reads a page that may be navigating
    away, and the read itself fails with a stale element instead of the wait."""
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=ignored).until(
            lambda _: condition())
    except TimeoutException:
        raise AssertionError(f"waiting for {what}: {describe()}") from None
