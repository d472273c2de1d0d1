"""An operator's walk through the console in a real browser, one step per method, so that later
steps (training, the evaluation gate, promotion) are appended as further methods and calls.

Screenshots go to CONSOLE_SCREENSHOTS (a directory; docs/img/operators for the operators' guide)
or, by default, to the test's temporary directory.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


class OperatorWalk:
    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path, language: str) -> None:
        self.driver, self.base, self.language = driver, base_url, language
        self.shots = Path(os.environ.get("CONSOLE_SCREENSHOTS") or shots)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    # -- helpers ---------------------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def shot(self, name: str, whole_page: bool = False) -> Path:
        path = self.shots / f"{self.language}-{name}.png"
        size = self.driver.get_window_size()
        if whole_page:  # a taller window for one shot, so the page's end is in the picture too
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], min(height + 250, 2400))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(size["width"], size["height"])
        self.taken.append(path)
        return path

    def text(self, css: str = "main") -> str:
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def submit(self, element) -> None:
        """Click a submit button and wait for the page it leads to."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, 20).until(lambda d: old.id != d.find_element(By.TAG_NAME, "html").id)

    # -- steps -----------------------------------------------------------------------------------
    def choose_language(self) -> None:
        """The login page's language button; the choice stays with the login."""
        button = self.driver.find_element(By.CSS_SELECTOR, "form[action='/language'] button")
        if button.get_attribute("value") == self.language:
            self.submit(button)

    def log_in(self, username: str, password: str) -> None:
        self.open("/login")
        self.choose_language()
        self.shot("1-login")
        form = self.driver.find_element(By.CSS_SELECTOR, "form.login")
        form.find_element(By.NAME, "username").send_keys(username)
        form.find_element(By.NAME, "password").send_keys(password)
        self.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert self.driver.current_url.endswith("/inbox"), self.driver.current_url

    def inbox(self) -> str:
        self.open("/inbox")
        return self.text()

    def inbox_group(self, normalized_text: str):
        rows = self.driver.find_elements(
            By.XPATH, f"//tr[.//input[@name='normalized_text' and @value='{normalized_text}']]")
        return rows[0] if rows else None

    def annotate_group(self, normalized_text: str, intent: str, service: str = "",
                       district: str = "") -> str:
        """Label a whole group of messages at once; returns the confirmation the page shows."""
        self.open("/inbox")
        row = self.inbox_group(normalized_text)
        assert row is not None, f"{normalized_text!r} is not in the inbox"
        Select(row.find_element(By.NAME, "intent")).select_by_value(intent)
        row.find_element(By.NAME, "service").send_keys(service)
        row.find_element(By.NAME, "district").send_keys(district)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        self.shot("2-annotate")
        self.submit(row.find_element(By.CSS_SELECTOR, "button[name=decision][value=annotated]"))
        assert self.inbox_group(normalized_text) is None, "an annotated group leaves the inbox"
        self.shot("3-annotated")
        return self.text()

    def transcript(self, conversation_id: str) -> str:
        """From the conversations list (low-confidence filter) to one conversation's transcript."""
        self.open("/conversations")
        self.driver.find_element(By.CSS_SELECTOR, "input[name=low_confidence]").click()
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
        self.shot("4-conversations")
        link = self.driver.find_element(By.CSS_SELECTOR, f"a[href='/conversations/{quote(conversation_id, safe='')}']")
        self.submit(link)
        self.shot("5-transcript")
        return self.text()

    def dashboard(self) -> str:
        self.open("/dashboard")
        self.shot("6-dashboard", whole_page=True)
        return self.text()
