"""Reading Rasa events: redaction, channel, language, model id, and the outcomes of a turn."""
from __future__ import annotations

from console.ingest.events import event_key, normalize_text, read_event
from tests.console.events import action, active_loop, bot, slot, user


def test_citizen_message_is_redacted_and_keeps_its_prediction():
    event = user("rest:dev:alice", "我的手机 13812345678，居住证要带什么？", "ask_service_requirements",
                 0.87, entities=[{"entity": "service", "value": "居住证", "start": 0, "end": 3}])
    m = read_event(event).message
    assert "13812345678" not in m.text and m.text.endswith("居住证要带什么？")
    assert (m.intent, m.confidence, m.model_id, m.language) == (
        "ask_service_requirements", 0.87, "model-abc", "zh")
    assert m.entities == [{"entity": "service", "value": "居住证"}]
    assert [r["name"] for r in m.ranking] == ["ask_service_requirements", "greet"]


def test_language_hint_wins_over_detection_and_english_is_detected():
    assert read_event(user("s", "hello", "greet", 0.9, language="zh")).message.language == "zh"
    assert read_event(user("s", "How long does it take?", "greet", 0.9)).message.language == "en"


def test_channel_from_input_channel_then_from_the_id_prefix():
    assert read_event(user("x", "hi", "greet", 0.9, channel="wechat")).channel == "wechat"
    assert read_event(user("web:sess1", "hi", "greet", 0.9, channel=None)).channel == "web"
    assert read_event(user("plain-id", "hi", "greet", 0.9, channel=None)).channel == "unknown"


def test_outcomes_of_a_turn():
    assert read_event(user("s", "asdf", "nlu_fallback", 0.3)).outcomes == ["fallback"]
    assert read_event(user("s", "weather?", "out_of_scope", 0.9)).outcomes == ["out_of_scope"]
    assert read_event(user("s", "转人工", "request_human", 0.9)).outcomes == ["human_request"]
    assert read_event(action("s", "action_default_fallback")).outcomes == ["fallback"]
    assert read_event(slot("s", "last_ticket_no", "12345-20261203-P4XN8D")).outcomes == [
        "ticket_filed"]
    booked = bot("s", "预约成功！预约号：BK123")
    assert read_event(booked, last_action="action_book_appointment").outcomes == ["booking_made"]
    assert read_event(booked, last_action="action_show_more").outcomes == []


def test_no_is_a_wrong_answer_only_outside_a_form():
    assert read_event(user("s", "不对", "deny", 0.9)).outcomes == ["said_wrong"]
    assert read_event(user("s", "no", "deny", 0.9), active_loop="appointment_form").outcomes == []
    assert read_event(active_loop("s", None)).active_loop is None


def test_same_event_same_key_and_text_normalised_for_grouping():
    assert event_key(user("s", "hi", "greet", 0.5)) == event_key(user("s", "hi", "greet", 0.5))
    assert event_key(user("s", "hi", "greet", 0.5)) != event_key(user("s", "hi", "greet", 0.5, 2.0))
    assert normalize_text("  Ｈｏｗ   LONG?? ") == "how long"
    assert normalize_text("居住证 要多久？") == "居住证 要多久"


def test_events_without_a_conversation_are_ignored():
    assert read_event({"event": "user", "text": "hi"}) is None
    assert read_event({"sender_id": "s"}) is None
