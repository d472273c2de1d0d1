"""Rasa's own brokers, as `bot/endpoints.yml` configures them, reach the console's consumer.

Rasa runs in its own Python 3.10 environment, so the publishing side runs there as a subprocess.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from console.ingest.sources import RabbitSource, SqliteSource
from console.models import Message
from tests.console.conftest import RABBITMQ_URL
from tests.console.test_ingest import _run_until

ROOT = Path(__file__).resolve().parents[2]
RASA_PY = ROOT / ".venv" / "rasa" / "bin" / "python"
PUBLISH = """
import asyncio, yaml
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig
from tests.console.events import many

async def main():
    config = yaml.safe_load(open("bot/endpoints.yml"))["event_broker"]
    broker = await EventBroker.create(EndpointConfig(**config))
    for event in many(20, prefix="web:session"):
        broker.publish(event)
    await asyncio.sleep(1)  # the Pika broker publishes on the event loop
    await broker.close()

asyncio.run(main())
"""


def _publish_from_rasa(broker_url: str, queue: str = "") -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVENT_BROKER_URL": broker_url,
           "EVENT_BROKER_QUEUE": queue, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    done = subprocess.run([str(RASA_PY), "-c", PUBLISH], cwd=ROOT, env=env, timeout=240,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def _stored(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Message).where(
            Message.channel == "rest"))


def test_rasa_pika_broker_to_rabbitmq_to_console(sessions, rabbit_queue):
    _publish_from_rasa(RABBITMQ_URL, rabbit_queue)
    _run_until(sessions, RabbitSource(RABBITMQ_URL, rabbit_queue), 20)
    assert _stored(sessions) == 20


def test_rasa_sql_broker_embedded_default_to_console(sessions, tmp_path):
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    _publish_from_rasa(url)
    _run_until(sessions, SqliteSource(url), 20)
    assert _stored(sessions) == 20
