"""The whole backend end to end: Rasa with the trained model, the action server and the data
service, over the REST webhook and over socket.io (what a web chat widget speaks), in zh and en.
Answers are checked against what the data service itself says."""
from __future__ import annotations

import json
import time
import urllib.request

import pytest
import requests
import socketio

from tests.actions.conftest import API_KEY
from tests.bot.conftest import INTEGRATOR_KEY, TOKEN
from tests.senders import new_sender

AUTH = {"Authorization": f"Bearer {INTEGRATOR_KEY}"}


def rest(backend, text: str, sender: str | None = None) -> list[dict]:
    r = requests.post(backend["rasa"] + "/webhooks/rest/webhook",
                      json={"sender": sender or new_sender(), "message": text}, headers=AUTH,
                      timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def joined(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def ds(backend, path: str) -> dict:
    req = urllib.request.Request(backend["dataservice"] + path, headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def test_residence_permit_documents_in_chinese(backend):
    service = ds(backend, "/v1/services/residence_permit?lang=zh")
    reply = joined(rest(backend, "居住证要带什么材料？"))
    assert service["name"] in reply
    assert any(doc in reply for doc in service["documents"])


def test_residence_permit_processing_time_in_english(backend):
    service = ds(backend, "/v1/services/residence_permit?lang=en")
    reply = joined(rest(backend, "how long does a Shanghai residence permit take"))
    assert service["processing_time"] in reply


def test_pudong_centre_saturday_hours_in_chinese(backend):
    reply = joined(rest(backend, "浦东的社区事务受理中心周六开门吗"))
    centers = ds(backend, "/v1/centers?district=pudong&lang=zh")["items"]
    assert any(c["name"] in reply for c in centers)
    assert "周六" in reply or "星期六" in reply or "-" in reply


def test_water_bill_asks_for_verification_in_english(backend):
    sender = new_sender()
    reply = joined(rest(backend, "my water bill account is 3100123456", sender))
    assert "4" in reply and ("digit" in reply or "phone" in reply)


def test_socketio_widget_conversation_in_both_languages(backend):
    sio = socketio.Client()
    got: list[dict] = []
    confirmed: list = []
    sio.on("bot_uttered", lambda data: got.append(data))
    sio.on("session_confirm", confirmed.append)
    sio.connect(backend["rasa"], socketio_path="/socket.io", transports=["polling"], wait_timeout=20)
    try:
        # A widget asking to resume an integrator's conversation gets a session of its own.
        integrator_sender = new_sender()
        rest(backend, "护照多少钱", integrator_sender)
        sio.emit("session_request", {"session_id": f"rest:e2e:{integrator_sender}"})
        _wait(sio, confirmed, 1)
        session = confirmed[0]
        assert session != f"rest:e2e:{integrator_sender}"
        service = ds(backend, "/v1/services/passport?lang=en")
        sio.emit("user_uttered", {"message": "how much does a passport cost", "session_id": session})
        _wait(sio, got, 1)
        assert service["fee"] in "\n".join(m.get("text", "") for m in got)
        got.clear()
        sio.emit("user_uttered", {"message": "护照多少钱", "session_id": session})
        _wait(sio, got, 1)
        zh = ds(backend, "/v1/services/passport?lang=zh")
        assert zh["fee"] in "\n".join(m.get("text", "") for m in got)
        # socket.io emits the answer while Rasa is still working; the tracker is saved after it.
        assert stored_user_texts(backend, f"web:{session.split('.')[0]}", 2) == [
            "how much does a passport cost", "护照多少钱"]
        assert user_texts(backend, f"rest:e2e:{integrator_sender}") == ["护照多少钱"]
    finally:
        sio.disconnect()


def user_texts(backend, conversation: str) -> list[str]:
    r = requests.get(f"{backend['rasa']}/conversations/{conversation}/tracker",
                     params={"token": TOKEN}, timeout=30)
    assert r.status_code == 200, r.text
    return [e.get("text") for e in r.json()["events"] if e["event"] == "user"]


def stored_user_texts(backend, conversation: str, n: int, seconds: float = 10) -> list[str]:
    """The conversation's user messages once `n` of them are stored (or what is there after
    `seconds`)."""
    deadline = time.monotonic() + seconds
    while len(texts := user_texts(backend, conversation)) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    return texts


def _wait(sio, got: list, n: int, seconds: float = 30) -> None:
    waited = 0.0
    while len(got) < n and waited < seconds:
        sio.sleep(0.2)
        waited += 0.2
    assert len(got) >= n, "no bot_uttered event"


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_000, "😀😀😀", "\x00\x07\x1b[31m",
                                  "<script>alert(1)</script>", "'; DROP TABLE events;--",
                                  "护照" * 3000])
def test_bad_input_gets_a_sensible_answer_and_the_server_survives(backend, text):
    r = requests.post(backend["rasa"] + "/webhooks/rest/webhook",
                      json={"sender": new_sender(), "message": text}, headers=AUTH, timeout=60)
    assert r.status_code < 500, r.text
    assert backend["rasa_proc"].poll() is None
    health = rest(backend, "hello")
    assert health and health[0].get("text")
