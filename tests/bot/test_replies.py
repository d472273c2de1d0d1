"""Replies of issue 18 end to end (REST webhook and socket.io, real Rasa, action server and data
service): a bare application number starts the status flow, personal numbers before a question
are answered and never kept in the clear, the fallback says what the assistant can do, and a cut
list offers the rest on every channel."""
from __future__ import annotations

import re

import pytest
import requests
import socketio

from tests.bot.conftest import INTEGRATOR_KEY, TOKEN
from tests.bot.test_e2e import _wait, ds, joined, rest
from tests.senders import new_sender

ID_NO, MOBILE = "310104198807152316", "13917284650"


def tracker_events(backend, conversation: str) -> list[dict]:
    r = requests.get(f"{backend['rasa']}/conversations/{conversation}/tracker",
                     params={"token": TOKEN}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["events"]


@pytest.mark.parametrize("lang, asks, status", [("zh", "后四位", "审核"), ("en", "last 4 digits", "review")])
def test_a_bare_application_number_asks_for_the_digits_then_answers(backend, lang, asks, status):
    sender = new_sender()
    r = requests.post(backend["rasa"] + "/webhooks/rest/webhook", headers={
        "Authorization": f"Bearer {INTEGRATOR_KEY}"}, timeout=30, json={
        "sender": sender, "message": "SH2026111200086", "metadata": {"language": lang}})
    assert r.status_code == 200 and asks in joined(r.json()), r.text
    reply = joined(rest(backend, "8843", sender))
    assert "SH2026111200086" in reply and status in reply.lower(), reply


@pytest.mark.parametrize("lang, text", [
    ("zh", f"我的身份证号是{ID_NO}，手机{MOBILE}，护照多少钱"),
    ("en", f"my ID number is {ID_NO} and my phone is {MOBILE}, how much is a passport"),
])
def test_numbers_before_a_question_are_answered_and_kept_redacted(backend, lang, text):
    sender = new_sender()
    reply = joined(rest(backend, text, sender))
    assert ds(backend, f"/v1/services/passport?lang={lang}")["fee"] in reply, reply
    stored = str(tracker_events(backend, f"rest:e2e:{sender}"))
    assert stored.count("3101************16") >= 1 and "139******50" in stored
    for secret in (ID_NO, MOBILE, ID_NO[6:14], MOBILE[3:7] + MOBILE[7:]):
        assert secret not in stored
        assert all(secret not in log.read_text(errors="replace") for log in backend["logs"].values())


@pytest.mark.parametrize("lang, words", [("zh", ["办事材料", "受理中心", "办件进度", "12345"]),
                                         ("en", ["service needs", "service centres", "application", "12345"])])
def test_the_fallback_lists_what_the_assistant_can_do(backend, lang, words):
    r = requests.post(backend["rasa"] + "/webhooks/rest/webhook", headers={
        "Authorization": f"Bearer {INTEGRATOR_KEY}"}, timeout=30, json={
        "sender": new_sender(), "message": "/nlu_fallback", "metadata": {"language": lang}})
    [message] = r.json()
    assert all(word in message["text"] for word in words), message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        "/ask_service_requirements", "/find_service_center", "/check_application_status", "/report_issue"]
    # each button starts what it says
    follow = joined(rest(backend, message["buttons"][2]["payload"]))
    assert "SH" in follow


def test_a_cut_bill_list_offers_the_rest_over_rest(backend):
    sender = new_sender()
    rest(backend, "查一下水费", sender)
    rest(backend, "1020384756", sender)
    replies = rest(backend, "4403", sender)
    [bill] = [m for m in replies if "\n- " in (m.get("text") or "")] or [replies]
    assert bill["text"].count("\n- ") == 3
    assert bill["buttons"] == [{"title": "显示其余 3 条", "payload": "/show_more"}]
    more = joined(rest(backend, "/show_more", sender))
    assert more.startswith("更早的账单：") and more.count("\n- ") == 3


def test_a_cut_centre_list_offers_the_rest_over_socketio(backend):
    sio = socketio.Client()
    got: list[dict] = []
    confirmed: list = []
    sio.on("bot_uttered", got.append)
    sio.on("session_confirm", confirmed.append)
    sio.connect(backend["rasa"], socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
    try:
        sio.emit("session_request", {})
        _wait(sio, confirmed, 1)
        sio.emit("user_uttered", {"message": "community affairs centres in Pudong",
                                  "session_id": confirmed[0]})
        _wait(sio, got, 1)
        offer = [m for m in got if m.get("quick_replies") or m.get("buttons")]
        assert offer, got
        [button] = offer[0].get("quick_replies") or offer[0]["buttons"]
        assert button["payload"] == "/show_more" and button["title"].startswith("Show the other")
        first = "\n".join(m.get("text", "") for m in got)
        got.clear()
        sio.emit("user_uttered", {"message": button["payload"], "session_id": confirmed[0]})
        _wait(sio, got, 1)
        more = "\n".join(m.get("text", "") for m in got)
        assert "(continued" in more and not set(more.splitlines()[1:2]) & set(first.splitlines())
    finally:
        sio.disconnect()


@pytest.mark.parametrize("lang, report, first, correction, second", [
    ("en", "the streetlight outside 100 Caoxi North Road in Xuhui has been broken for a week",
     "100 Caoxi North Road", "change the location to 150 Caoxi North Road", "150 Caoxi North Road"),
    ("zh", "徐汇区漕溪北路100号门口的路灯坏了一个星期了", "漕溪北路100号",
     "地址改成徐家汇地铁站3号口", "徐家汇地铁站3号口"),
])
def test_a_12345_place_is_kept_whole_and_corrected_at_the_summary(backend, lang, report, first,
                                                                  correction, second):
    """The issue's case: the house number is filed, and a correction at the summary is taken."""
    sender = new_sender()
    replies = rest(backend, report, sender)
    for _ in range(3):  # the category question (a button), then the summary
        summary = joined(replies)
        if first in summary and any(b["payload"] == "/affirm" for m in replies for b in m.get("buttons") or []):
            break
        buttons = [b for m in replies for b in m.get("buttons") or []]
        assert buttons, summary
        replies = rest(backend, buttons[0]["payload"], sender)
    place = "- 位置：" if lang == "zh" else "- Location: "
    assert place + first in summary, summary
    summary = joined(rest(backend, correction, sender))
    assert place + second in summary, summary
    done = joined(rest(backend, "/affirm", sender))
    ticket_no = re.search(r"12345-\d{8}-[0-9A-Z]{6}", done)[0]
    assert ds(backend, f"/v1/tickets/{ticket_no}?lang={lang}")["location"] == second
