"""A real headless Chromium for the browser tests: Debian's chromium driven by its own chromedriver
through Selenium (installed by scripts/install_browser.sh; a missing browser fails, never skips)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

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
