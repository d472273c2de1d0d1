"""The web chat page as a citizen uses it, through Selenium: type, click, read what is shown."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By

from tests.browser import wait_until

# What the page shows, read from the DOM as a citizen would see it (text, never HTML).
_MESSAGES = """
return Array.from(document.querySelectorAll('#log li:not(.intro)')).map(li => ({
  who: li.classList.contains('user') ? 'user' : 'bot',
  text: li.querySelector('.bubble').textContent,
  agent: li.querySelector('.who') ? li.querySelector('.who').textContent : null,
  links: Array.from(li.querySelectorAll('a')).map(a => [a.textContent, a.getAttribute('href'), a.rel]),
  images: Array.from(li.querySelectorAll('img')).map(i => i.getAttribute('src')),
  buttons: Array.from(li.querySelectorAll('.replies button')).map(b => [b.textContent, b.disabled]),
}));
"""


class ChatPage:
    def __init__(self, driver: Chrome, base: str, timeout: float = 60) -> None:
        self.driver, self.base, self.timeout = driver, base, timeout

    def open(self, query: str = "") -> "ChatPage":
        self.driver.get(f"{self.base}/chat{query}")
        self.wait_connected()
        return self

    def reload(self) -> None:
        self.driver.refresh()
        self.wait_connected()

    def wait(self, condition: Callable[[], object], what: str, timeout: float | None = None):
        return wait_until(self.driver, condition, what, timeout or self.timeout,
                          lambda: f"page shows {self.messages()}")

    def wait_connected(self) -> None:
        self.wait(lambda: self.token() and self.status() == "", "the session to be confirmed")

    def token(self) -> str | None:
        return self.driver.execute_script("return sessionStorage.getItem('shps-webchat:token')")

    def conversation(self) -> str:
        return "web:" + self.token().split(".")[0]

    def status(self) -> str:
        return self.driver.find_element(By.ID, "status").text

    def title(self) -> str:
        return self.driver.find_element(By.ID, "title").text

    def messages(self) -> list[dict]:
        return self.driver.execute_script(_MESSAGES)

    def bot_messages(self) -> list[dict]:
        return [m for m in self.messages() if m["who"] == "bot"]

    def say(self, text: str) -> None:
        box = self.driver.find_element(By.ID, "message")
        box.send_keys(text)
        self.driver.find_element(By.ID, "send").click()

    def wait_bot(self, count: int, timeout: float | None = None) -> list[dict]:
        """The bot messages once there are at least `count` of them."""
        self.wait(lambda: len(self.bot_messages()) >= count, f"{count} bot messages", timeout)
        return self.bot_messages()

    def click_reply(self, title: str) -> None:
        buttons = [b for b in self.driver.find_elements(By.CSS_SELECTOR, ".replies button")
                   if b.text == title and b.is_enabled()]
        assert buttons, f"no quick reply {title!r} on {self.messages()}"
        buttons[-1].click()

    def typing(self) -> bool:
        return self.driver.find_element(By.ID, "typing").is_displayed()

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))


def phone(driver: Chrome) -> None:
    """A phone's viewport (390×844 CSS pixels at 2×, touch), as Chromium's device mode sets it."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
