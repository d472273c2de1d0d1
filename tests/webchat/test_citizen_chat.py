"""A citizen on the web chat page, in a real headless Chromium against the real backend (Rasa with
the trained model, the action server, the data service): asks, gets the answer the data service
gives, clicks a quick reply, reloads and finds the same conversation, goes on in it. In Chinese on
a phone and in English on a desktop, the page's language following the browser's.

Screenshots go to $WEBCHAT_SCREENSHOT_DIR (`make webchat-screenshots` → docs/webchat/)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.webchat.chat_page import ChatPage, phone
from tests.webchat.conftest import dataservice, user_texts

CASES = {
    "zh": {"browser": "zh-CN", "device": "phone", "title": "上海市民服务助手",
           "question": "居住证要带什么材料？", "fee": "费用", "time": "办理时限"},
    "en": {"browser": "en-US", "device": "desktop", "title": "Shanghai Citizen Services Assistant",
           "question": "What documents do I need for a residence permit?", "fee": "Fee",
           "time": "Processing time"},
}


def screenshot_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("WEBCHAT_SCREENSHOT_DIR") or tmp_path)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_citizen_asks_clicks_a_quick_reply_and_resumes_after_a_reload(live, lang, tmp_path):
    case = CASES[lang]
    service = dataservice(live, f"/v1/services/residence_permit?lang={lang}")
    with chromium(language=case["browser"]) as driver:
        if case["device"] == "phone":
            phone(driver)
        page = ChatPage(driver, live["rasa"]).open()
        assert page.title() == case["title"]  # the browser's language, before anything is said

        page.say(case["question"])
        assert page.wait(page.typing, "the typing indicator", timeout=10)
        answer = page.wait_bot(1)[-1]
        assert service["name"] in answer["text"]
        assert any(doc in answer["text"] for doc in service["documents"])
        assert [case["fee"], False] in answer["buttons"] and not page.typing()

        page.click_reply(case["fee"])
        page.wait(lambda: service["fee"] in page.bot_messages()[-1]["text"], "the fee")
        shown = page.messages()
        assert [m["text"] for m in shown if m["who"] == "user"] == [case["question"], case["fee"]]
        assert all(disabled for m in shown[:-1] for _, disabled in m["buttons"])  # used ones are stale
        page.screenshot(screenshot_dir(tmp_path) / f"{case['device']}-{lang}.png")

        token = page.token()
        page.reload()
        assert page.token() == token and page.messages() == shown  # the same conversation, once

        before = len(page.bot_messages())
        page.click_reply(case["time"])  # and it goes on after the reload
        page.wait(lambda: len(page.bot_messages()) > before
                  and service["processing_time"] in page.bot_messages()[-1]["text"], "the processing time")
        # Rasa saves the tracker once the answer is sent: all three in the one conversation.
        page.wait(lambda: len(user_texts(live, page.conversation())) == 3, "the tracker", timeout=30)
        assert user_texts(live, page.conversation())[0] == case["question"]
