"""What the web chat page does with what the real assistant never says, in a real headless
Chromium against the channel harness (echo agent): an agent's reply during a handoff shown with
the agent's name, HTML typed by either side shown as text, links and images, quick replies, the
typing indicator, the composer's length limit, and a server that goes away and comes back."""
from __future__ import annotations

import pytest

from tests.browser import chromium
from tests.webchat.chat_page import ChatPage

HOSTILE = '<b>bold</b><img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script>'


@pytest.fixture
def page(harness):
    with chromium(language="zh-CN") as driver:
        yield ChatPage(driver, harness.base, timeout=20).open()


def test_the_page_connects_over_websocket(page):
    # One connection on one replica: the round-robin balancer needs no sticky sessions; also shows
    # that the Content-Security-Policy lets the page reach its own socket.io.
    assert page.driver.execute_script("return document.documentElement.dataset.transport") == "websocket"


def test_an_agents_reply_shows_the_agents_name(page):
    page.say("!agent 王芳 您好，我是人工客服王芳。")
    reply = page.wait_bot(1)[-1]
    assert reply["agent"] == "人工客服 · 王芳" and reply["text"] == "您好，我是人工客服王芳。"
    page.say("hello")
    assert page.wait_bot(2)[-1]["agent"] is None  # the assistant's messages carry no name


def test_html_from_either_side_is_shown_as_text(page):
    page.say(HOSTILE)
    page.say("!agent <i>Li</i> " + HOSTILE)
    echoed, agent = page.wait_bot(2)
    user = page.messages()[0]
    assert user["text"] == HOSTILE and echoed["text"].endswith(HOSTILE) and agent["text"] == HOSTILE
    assert agent["agent"] == "人工客服 · <i>Li</i>"
    assert page.driver.execute_script(
        "return document.querySelectorAll('#log b, #log i, #log script, #log img').length") == 0
    assert page.driver.title != "owned"


def test_links_images_and_quick_replies(page):
    page.say("see https://zwdt.sh.gov.cn/govPortals/index.do and javascript:alert(1)")
    links = page.wait_bot(1)[-1]["links"]
    assert links == [["https://zwdt.sh.gov.cn/govPortals/index.do",
                      "https://zwdt.sh.gov.cn/govPortals/index.do", "noopener noreferrer"]]
    page.say("!image https://example.org/map.png")
    assert page.wait_bot(2)[-1]["images"] == ["https://example.org/map.png"]
    page.say("!image javascript:alert(1)")  # not an http(s) image: nothing is shown for it
    page.say("!buttons 是 否")
    choice = page.wait_bot(3)[-1]
    assert choice["buttons"] == [["是", False], ["否", False]] and not choice["images"]
    page.click_reply("否")
    assert page.wait_bot(4)[-1]["text"].endswith(" /pick 否")  # the payload is sent, the title shown
    assert [m["text"] for m in page.messages() if m["who"] == "user"][-1] == "否"


def test_typing_indicator_while_the_assistant_works(page):
    page.say("!sleep 2")
    page.wait(page.typing, "the typing indicator", timeout=3)
    page.wait_bot(1)
    assert not page.typing()
    page.say("!sleep 3")
    page.reload()  # the answer is still on its way: the page says so, and it arrives once
    assert page.typing()
    assert page.wait_bot(2)[-1]["text"].endswith(" !sleep 3") and len(page.bot_messages()) == 2
    page.wait(lambda: not page.typing(), "the typing indicator to go", timeout=3)


def test_the_composer_keeps_to_the_channels_limit(page):
    page.say("长" * 700)  # the harness allows 600
    sent = page.wait_bot(1)[-1]["text"]
    assert sent.endswith(" " + "长" * 600)
    page.driver.find_element("id", "message").send_keys("x" * 550)
    assert page.driver.find_element("id", "counter").text == "还可以输入 50 个字"


def test_switching_language_by_hand_sticks_across_a_reload(page):
    page.driver.find_element("id", "language").click()
    assert page.title() == "Shanghai Citizen Services Assistant"
    page.reload()
    assert page.title() == "Shanghai Citizen Services Assistant"
    page.driver.find_element("id", "language").click()
    assert page.title() == "上海市民服务助手"


def test_a_dropped_server_shows_a_clear_error_and_nothing_is_lost(page, harness):
    page.say("before")
    page.wait_bot(1)
    harness.stop()
    try:
        page.wait(lambda: "正在重新连接" in page.status() or "无法连接" in page.status(), "the error line")
        page.say("typed while offline")
        page.wait(lambda: "无法连接" in page.status() and "12345" in page.status(), "the retry line")
        assert [m["text"] for m in page.messages()][-1] == "typed while offline"
        assert page.driver.execute_script("return sessionStorage.getItem('shps-webchat:outbox')") == \
            '["typed while offline"]'  # kept for a reload too
    finally:
        harness.start()
    page.wait_connected()
    reply = page.wait_bot(2)[-1]
    assert reply["text"] == f"echo {page.conversation()} typed while offline"
    assert [m["text"] for m in page.messages()].count("typed while offline") == 1
