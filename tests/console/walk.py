"""An operator's walk through the console in a real browser, one step per method, so that later
steps (training, the evaluation gate, promotion) are appended as further methods and calls.

Screenshots go to CONSOLE_SCREENSHOTS (a directory; docs/img/operators for the operators' guide)
or, by default, to the test's temporary directory.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import quote

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


class OperatorWalk:
    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path, language: str,
                 pictured: frozenset[str] | None = None) -> None:
        """pictured: the only screenshots this walk takes (None: all), so that a walk does not
        overwrite the pictures of steps another walk takes for the guide."""
        self.driver, self.base, self.language, self.pictured = driver, base_url, language, pictured
        self.shots = Path(os.environ.get("CONSOLE_SCREENSHOTS") or shots)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    # -- helpers ---------------------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def shot(self, name: str, whole_page: bool = False, end_at: str | None = None) -> Path | None:
        """end_at: a CSS selector; the picture ends just below the top of that element (a job's
        log, whose later lines are full of this machine's file paths)."""
        if self.pictured is not None and name not in self.pictured:
            return None
        path = self.shots / f"{self.language}-{name}.png"
        size = self.driver.get_window_size()
        if whole_page:  # a taller window for one shot, so the page's end is in the picture too
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(size["width"], min(height + 250, 2400))
        elif end_at:
            bottom = self.driver.execute_script(
                "return document.querySelector(arguments[0]).getBoundingClientRect().top"
                " + window.outerHeight - window.innerHeight", end_at)
            self.driver.set_window_size(size["width"], int(bottom) + 21)  # its first line
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

    # -- training, the evaluation gate, promotion (tests/console/test_browser_walk_full.py) -----
    def start_training(self) -> int:
        """The Training page's button; returns the new job's number (its page opens)."""
        self.open("/training")
        self.submit(self.driver.find_element(By.ID, "start-training"))
        path = self.driver.current_url.removeprefix(self.base)
        assert path.startswith("/training/jobs/"), path
        return int(path.rsplit("/", 1)[1])

    def job_status(self) -> str:
        """The job page's status (it refreshes itself while the job runs: retry a stale read)."""
        for _ in range(5):
            try:
                return self.driver.find_element(By.ID, "job-status").get_attribute("data-status")
            except (NoSuchElementException, StaleElementReferenceException):
                time.sleep(0.5)
        raise AssertionError("the job page shows no status")

    def follow_job(self, job_id: int, seconds: float, shot_at_stage: str = "training") -> str:
        """Watches the job's page until the job ends; one screenshot while it is at shot_at_stage
        (progress bar and growing log). Returns the final status."""
        self.open(f"/training/jobs/{job_id}")
        deadline, shot = time.monotonic() + seconds, False
        while (status := self.job_status()) in ("queued", "running", "cancelling"):
            assert time.monotonic() < deadline, f"job {job_id} still {status} after {seconds} s"
            if not shot and self._text_or_empty("job-stage") == shot_at_stage:
                self.shot("7-training", end_at="#job-log")
                shot = True
            time.sleep(3)
        self.open(f"/training/jobs/{job_id}")  # a fresh page, no refresh pending
        return self.job_status()

    def _text_or_empty(self, element_id: str) -> str:
        try:
            return self.driver.find_element(By.ID, element_id).text
        except (NoSuchElementException, StaleElementReferenceException):
            return ""

    def gate(self) -> tuple[bool, str, list[list[str]]]:
        """The finished job's gate: (passed, the gate section's text, the per-intent diff's rows
        as [expected intent, message, production's prediction, the candidate's])."""
        result = self.driver.find_element(By.ID, "gate-result")
        self.driver.execute_script(  # the section's heading too
            "arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -70)", result)
        self.shot("8-gate", end_at="#job-log")
        rows = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in
                self.driver.find_elements(By.CSS_SELECTOR, "#prediction-diff tr.diff-row")]
        return result.get_attribute("data-passed") == "true", self.text(), rows

    def promote(self) -> str:
        """An admin's Promote button; returns the Training page it leads to (the history)."""
        self.submit(self.driver.find_element(By.ID, "promote-job"))
        assert self.driver.current_url.endswith("/training"), self.driver.current_url
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'})",
            self.driver.find_element(By.ID, "promotion-history"))
        self.shot("9-promoted")
        return self.text()

    def roll_back_to_first(self) -> str:
        """Roll back to the history's first model (its last row); returns what the Training page
        shows as the production model."""
        self.open("/training")
        self.submit(self.driver.find_elements(By.CSS_SELECTOR,
                                              "#promotion-history button[id^=rollback-]")[-1])
        assert self.driver.current_url.endswith("/training"), self.driver.current_url
        return self.text("#production-model")
