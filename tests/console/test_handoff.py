"""The agent desk and the handoff queue, on SQLite and PostgreSQL: queueing, working hours,
accept, reply, end, timeouts, a citizen who leaves, call-back tickets, and bad input."""
from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import uvicorn
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from console.handoff import queue
from console.ingest.store import store_events
from console.models import Handoff, Message, User
from console.settings import Settings
from tests.console.conftest import PASSWORD
from tests.console.handoff_support import (AGENTS, TOKEN, FakeDataService, FakeRasa, services)
from tests.console.web import login

SHANGHAI_10AM = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)  # Thursday 10:00 in Shanghai


@pytest.fixture
def rasa():
    return FakeRasa()


@pytest.fixture
def data():
    return FakeDataService()


@pytest.fixture
def desk_app(database_url, sessions, rasa, data):
    from console.web.accounts import create_user
    from console.web.app import create_app
    with sessions() as s, s.begin():
        for name in AGENTS:
            create_user(s, "test", name, PASSWORD, "agent")
        create_user(s, "test", "viewer", PASSWORD, "viewer")
    app = create_app(Settings(database_url=database_url, handoff_token=TOKEN), sessions)
    # Staffed round the clock: these tests run on any day. Working hours and the city calendar
    # have tests of their own, at fixed times.
    app.state.handoff = services(rasa, data, "always")
    return app


class Agent:
    """An agent's browser: logged in, posting JSON with the page's CSRF token."""

    def __init__(self, app, name: str) -> None:
        self.client, response = login(app, name)
        assert response.status_code == 303
        page = self.client.get("/desk")
        assert page.status_code == 200
        self.csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]

    def post(self, path: str, body: dict | None = None, csrf: str | None = None):
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": (
            self.csrf if csrf is None else csrf)})

    def state(self) -> dict:
        response = self.client.get("/desk/state")
        assert response.status_code == 200, response.text
        return response.json()


def ask(app, conversation_id: str, language: str = "zh", reason: str = "asked", token=TOKEN):
    from fastapi.testclient import TestClient
    return TestClient(app).post("/api/handoffs", headers={"Authorization": f"Bearer {token}"},
                                json={"conversation_id": conversation_id, "channel": "socketio",
                                      "language": language, "reason": reason})


def held_by_agent1(desk_app, conversation_id: str, language: str = "zh") -> tuple[Agent, int]:
    """agent1, available, holding the conversation the citizen just asked a person for."""
    agent = Agent(desk_app, "agent1")
    agent.post("/desk/presence", {"available": True})
    handoff_id = ask(desk_app, conversation_id, language).json()["handoff_id"]
    agent.post(f"/desk/handoffs/{handoff_id}/accept")
    return agent, handoff_id


def test_no_available_agent_means_12345_is_offered(desk_app):
    assert ask(desk_app, "web:a").json() == {"status": "unavailable", "reason": "no_agent"}


def test_a_citizen_is_queued_with_a_place_and_kept_once(desk_app, rasa):
    agent = Agent(desk_app, "agent1")
    assert agent.post("/desk/presence", {"available": True}).json() == {"available": True}
    first, second = ask(desk_app, "web:a").json(), ask(desk_app, "web:b", "en").json()
    assert (first["status"], first["position"]) == ("queued", 1)
    assert (second["status"], second["position"]) == ("queued", 2)
    assert ask(desk_app, "web:a").json()["position"] == 1  # asking again keeps the place
    state = agent.state()
    assert [c["conversation_id"] for c in state["queue"]] == ["web:a", "web:b"]
    assert [c["position"] for c in state["queue"]] == [1, 2]


def test_accept_reply_end_reach_the_citizen_and_the_reply_is_stored_redacted(desk_app, rasa,
                                                                              sessions):
    agent = Agent(desk_app, "agent1")
    agent.post("/desk/presence", {"available": True})
    handoff_id = ask(desk_app, "web:a", "en").json()["handoff_id"]
    assert agent.post(f"/desk/handoffs/{handoff_id}/accept").json()["status"] == "active"
    text = "I can call you back on 13812345678 <b>today</b>"
    assert agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": text}).status_code == 200
    assert agent.post(f"/desk/handoffs/{handoff_id}/end").json()["status"] == "ended"

    assert rasa.kinds() == ["join", "reply", "end"]
    reply = rasa.sent[1]
    assert reply["text"] == text and reply["conversation_id"] == "web:a"
    assert reply["language"] == "en" and reply["agent"]["name"] == "agent1"
    with sessions() as s:
        agent_id = s.scalar(select(User.id).where(User.username == "agent1"))
        stored = s.scalars(select(Message).where(Message.conversation_id == "web:a")).all()
        assert [(m.sender, m.agent_id) for m in stored] == [("bot", agent_id)]
        assert "13812345678" not in stored[0].text and "<b>today</b>" in stored[0].text
    # Rasa's copy of the reply comes back through the event broker: stored once.
    with sessions() as s:
        with s.begin():
            added = store_events(s, [{
                "event": "bot", "sender_id": "web:a", "text": text, "timestamp": 1.8e9,
                "metadata": {"agent": {"id": agent_id, "name": "agent1",
                                       "reply_id": reply["reply_id"]}}}])
        assert added == 0
        assert s.scalar(select(Handoff.status)) == "ended"
    assert agent.state()["mine"] == []


def _rasa_copy(reply: dict, agent_id: int) -> dict:
    """The bot event Rasa publishes for a delivered reply (bot/channels/agent_relay.py)."""
    return {"event": "bot", "sender_id": reply["conversation_id"], "text": reply["text"],
            "timestamp": 1.8e9, "metadata": {"agent": {"id": agent_id, "name": "agent1",
                                                        "reply_id": reply["reply_id"]}}}


def _stored_replies(sessions, conversation_id: str) -> list[tuple[str, str, int | None]]:
    with sessions() as s:
        return [(m.sender, m.text, m.agent_id) for m in s.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))]


def test_a_reply_the_consumer_stored_first_is_stored_once(desk_app, rasa, sessions):
    """The desk delivers a reply before storing it: the consumer may store Rasa's copy first."""
    agent, handoff_id = held_by_agent1(desk_app, "web:a", "en")
    agent_id = _agent_id(sessions, "agent1")

    def consumer_first(reply: dict) -> None:
        with sessions() as s, s.begin():
            assert store_events(s, [_rasa_copy(reply, agent_id)]) == 1

    rasa.on_reply = consumer_first
    response = agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "One moment please"})
    assert response.status_code == 200 and response.json()["text"] == "One moment please"
    assert _stored_replies(sessions, "web:a") == [("bot", "One moment please", agent_id)]
    assert agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "明天给您回电"}).status_code == 200
    assert [t for _, t, _ in _stored_replies(sessions, "web:a")] == ["One moment please", "明天给您回电"]


def test_a_reply_stored_between_the_consumers_check_and_insert_is_stored_once(
        desk_app, rasa, sessions, monkeypatch):
    agent, handoff_id = held_by_agent1(desk_app, "web:a")
    assert agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "您好，我是客服"}).status_code == 200
    agent_id = _agent_id(sessions, "agent1")
    # The consumer looked for the batch's keys just before the desk committed its reply.
    from console.ingest import store
    looks, real = [], store.taken_keys

    def stale_first_look(session, keys):
        looks.append(keys)
        return set() if len(looks) == 1 else real(session, keys)

    monkeypatch.setattr(store, "taken_keys", stale_first_look)
    citizen = {"event": "user", "sender_id": "web:a", "text": "好的谢谢", "timestamp": 1.8e9 + 5,
               "input_channel": "socketio"}
    with sessions() as s, s.begin():
        assert store_events(s, [_rasa_copy(rasa.sent[-1], agent_id), citizen]) == 1
    assert len(looks) == 2
    assert _stored_replies(sessions, "web:a") == [("bot", "您好，我是客服", agent_id),
                                                   ("user", "好的谢谢", None)]


def test_a_reply_is_stored_while_the_consumer_stores_the_conversations_first_events(
        desk_app, rasa, sessions):
    """The consumer stores the citizen's first events between the desk's look for the conversation
    and its insert. On SQLite a commit there left the desk's read stale: "database is locked", a
    500 for a reply the citizen had already received."""
    agent, handoff_id = held_by_agent1(desk_app, "web:a")
    citizen = {"event": "user", "sender_id": "web:a", "text": "我要转人工", "timestamp": 1.8e9,
               "input_channel": "socketio"}
    consumer = threading.Thread(target=_consume_as_the_consumer_does, args=(sessions, [citizen]))

    def consumer_meanwhile(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO conversations") and consumer.ident is None:
            consumer.start()
            consumer.join(timeout=3)  # on SQLite it waits for the desk's write lock instead

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", consumer_meanwhile)
    try:
        response = agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "您好，我是客服"})
    finally:
        event.remove(engine, "before_cursor_execute", consumer_meanwhile)
    consumer.join(timeout=60)
    assert consumer.ident is not None and not consumer.is_alive()
    assert response.status_code == 200, response.text
    assert sorted(_stored_replies(sessions, "web:a"), key=lambda m: m[0]) == [
        ("bot", "您好，我是客服", _agent_id(sessions, "agent1")), ("user", "我要转人工", None)]


def _consume_as_the_consumer_does(sessions, events: list[dict]) -> None:
    """Store, trying again while the database is busy, on the test's plain engine (on SQLite a
    transaction whose read went stale is refused at once; the real consumer's engine waits)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with sessions() as s, s.begin():
                store_events(s, events)
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _agent_id(sessions, username: str) -> int:
    with sessions() as s:
        return s.scalar(select(User.id).where(User.username == username))


def test_a_database_error_during_an_action_is_a_json_error_and_changes_nothing(
        desk_app, rasa, sessions, monkeypatch):
    agent, handoff_id = held_by_agent1(desk_app, "web:a")

    def locked(*_args, **_kwargs):
        raise OperationalError("UPDATE handoffs", {}, Exception("database is locked"))

    monkeypatch.setattr(queue, "end", locked)
    response = agent.post(f"/desk/handoffs/{handoff_id}/end")
    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "database_busy", "message": "控制台数据库暂时不可用，未能保存，请稍后重试。"}
    with sessions() as s:
        assert s.get(Handoff, handoff_id).status == "active"


def test_two_agents_cannot_take_the_same_conversation(desk_app):
    one, two = Agent(desk_app, "agent1"), Agent(desk_app, "agent2")
    one.post("/desk/presence", {"available": True})
    handoff_id = ask(desk_app, "web:a").json()["handoff_id"]
    assert one.post(f"/desk/handoffs/{handoff_id}/accept").status_code == 200
    taken = two.post(f"/desk/handoffs/{handoff_id}/accept")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "handoff_taken"


def test_bad_replies_get_clear_errors_and_nothing_is_sent(desk_app, rasa, sessions):
    one, two = Agent(desk_app, "agent1"), Agent(desk_app, "agent2")
    one.post("/desk/presence", {"available": True})
    handoff_id = ask(desk_app, "web:a").json()["handoff_id"]
    one.post(f"/desk/handoffs/{handoff_id}/accept")
    not_mine = two.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "hello"})
    assert not_mine.status_code == 403
    assert not_mine.json()["error"] == {"code": "handoff_not_yours",
                                        "message": "您没有接待这个对话。"}
    assert two.post(f"/desk/handoffs/{handoff_id}/end").status_code == 403
    assert two.post("/desk/handoffs/99999/reply", {"text": "hello"}).status_code == 403
    for body, code in (({"text": "   "}, "reply_empty"), ({}, "reply_empty"),
                       ({"text": 42}, "reply_empty"), ({"text": "x" * 2001}, "reply_too_long")):
        response = one.post(f"/desk/handoffs/{handoff_id}/reply", body)
        assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    forged = one.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "hi"}, csrf="forged")
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf"
    malformed = one.client.post(f"/desk/handoffs/{handoff_id}/reply", content=b"{not json",
                                headers={"X-CSRF-Token": one.csrf})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "bad_request"
    assert rasa.kinds() == ["join"]
    with sessions() as s:
        assert s.scalars(select(Message)).all() == []


def test_a_reply_rasa_did_not_take_is_an_error_and_not_stored(desk_app, rasa, sessions):
    agent, handoff_id = held_by_agent1(desk_app, "web:a")
    rasa.down = True
    response = agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "hello"})
    assert response.status_code == 502 and response.json()["error"]["code"] == "delivery_failed"
    with sessions() as s:
        assert s.scalars(select(Message)).all() == []


def test_only_agents_use_the_desk(desk_app):
    client, _ = login(desk_app, "viewer")
    assert client.get("/desk").status_code == 403
    assert client.get("/desk/state").status_code == 403
    from fastapi.testclient import TestClient
    assert TestClient(desk_app).get("/desk/state").status_code == 401


def test_the_handoff_api_wants_its_token_and_a_valid_body(desk_app):
    assert ask(desk_app, "web:a", token="wrong").status_code == 401
    from fastapi.testclient import TestClient
    client = TestClient(desk_app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for body in (b"{", b"[]", b'{"conversation_id": ""}', b'{"conversation_id": "x", "channel":'
                 b' "web", "language": "fr"}', b'{"conversation_id": "x", "channel": "w", "x": 1}'):
        response = client.post("/api/handoffs", content=body, headers=headers)
        assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_body"
    huge = client.post("/api/handoffs", content=b"x" * 5000, headers=headers)
    assert huge.status_code == 413


def test_a_silent_agent_loses_the_conversation_to_the_queue(desk_app, sessions):
    one, two = Agent(desk_app, "agent1"), Agent(desk_app, "agent2")
    one.post("/desk/presence", {"available": True})
    handoff_id = ask(desk_app, "web:a").json()["handoff_id"]
    one.post(f"/desk/handoffs/{handoff_id}/accept")
    with sessions() as s, s.begin():
        s.get(Handoff, handoff_id).agent_active_at = datetime.now(timezone.utc) - timedelta(minutes=6)
    assert [c["id"] for c in two.state()["queue"]] == [handoff_id]
    assert one.state()["mine"] == []
    assert one.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "still here"}).status_code == 403
    assert two.post(f"/desk/handoffs/{handoff_id}/accept").status_code == 200


def test_an_agent_who_keeps_replying_keeps_the_conversation(sessions):
    with sessions() as s, s.begin():
        agent = User(username="a", password_hash="x", role="agent", failed_logins=0,
                     created_at=SHANGHAI_10AM)
        s.add(agent)
        s.flush()
        h = queue.enqueue(s, "web:a", "socketio", "zh", "asked", SHANGHAI_10AM).handoff
        queue.accept(s, h.id, agent, SHANGHAI_10AM)
        queue.record_reply(s, h, agent, "hello", "r1", SHANGHAI_10AM + timedelta(minutes=4))
        idle = timedelta(minutes=5)
        assert queue.requeue_idle(s, SHANGHAI_10AM + timedelta(minutes=8), idle) == 0
        assert queue.requeue_idle(s, SHANGHAI_10AM + timedelta(minutes=10), idle) == 1


def test_a_citizen_who_leaves_is_shown_and_nothing_is_lost(desk_app, sessions):
    agent, handoff_id = held_by_agent1(desk_app, "web:a")
    with sessions() as s, s.begin():
        store_events(s, [{"event": "user", "sender_id": "web:a", "text": "<script>x</script>等一下",
                          "timestamp": 1.8e9, "input_channel": "socketio"}])
    from fastapi.testclient import TestClient
    left = TestClient(desk_app).post("/api/handoffs/left", json={"conversation_id": "web:a"},
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert left.json() == {"handoff": True}
    [card] = agent.state()["mine"]
    assert card["citizen_left"] is True
    assert [m["text"] for m in card["transcript"]] == ["<script>x</script>等一下"]
    assert agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "are you there?"}).status_code == 200


@pytest.mark.parametrize("when, hours, open_", [
    (datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc), "09:00-18:00", True),    # Thu 10:00
    (datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc), "09:00-18:00", False),  # Thu 20:00
    (datetime(2026, 12, 5, 2, 0, tzinfo=timezone.utc), "09:00-18:00", False),   # Saturday
    (datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc), "09:00-18:00", False),   # National Day
    (datetime(2026, 10, 10, 2, 0, tzinfo=timezone.utc), "09:00-18:00", True),   # make-up Saturday
    (datetime(2026, 12, 3, 15, 59, tzinfo=timezone.utc), "00:00-24:00", True),  # Thu 23:59
    (datetime(2026, 10, 1, 15, 0, tzinfo=timezone.utc), "always", True),        # round the clock
])
def test_working_hours_follow_the_city_calendar(when, hours, open_):
    assert services(FakeRasa(), FakeDataService(), hours).hours.open_at(when) is open_


def test_outside_working_hours_or_without_the_calendar_12345_is_offered(desk_app, data, sessions):
    from console.web.handoff_api import HandoffRequest, take_place
    body = HandoffRequest(conversation_id="web:a", channel="socketio")
    Agent(desk_app, "agent1").post("/desk/presence", {"available": True})
    closed = services(FakeRasa(), data, "09:00-18:00")
    with sessions() as s:
        evening = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
        assert take_place(s, closed, body, evening) == {"status": "unavailable", "reason": "closed"}
        assert take_place(s, closed, body, SHANGHAI_10AM)["status"] == "queued"
        s.rollback()
    # A desk open every hour of working days: without the calendar, no day is known to be one.
    desk_app.state.handoff = services(FakeRasa(), data, "00:00-24:00")
    data.calendar_up = False
    assert ask(desk_app, "web:a").json() == {"status": "unavailable", "reason": "closed"}


def test_an_agent_files_a_12345_ticket_from_the_desk(desk_app, data, sessions):
    agent, handoff_id = held_by_agent1(desk_app, "web:a", "en")
    path = f"/desk/handoffs/{handoff_id}/ticket"
    filed = agent.post(path, {"description": "Streetlight out on Fuxing Road", "location":
                              "Fuxing Road 100", "district": "huangpu"})
    assert filed.json() == {"ticket_no": "T0001"}
    assert data.tickets[0]["channel"] == "agent_desk" and data.tickets[0]["language"] == "en"
    refused = agent.post(path, {"description": "x"})
    assert refused.status_code == 400 and "description" in refused.json()["error"]["message"]


def test_the_desk_streams_a_new_conversation_as_it_arrives(desk_app):
    """Server-sent events over a real HTTP server: the queue's change arrives on the open stream."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(desk_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        agent = Agent(desk_app, "agent1")
        agent.post("/desk/presence", {"available": True})
        cookies = {"console_session": agent.client.cookies.get("console_session")}
        while not server.started:
            time.sleep(0.05)
        with httpx.Client(base_url=base, cookies=cookies, timeout=20) as http, \
                http.stream("GET", "/desk/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = (json.loads(line[len("data: "):]) for line in stream.iter_lines()
                      if line.startswith("data: "))
            assert next(events)["queue"] == []
            ask(desk_app, "web:live", "en")
            arrived = next(events)
            assert [c["conversation_id"] for c in arrived["queue"]] == ["web:live"]
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_transcript_page_marks_agent_replies(desk_app, sessions):
    agent, handoff_id = held_by_agent1(desk_app, "web:a", "en")
    agent.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "<script>alert(1)</script>hi"})
    page = agent.client.get("/conversations/web:a").text
    assert "人工客服 #" in page and "&lt;script&gt;alert(1)&lt;/script&gt;hi" in page
