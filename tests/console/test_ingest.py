"""Storing events: once each however often they are delivered, and a stopped consumer catches up."""
from __future__ import annotations

import json
import threading
import time

import pika
from sqlalchemy import create_engine, func, select, text

from console.ingest.sources import RabbitSource, SqliteSource
from console.ingest.store import store_events
from console.models import Conversation, Message, Outcome
from tests.console.conftest import RABBITMQ_URL
from tests.console.events import action, bot, many, slot, user


def _count(sessions, model) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_conversation_is_stored_with_messages_replies_and_outcomes(sessions):
    sid = "wechat:openid-1"
    events = [user(sid, "我要投诉，电话13812345678", "nlu_fallback", 0.2, channel="wechat"),
              action(sid, "action_default_fallback", 1_795_000_000.5),
              bot(sid, "抱歉，我没听懂。"),
              slot(sid, "last_ticket_no", "12345-1", 1_795_000_002.0)]
    with sessions() as s, s.begin():
        assert store_events(s, events) == 5  # 2 messages + fallback twice (intent, action) + ticket
    with sessions() as s:
        conv = s.get(Conversation, sid)
        assert (conv.channel, conv.language) == ("wechat", "zh")
        texts = [m.text for m in s.scalars(select(Message).order_by(Message.timestamp))]
        assert texts[1] == "抱歉，我没听懂。" and "13812345678" not in texts[0]
        assert sorted(s.scalars(select(Outcome.kind))) == ["fallback", "fallback", "ticket_filed"]


def test_a_redelivered_batch_is_stored_once(sessions):
    events = many(30) + [slot("rest:dev:citizen1", "last_ticket_no", "T1")]
    for _ in range(3):
        with sessions() as s, s.begin():
            store_events(s, events + events[:5])  # duplicates inside a batch too
    assert _count(sessions, Message) == 30
    assert _count(sessions, Outcome) == 1


def _publish(queue: str, events: list[dict]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    channel = connection.channel()
    channel.queue_declare(queue, durable=True)
    for event in events:
        channel.basic_publish("", queue, json.dumps(event).encode(),
                              pika.BasicProperties(delivery_mode=2))
    connection.close()


def _run_until(sessions, source, expected: int, seconds: float = 60) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=source.run, args=(sessions, stop))
    worker.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _count(sessions, Message) < expected:
        time.sleep(0.2)
    time.sleep(0.5)  # let a wrongly duplicated write show up before stopping
    stop.set()
    worker.join(10)
    assert not worker.is_alive()


def test_rabbitmq_consumer_that_was_down_catches_up_with_500_events_once(sessions, rabbit_queue):
    events = many(500)
    _publish(rabbit_queue, events)  # the consumer is not running yet
    _publish(rabbit_queue, events[:40])  # delivered a second time
    _run_until(sessions, RabbitSource(RABBITMQ_URL, rabbit_queue), 500)
    assert _count(sessions, Message) == 500
    with sessions() as s:
        assert s.scalar(select(func.count(func.distinct(Message.conversation_id)))) == 50


def test_rabbitmq_malformed_message_is_dropped_not_fatal(sessions, rabbit_queue):
    connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    channel = connection.channel()
    channel.queue_declare(rabbit_queue, durable=True)
    channel.basic_publish("", rabbit_queue, b"{not json")
    connection.close()
    _publish(rabbit_queue, many(3))
    _run_until(sessions, RabbitSource(RABBITMQ_URL, rabbit_queue), 3)
    assert _count(sessions, Message) == 3


def _rasa_sql_broker_table(path) -> str:
    """The table Rasa's SQLEventBroker creates, filled as it fills it."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                          "data TEXT)"))
        conn.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
                     [{"s": e["sender_id"], "d": json.dumps(e)} for e in many(500)])
    engine.dispose()
    return url


def test_sqlite_consumer_catches_up_with_500_events_once(sessions, tmp_path):
    url = _rasa_sql_broker_table(tmp_path / "events.sqlite3")
    _run_until(sessions, SqliteSource(url), 500)
    assert _count(sessions, Message) == 500
    # Restarted from the saved position: nothing is read twice, nothing new is stored.
    assert SqliteSource(url).poll_once(sessions) == 0
    assert _count(sessions, Message) == 500


def test_sqlite_source_waits_for_rasa_to_create_its_table(sessions, tmp_path):
    assert SqliteSource(f"sqlite:///{tmp_path / 'none.sqlite3'}").poll_once(sessions) == 0


def test_on_sqlite_the_consumer_waits_for_another_writer_instead_of_failing(tmp_path):
    """The agent desk holds the console database's write lock (storing a reply) while the consumer
    stores a batch: the consumer waits for its commit, as it would on PostgreSQL."""
    from console.migrate import upgrade
    from dataservice.db import make_engine, make_sessionmaker
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    upgrade(url)
    desk = make_engine(url)
    held, done = threading.Event(), threading.Event()

    def desk_writes_for_a_moment() -> None:
        with desk.begin() as conn:
            conn.execute(text("INSERT INTO conversations (id, channel, started_at, last_event_at) "
                              "VALUES ('web:desk', 'socketio', '2026-12-06', '2026-12-06')"))
            held.set()
            done.wait(timeout=0.5)

    writer = threading.Thread(target=desk_writes_for_a_moment)
    writer.start()
    held.wait(timeout=10)
    consumer = make_sessionmaker(make_engine(url, writer=True))
    with consumer() as s, s.begin():
        assert store_events(s, many(3)) == 3
    writer.join()
    assert _count(consumer, Message) == 3 and _count(consumer, Conversation) == 4
