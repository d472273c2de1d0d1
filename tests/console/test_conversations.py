"""Conversations list with filters, transcripts, and the dashboard's figures."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from console.ingest.store import store_events
from console.models import Conversation, Message
from tests.console.events import bot, user
from tests.console.web import logged_in

NOW = time.time()  # seeded relative to now: the dashboard shows the last 30 days
DAY = 86400


def _seed(sessions):
    events = [
        user("wechat:openid-zh", "我的电话是13812345678，居住证怎么办", "ask_service_requirements", 0.93,
             NOW - 2 * DAY, channel="wechat"),
        bot("wechat:openid-zh", "办理居住证需要：身份证……", NOW - 2 * DAY + 1),
        user("rest:dev:en-user", "blorp zzz", "nlu_fallback", 0.3, NOW - DAY, channel="rest"),
        user("rest:dev:en-user", "what is the fee for a passport", "ask_service_fee", 0.96,
             NOW - DAY + 0.001, channel="rest", message_id="m2"),
        user("web:old", "hello", "greet", 0.99, NOW - 40 * DAY, channel=None),
    ]
    with sessions() as s, s.begin():
        store_events(s, events)


def _listed(client, query: str = "") -> set[str]:
    page = client.get(f"/conversations{query}")
    assert page.status_code == 200, page.text
    return {cid for cid in ("openid-zh", "en-user", "web%3Aold") if cid in page.text}


def test_filters_select_conversations(app, sessions):
    _seed(sessions)
    client, _ = logged_in(app, "viewer")
    assert _listed(client) == {"openid-zh", "en-user", "web%3Aold"}
    assert _listed(client, "?channel=wechat") == {"openid-zh"}
    assert _listed(client, "?language=en") == {"en-user", "web%3Aold"}
    assert _listed(client, "?outcome=fallback") == {"en-user"}
    assert _listed(client, "?intent=ask_service_fee") == {"en-user"}
    assert _listed(client, "?low_confidence=1") == {"en-user"}
    since = (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat()
    assert _listed(client, f"?date_from={since}") == {"openid-zh", "en-user"}
    before = (datetime.now(timezone.utc) - timedelta(days=30)).date().isoformat()
    assert _listed(client, f"?date_to={before}") == {"web%3Aold"}


def test_sql_in_filter_values_does_nothing(app, sessions):
    _seed(sessions)
    client, _ = logged_in(app, "viewer")
    for value in ("' OR '1'='1", "wechat'; DROP TABLE messages; --", "1) OR (1=1"):
        assert _listed(client, f"?channel={value}") == set()
        assert _listed(client, f"?intent={value}") == set()
        assert client.get("/conversations", params={"outcome": value}).status_code == 200
    assert client.get("/conversations?date_from=2026-01-01' OR 1=1").status_code == 400
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 5
        assert s.scalar(select(func.count()).select_from(Conversation)) == 3


def test_transcript_shows_intent_confidence_and_redacted_text(app, sessions):
    _seed(sessions)
    client, _ = logged_in(app, "viewer")
    page = client.get("/conversations/wechat:openid-zh").text
    assert "ask_service_requirements · 0.93" in page and "办理居住证需要" in page
    assert "13812345678" not in page
    fallback = client.get("/conversations/rest:dev:en-user").text
    assert "nlu_fallback · 0.30" in fallback and 'class="nlu low"' in fallback
    assert client.get("/conversations/no-such-id").status_code == 404


def test_dashboard_counts_the_last_30_days(app, sessions):
    _seed(sessions)
    client, _ = logged_in(app, "viewer")
    page = client.get("/dashboard").text
    # 3 citizen messages in the window (the 40-day-old one is outside), one of them a fallback.
    assert page.count("<rect x=") == 60  # a bar per day in both day charts
    assert "ask_service_fee" in page and "ask_service_requirements" in page and "greet" not in page
    assert ": 50%" in page  # the fallback rate of yesterday: 1 of 2 messages
    assert "blorp zzz" in page  # top unanswered


def test_an_annotated_message_shows_its_verdict_in_the_transcript_and_dashboard(app, sessions):
    _seed(sessions)
    client, token = logged_in(app, "annotator")
    before = client.get("/dashboard").text
    assert "labelled, awaiting training" not in before and "已标注，待训练" not in before
    response = client.post("/inbox/decide", data={
        "normalized_text": "blorp zzz", "decision": "out_of_scope", "csrf_token": token})
    assert response.status_code == 303
    transcript = client.get("/conversations/rest:dev:en-user").text
    assert "已由 annotator 标为超出范围" in transcript  # the operator's default language is Chinese
    assert transcript.count('class="verdict"') == 1  # the other message has no verdict
    dashboard = client.get("/dashboard").text
    row = dashboard[dashboard.index("blorp zzz"):]
    assert "已标注，待训练" in row[:row.index("</tr>")]
