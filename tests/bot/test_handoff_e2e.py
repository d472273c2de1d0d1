"""The live handoff end to end: a real Rasa (trained model), the action server, the data service
and the operator console (web app and event consumer) as processes on free ports.

A citizen on socket.io asks for a person in Chinese and in English, an agent accepts on the desk,
replies (HTML shown as text), reads what the citizen says meanwhile, ends, and the assistant
answers again; a WeChat citizen gets the agent's reply as a customer-service message (the fake
WeChat API of wechat_support.py), and an integrator gets it on its callback URL, signed.

Two Rasa replicas share Redis and the tracker store: citizens talk to replica A, the console's
relay reaches replica B, so every agent message crosses replicas (python-socketio's Redis manager
carries it to the socket's replica).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid

import pytest
import requests
import socketio

from tests.bot.handoff_stack import INTEGRATOR_KEY, PASSWORD, RELAY_SECRET, running_stack
from tests.bot.wechat_support import WeChat, text_xml

@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("handoff")) as started:
        yield started


def wait_until(check, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


class Desk:
    """The agent, driving the desk's JSON actions as desk.js does."""

    def __init__(self, console: str) -> None:
        self.base, self.http = console, requests.Session()
        page = self.http.get(f"{console}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        done = self.http.post(f"{console}/login", data={"username": "agent1", "password": PASSWORD,
                                                         "csrf_token": token},
                              allow_redirects=False, timeout=10)
        assert done.status_code == 303
        desk = self.http.get(f"{console}/desk", timeout=10).text
        self.csrf = re.search(r'data-csrf="([^"]+)"', desk).group(1)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.http.post(self.base + path, json=body or {}, timeout=30,
                              headers={"X-CSRF-Token": self.csrf})

    def state(self) -> dict:
        return self.http.get(f"{self.base}/desk/state", timeout=10).json()

    def waiting(self, conversation: str) -> dict | None:
        return next((c for c in self.state()["queue"] if c["conversation_id"] == conversation), None)

    def held(self, conversation: str) -> dict | None:
        return next((c for c in self.state()["mine"] if c["conversation_id"] == conversation), None)


class Citizen:
    def __init__(self, rasa: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.got: list[dict] = []
        self.session: list[str] = []
        self.sio.on("bot_uttered", self.got.append)
        self.sio.on("session_confirm", self.session.append)
        self.sio.connect(rasa, socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
        self.sio.emit("session_request", {})
        wait_until(lambda: self.session, 20, "session")
        self.conversation = "web:" + self.session[0].partition(".")[0]

    def say(self, text: str, replies: int = 1, seconds: float = 60) -> list[dict]:
        before = len(self.got)
        self.sio.emit("user_uttered", {"message": text})
        return wait_until(lambda: self.got[before:] if len(self.got) >= before + replies else None,
                          seconds, f"a reply to {text!r}")

    def wait_agent(self, before: int) -> dict:
        return wait_until(lambda: next((m for m in self.got[before:]
                                        if (m.get("metadata") or {}).get("agent")), None),
                          30, "the agent's message")


@pytest.mark.parametrize("lang, ask, queued, during, answer_q, answer", [
    ("zh", "我要转人工", "转接人工客服", "我的居住证办了一个月还没好", "护照多少钱", "护照"),
    ("en", "I want to talk to a human", "will join this chat", "my residence permit is late",
     "how much does a passport cost", "passport"),
])
def test_a_web_citizen_is_handed_to_an_agent_and_back(stack, lang, ask, queued, during,
                                                      answer_q, answer):
    desk = Desk(stack["console"])
    assert desk.post("/desk/presence", {"available": True}).status_code == 200
    citizen = Citizen(stack["rasa"])
    try:
        [told] = citizen.say(ask)
        assert queued in told["text"] and "1" in told["text"]
        card = wait_until(lambda: desk.waiting(citizen.conversation), 30, "the queue")
        assert desk.post(f"/desk/handoffs/{card['id']}/accept").status_code == 200
        joined = citizen.wait_agent(0)
        assert joined["metadata"]["agent"]["name"] == "agent1"

        # Paused: the assistant stays silent, the agent reads the citizen's message.
        before = len(citizen.got)
        citizen.sio.emit("user_uttered", {"message": during})
        wait_until(lambda: any(m["text"] == during for m in
                               (desk.held(citizen.conversation) or {}).get("transcript", [])),
                   30, "the citizen's message on the desk")
        assert len(citizen.got) == before

        reply = "<b>您好</b>, an agent here" if lang == "zh" else "<b>Hello</b>, an agent here"
        assert desk.post(f"/desk/handoffs/{card['id']}/reply", {"text": reply}).status_code == 200
        got = citizen.wait_agent(before)
        assert got["text"] == reply and got["metadata"]["agent"]["id"] == joined["metadata"]["agent"]["id"]

        before = len(citizen.got)
        assert desk.post(f"/desk/handoffs/{card['id']}/end").status_code == 200
        back = wait_until(lambda: citizen.got[before:], 30, "the assistant's return")
        assert ("智能助手" if lang == "zh" else "assistant is back") in back[0]["text"]
        assert answer in " ".join(m["text"] for m in citizen.say(answer_q)).lower()
        stored = wait_until(lambda: [m for m in desk_transcript(stack, citizen.conversation)
                                     if m["agent_id"]], 30, "the stored agent reply")
        assert [m["text"] for m in stored if m["text"] == reply] == [reply]
    finally:
        citizen.sio.disconnect()


def desk_transcript(stack, conversation: str) -> list[dict]:
    """The conversation as the console stored it (via a fresh desk read of the database)."""
    import sqlite3
    with sqlite3.connect(stack["tmp"] / "console.sqlite3") as db:
        rows = db.execute("SELECT text, agent_id FROM messages WHERE conversation_id = ? "
                          "ORDER BY id", (conversation,)).fetchall()
    return [{"text": t, "agent_id": a} for t, a in rows]


def test_a_citizen_who_disconnects_is_shown_to_the_agent(stack):
    desk = Desk(stack["console"])
    desk.post("/desk/presence", {"available": True})
    citizen = Citizen(stack["rasa"])
    citizen.say("我要转人工")
    card = wait_until(lambda: desk.waiting(citizen.conversation), 30, "the queue")
    desk.post(f"/desk/handoffs/{card['id']}/accept")
    citizen.sio.disconnect()
    wait_until(lambda: (desk.held(citizen.conversation) or {}).get("citizen_left"), 30,
               "the citizen-left mark")
    # The event consumer stores the citizen's message on its own schedule (it polls Rasa's
    # events): the transcript is waited for, not read at the moment the mark appears.
    wait_until(lambda: any(m["text"] == "我要转人工"
                           for m in (desk.held(citizen.conversation) or {}).get("transcript", [])),
               30, "the citizen's message in the transcript")
    assert desk.post(f"/desk/handoffs/{card['id']}/end").status_code == 200


def test_a_wechat_citizen_gets_the_agent_reply_as_a_customer_service_message(stack):
    desk = Desk(stack["console"])
    desk.post("/desk/presence", {"available": True})
    wechat = WeChat(stack["rasa"] + "/webhooks/wechat/webhook")
    openid = "o-handoff-" + uuid.uuid4().hex[:8]
    told = wechat.read(wechat.post(text_xml(openid, "转人工"), timeout=60))
    texts = (told or {}).get("Content", "") + " ".join(stack["fake"].wait_for(openid, 1, 20))
    assert "转接人工客服" in texts
    conversation = f"wechat:{openid}"
    card = wait_until(lambda: desk.waiting(conversation), 30, "the queue")
    desk.post(f"/desk/handoffs/{card['id']}/accept")
    sent_before = len(stack["fake"].messages_for(openid))
    assert desk.post(f"/desk/handoffs/{card['id']}/reply", {"text": "您好，我是人工客服小王"}).status_code == 200
    got = stack["fake"].wait_for(openid, sent_before + 2, 20)
    assert "您好，我是人工客服小王" in got
    assert desk.post(f"/desk/handoffs/{card['id']}/end").status_code == 200


def test_an_integrator_gets_the_agent_reply_on_its_signed_callback(stack):
    desk = Desk(stack["console"])
    desk.post("/desk/presence", {"available": True})
    sender = "caller-" + uuid.uuid4().hex[:8]
    told = requests.post(stack["rasa"] + "/webhooks/rest/webhook", timeout=60,
                         headers={"Authorization": f"Bearer {INTEGRATOR_KEY}"},
                         json={"sender": sender, "message": "I want to talk to a human",
                               "metadata": {"language": "en"}})
    assert "will join this chat" in told.json()[0]["text"]
    card = wait_until(lambda: desk.waiting(f"rest:e2e:{sender}"), 30, "the queue")
    desk.post(f"/desk/handoffs/{card['id']}/accept")
    assert desk.post(f"/desk/handoffs/{card['id']}/reply", {"text": "Hello from an agent"}).status_code == 200
    payload, headers = wait_until(lambda: next(
        (r for r in stack["callbacks"].received
         if r[0]["recipient_id"] == sender and r[0]["messages"][0]["text"] == "Hello from an agent"),
        None), 30, "the callback")
    assert payload["messages"][0]["metadata"]["agent"]["name"] == "agent1"
    expected = hmac.new(INTEGRATOR_KEY.encode(), headers["X-Timestamp"].encode() + b"." +
                        headers["body"], hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    assert desk.post(f"/desk/handoffs/{card['id']}/end").status_code == 200


def test_the_agent_relay_refuses_forged_and_malformed_requests(stack):
    from signing.relay import sign
    url = stack["rasa"] + "/webhooks/agent_relay/send"
    good = {"kind": "reply", "conversation_id": "web:nobody", "language": "en", "text": "hi",
            "agent": {"id": 1, "name": "agent1"}, "reply_id": "r1"}

    def post(body: bytes, secret: str = RELAY_SECRET) -> requests.Response:
        return requests.post(url, data=body, headers={"Content-Type": "application/json",
                                                      **sign(secret, body)}, timeout=30)
    assert post(json.dumps(good).encode(), "forged-secret").status_code == 401
    assert requests.post(url, json=good, timeout=30).status_code == 401  # unsigned
    for bad in (b"{not json", b"[]", json.dumps({**good, "kind": "drop_table"}).encode(),
                json.dumps({**good, "text": ""}).encode(),
                json.dumps({**good, "text": "x" * 2001}).encode(),
                json.dumps({**good, "agent": {"id": "1; DROP", "name": "x"}}).encode()):
        response = post(bad)
        assert response.status_code == 400 and "error" in response.json()
    assert post(b"x" * 20000).status_code == 413
    assert post(json.dumps(good).encode()).status_code == 404  # no such conversation


def test_two_misunderstandings_in_a_row_go_to_a_person(stack):
    desk = Desk(stack["console"])
    desk.post("/desk/presence", {"available": True})
    citizen = Citizen(stack["rasa"])
    try:
        # "/nlu_fallback" is what the model says when it is unsure (Rasa's intent payload syntax).
        [first] = citizen.say("/nlu_fallback")
        assert "没有完全理解" in first["text"]
        second = citizen.say("/nlu_fallback", replies=2)
        assert "没有完全理解" in second[0]["text"] and "转接人工客服" in second[1]["text"]
        card = wait_until(lambda: desk.waiting(citizen.conversation), 30, "the queue")
        assert card["reason"] == "fallback"
        assert desk.post(f"/desk/handoffs/{card['id']}/accept").status_code == 200
        assert desk.post(f"/desk/handoffs/{card['id']}/end").status_code == 200
    finally:
        citizen.sio.disconnect()


def test_without_an_available_agent_12345_and_a_call_back_request_are_offered(stack):
    desk = Desk(stack["console"])
    assert desk.post("/desk/presence", {"available": False}).status_code == 200
    citizen = Citizen(stack["rasa"])
    try:
        [told] = citizen.say("I want to talk to a human")
        assert "No agent can join" in told["text"] and "12345" in told["text"]
        assert [b["payload"] for b in told.get("quick_replies") or told.get("buttons") or []] == [
            "/report_issue"]
        assert desk.waiting(citizen.conversation) is None
    finally:
        citizen.sio.disconnect()
        desk.post("/desk/presence", {"available": True})
