"""Inbox: grouped misunderstood messages, annotation of whole groups, bad input, conflicts."""
from __future__ import annotations

import html

from sqlalchemy import func, select

from console.ingest.store import store_events
from console.models import Annotation, AuditEntry
from tests.console.events import BASE_TS, user
from tests.console.web import logged_in


def _seed(sessions, rows):
    """rows: (text, intent, confidence, times)."""
    events, i = [], 0
    for text, intent, confidence, times in rows:
        for _ in range(times):
            i += 1
            events.append(user(f"web:s{i}", text, intent, confidence, BASE_TS + i,
                               message_id=f"m{i}"))
    with sessions() as s, s.begin():
        store_events(s, events)


def _annotations(sessions):
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Annotation))


def test_groups_by_normalised_text_sorted_by_frequency_with_threshold_shown(app, sessions):
    _seed(sessions, [("How do I get a PERMIT?", "nlu_fallback", 0.3, 2),
                     ("how do i get a permit", "ask_service_requirements", 0.41, 1),
                     ("居住证 怎么办", "ask_service_requirements", 0.5, 1),
                     ("what is the fee for a passport", "ask_service_fee", 0.97, 5)])
    client, _ = logged_in(app, "viewer")
    page = client.get("/inbox").text
    assert "0.6" in page  # the confidence below which messages come here
    # One group for the three spellings, listed before the single message.
    assert page.index("How do I get a PERMIT?") < page.index("居住证 怎么办")
    assert "how do i get a permit" not in page
    assert "passport" not in page  # confident answers are not in the inbox
    row = page[page.index("PERMIT"):page.index("居住证")]
    assert ">3<" in row and "ask_service_requirements" in row  # 3 messages, best real intent
    assert "passport" in client.get("/inbox?threshold=0.99").text


def test_annotating_a_group_labels_all_its_messages_and_is_audited(app, sessions):
    _seed(sessions, [("浦东的居住证在哪里办", "nlu_fallback", 0.3, 3), ("hello", "greet", 0.2, 1)])
    client, token = logged_in(app, "annotator")
    response = client.post("/inbox/decide", data={
        "normalized_text": "浦东的居住证在哪里办", "decision": "annotated",
        "intent": "find_service_center", "service": "居住证", "district": "浦东",
        "csrf_token": token})
    assert response.status_code == 303
    with sessions() as s:
        rows = s.scalars(select(Annotation)).all()
        assert len(rows) == 3 and {r.intent for r in rows} == {"find_service_center"}
        assert rows[0].entities == [{"entity": "service", "value": "居住证"},
                                    {"entity": "district", "value": "浦东"}]
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "inbox.annotated")).one()
        assert entry.username == "annotator" and entry.after["messages"] == 3
        assert entry.before == {"status": "unreviewed", "messages": 3}
    page = client.get("/inbox").text
    assert "浦东的居住证在哪里办" not in page and "hello" in page


def test_skip_and_out_of_scope_take_a_group_out_of_the_inbox(app, sessions):
    _seed(sessions, [("what's the weather", "nlu_fallback", 0.2, 2), ("嗯嗯", "nlu_fallback", 0.2, 1)])
    client, token = logged_in(app, "annotator")
    for text, decision in (("what's the weather", "out_of_scope"), ("嗯嗯", "skipped")):
        assert client.post("/inbox/decide", data={"normalized_text": text, "decision": decision,
                                                  "csrf_token": token}).status_code == 303
    with sessions() as s:
        assert sorted(s.scalars(select(Annotation.status))) == ["out_of_scope", "out_of_scope",
                                                               "skipped"]
    assert "inbox_empty" not in client.get("/inbox").text


def test_bad_annotations_are_form_errors_and_store_nothing(app, sessions):
    long_text = "居" * 2100
    _seed(sessions, [("where is the centre", "nlu_fallback", 0.2, 1),
                     (long_text, "nlu_fallback", 0.2, 1)])
    client, token = logged_in(app, "annotator")
    cases = [
        ({"normalized_text": "where is the centre", "decision": "annotated", "intent": "no_such"},
         ("Unknown intent", "未知的意图")),
        ({"normalized_text": "where is the centre", "decision": "annotated", "intent": ""},
         ("Choose an intent", "请选择意图")),
        ({"normalized_text": "where is the centre", "decision": "annotated",
          "intent": "find_service_center", "district": "Pudong"},
         ("must appear in the message", "实体值必须出现")),
        ({"normalized_text": long_text[:400], "decision": "annotated",
          "intent": "find_service_center"}, ("2,000", "2000")),
        ({"normalized_text": "where is the centre", "decision": "annotated",
          "intent": "find_service_center", "service": "x" * 2001}, ("2,000", "2000")),
    ]
    for data, messages in cases:
        response = client.post("/inbox/decide", data={**data, "csrf_token": token})
        assert response.status_code == 400, data
        assert any(m in response.text for m in messages), data
    assert _annotations(sessions) == 0


def test_conflicts_with_training_data_and_between_annotations_are_flagged(app, sessions):
    trained = "what documents do I need for a residence permit"  # data/nlu/services_en.yml
    _seed(sessions, [(trained, "nlu_fallback", 0.3, 1), ("hi!", "nlu_fallback", 0.3, 1)])
    client, token = logged_in(app, "annotator")
    client.post("/inbox/decide", data={"normalized_text": trained.lower(), "decision": "annotated",
                                       "intent": "ask_office_hours", "csrf_token": token})
    client.post("/inbox/decide", data={"normalized_text": "hi", "decision": "annotated",
                                       "intent": "greet", "csrf_token": token})
    _seed(sessions, [("Hi", "nlu_fallback", 0.1, 1)])  # a later message with the same text
    client.post("/inbox/decide", data={"normalized_text": "hi", "decision": "out_of_scope",
                                       "csrf_token": token})
    page = html.unescape(client.get("/inbox").text)
    section = page[page.index("conflicts"):]
    assert "ask_office_hours" in section and "ask_service_requirements" in section
    assert "greet, out_of_scope" in section


def test_a_script_in_a_citizen_message_is_shown_as_text(app, sessions):
    _seed(sessions, [("<script>alert('x')</script>", "nlu_fallback", 0.1, 1)])
    client, _ = logged_in(app, "viewer")
    page = client.get("/inbox").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
