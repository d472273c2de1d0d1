"""The live handoff in two real headless Chromiums: a citizen on the web chat page and an agent on
the console's desk. The citizen asks a question and gets the answer, asks for a person, the agent
accepts (the queue updates live) and replies, the citizen sees the reply with the agent's name
(HTML typed by the agent shown as text), the agent sees what the citizen types, the agent ends and
the assistant answers again. In Chinese and in English; screenshots into docs/handoff/ with
$HANDOFF_SCREENSHOT_DIR (`make handoff-screenshots`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By

from tests.browser import chromium, wait_until
from tests.webchat.chat_page import ChatPage
from tests.webchat.conftest import launched

CASES = {
    "zh": {"browser": "zh-CN", "question": "护照多少钱", "answer": "护照", "ask": "我要转人工",
           "queued": "转接人工客服", "during": "<i>我想问居住证</i>", "reply": "<b>您好</b>，我是人工客服",
           "back": "智能助手", "again": "护照多少钱"},
    "en": {"browser": "en-US", "question": "how much does a passport cost", "answer": "passport",
           "ask": "I want to talk to a human", "queued": "will join this chat",
           "during": "<i>about my residence permit</i>", "reply": "<b>Hello</b>, an agent here",
           "back": "assistant is back", "again": "how much does a passport cost"},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[dict]:
    """Everything, with the console and two Rasa replicas (tests/bot/handoff_stack.py)."""
    yield from launched("tests.bot.handoff_stack", tmp_path_factory.mktemp("handoff-browsers"))


class DeskPage:
    def __init__(self, driver, stack: dict) -> None:
        self.driver = driver
        driver.get(stack["console"] + "/login")
        driver.find_element(By.NAME, "username").send_keys(stack["agent"])
        driver.find_element(By.NAME, "password").send_keys(stack["password"])
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
        # Going to the desk before the login's redirect lands would race it: the redirect to the
        # inbox can arrive after the desk was asked for and replace it.
        self.wait(lambda: driver.current_url.endswith("/inbox"), "the login to land")
        driver.get(stack["console"] + "/desk")
        self.wait(lambda: driver.find_element(By.ID, "presence-toggle").text, "the desk")

    def wait(self, condition, what: str, timeout: float = 60):
        return wait_until(self.driver, condition, what, timeout, self.describe,
                          ignored=(NoSuchElementException, StaleElementReferenceException))

    def describe(self) -> str:
        try:
            body = self.driver.find_element(By.TAG_NAME, "body").text[:500]
        except (NoSuchElementException, StaleElementReferenceException):
            body = "(the page is changing)"
        return f"{self.driver.current_url}: {body!r} {self.driver.get_log('browser')}"

    def card(self, conversation: str, kind: str):
        for article in self.driver.find_elements(By.CSS_SELECTOR, f"article.{kind}"):
            if conversation in article.find_element(By.CSS_SELECTOR, ".card-head strong").text:
                return article
        return None

    def act(self, conversation: str, kind: str, css: str, action) -> None:
        """`action(element)` on an element of the conversation's card; the desk re-renders as the
        stream updates it, so a stale element is looked up again."""
        def attempt():
            card = self.card(conversation, kind)
            if card is None:
                return False
            action(card.find_element(By.CSS_SELECTOR, css))
            return True
        self.wait(attempt, f"{css} on {conversation}")

    def type_reply(self, conversation: str, text: str) -> None:
        self.act(conversation, "held", "textarea", lambda box: self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input'));", box, text))
        self.act(conversation, "held", "form.reply button", lambda button: button.click())

    def be_available(self) -> None:
        if "在线" in self.driver.find_element(By.ID, "presence-state").text or \
                "You are available" in self.driver.find_element(By.ID, "presence-state").text:
            return
        self.driver.find_element(By.ID, "presence-toggle").click()
        self.wait(lambda: self.driver.find_element(By.ID, "presence-toggle").text in ("暂离", "Away"),
                  "available")

    def transcript(self, conversation: str) -> list[str]:
        card = self.card(conversation, "held")
        return [li.text for li in card.find_elements(By.CSS_SELECTOR, ".transcript li")] if card else []


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HANDOFF_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_citizen_and_an_agent_in_two_browsers(stack, lang, tmp_path):
    case = CASES[lang]
    with chromium(language=case["browser"]) as citizen_driver, \
            chromium(language=case["browser"]) as agent_driver:
        desk = DeskPage(agent_driver, stack)
        desk.be_available()
        citizen = ChatPage(citizen_driver, stack["rasa"]).open()
        citizen.say(case["question"])
        assert case["answer"] in citizen.wait_bot(1)[-1]["text"].lower()

        citizen.say(case["ask"])
        told = citizen.wait_bot(2)[-1]
        assert case["queued"] in told["text"]
        conversation = citizen.conversation()
        desk.wait(lambda: desk.card(conversation, "waiting"), "the queue to show the citizen")
        desk.driver.save_screenshot(str(shots(tmp_path) / f"desk-queue-{lang}.png"))
        desk.act(conversation, "waiting", "button.accept", lambda button: button.click())
        desk.wait(lambda: desk.card(conversation, "held"), "the accepted conversation")
        joined = citizen.wait_bot(3)[-1]
        assert joined["agent"]

        citizen.say(case["during"])
        desk.wait(lambda: any(case["during"] in line for line in desk.transcript(conversation)),
                  "the citizen's message on the desk")
        desk.type_reply(conversation, case["reply"])
        reply = citizen.wait_bot(4)[-1]
        assert reply["text"] == case["reply"] and reply["agent"]  # HTML shown as text
        assert citizen_driver.find_elements(By.CSS_SELECTOR, "#log b") == []
        assert agent_driver.find_elements(By.CSS_SELECTOR, ".transcript i") == []
        citizen.screenshot(shots(tmp_path) / f"citizen-{lang}.png")
        desk.driver.save_screenshot(str(shots(tmp_path) / f"desk-conversation-{lang}.png"))

        desk.act(conversation, "held", "button.end", lambda button: button.click())
        assert case["back"] in citizen.wait_bot(5)[-1]["text"]
        citizen.say(case["again"])
        assert case["answer"] in citizen.wait_bot(6)[-1]["text"].lower()
