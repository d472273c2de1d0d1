"""Where events come from: RabbitMQ (Rasa's Pika broker) or the SQLite table of Rasa's SQL broker.

Both deliver at least once: a batch is acknowledged (RabbitMQ) or its position saved (SQLite) only
in or after the same commit that stored it, so a consumer that stops loses nothing and catches up.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pika
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from console.ingest.store import store_events
from console.models import IngestCheckpoint

logger = logging.getLogger(__name__)
BATCH = 200


def decode(body: bytes | str) -> dict[str, Any] | None:
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return event if isinstance(event, dict) else None


class RabbitSource:
    """Consumes the durable queue Rasa's Pika broker publishes to."""

    def __init__(self, url: str, queue: str) -> None:
        self.url, self.queue = url, queue

    def run(self, sessions: sessionmaker[Session], stop: threading.Event) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = connection.channel()
            channel.queue_declare(self.queue, durable=True)  # as Rasa declares it
            channel.basic_qos(prefetch_count=BATCH)
            pending: list[tuple[int, dict[str, Any] | None]] = []
            for method, _props, body in channel.consume(self.queue, inactivity_timeout=0.3):
                if method is not None:
                    pending.append((method.delivery_tag, decode(body)))
                if pending and (method is None or len(pending) >= BATCH):
                    self._store(sessions, [e for _, e in pending if e is not None])
                    # Acknowledged only after the commit: a crash before it means redelivery.
                    channel.basic_ack(delivery_tag=pending[-1][0], multiple=True)
                    dropped = sum(e is None for _, e in pending)
                    if dropped:
                        logger.warning("dropped %d malformed events", dropped)
                    pending = []
                if stop.is_set():
                    break
            channel.cancel()
        finally:
            connection.close()

    @staticmethod
    def _store(sessions: sessionmaker[Session], events: list[dict[str, Any]]) -> None:
        with sessions() as session, session.begin():
            store_events(session, events)


class SqliteSource:
    """Polls the `events` table Rasa's SQL broker writes, from the last stored position on."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url, connect_args={"timeout": 30})

    def run(self, sessions: sessionmaker[Session], stop: threading.Event) -> None:
        while not stop.is_set():
            if self.poll_once(sessions) < BATCH:
                stop.wait(0.5)

    def poll_once(self, sessions: sessionmaker[Session]) -> int:
        if not inspect(self.engine).has_table("events"):
            return 0  # Rasa has not started yet
        with sessions() as session, session.begin():
            checkpoint = session.get(IngestCheckpoint, self.url) or IngestCheckpoint(
                source=self.url, position=0)
            with self.engine.connect() as conn:
                rows = conn.execute(text("SELECT id, data FROM events WHERE id > :pos "
                                         "ORDER BY id LIMIT :n"),
                                    {"pos": checkpoint.position, "n": BATCH}).all()
            if not rows:
                return 0
            store_events(session, [e for e in (decode(r.data) for r in rows) if e is not None])
            checkpoint.position = rows[-1].id  # saved in the same transaction as the events
            session.merge(checkpoint)
        return len(rows)


def source_for(url: str, queue: str) -> RabbitSource | SqliteSource:
    if url.startswith(("amqp://", "amqps://")):
        return RabbitSource(url, queue)
    if url.startswith("sqlite:///"):
        return SqliteSource(url)
    raise ValueError("EVENT_BROKER_URL must be an amqp:// or sqlite:/// URL")
