"""Rasa's own brokers, as `bot/endpoints.yml` configures them, reach the console's consumer.

Rasa runs in its own Python 3.10 environment, so the publishing side runs there as a subprocess.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from bench.processes import free_port
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
    for _ in range(100):  # the Pika broker connects and publishes on the event loop
        if broker.is_ready() and not getattr(broker, "_unpublished_events", None):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    await broker.close()

asyncio.run(main())
"""


# RabbitMQ is away when Rasa starts (nothing listens on the port), Rasa publishes anyway, then
# RabbitMQ "comes back" (a TCP relay to the real server opens on that port).
PUBLISH_WHILE_DOWN = """
import asyncio, socket
from bot.event_broker import CityEventBroker, PatientPikaEventBroker
from rasa.core.brokers.broker import EventBroker
from tests.console.events import many

async def pipe(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()

async def relay(client_reader, client_writer):
    reader, writer = await asyncio.open_connection("127.0.0.1", 5672)
    await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer))

async def main(port):
    PatientPikaEventBroker.RETRY_SECONDS = 0.3
    broker = await asyncio.wait_for(CityEventBroker.from_endpoint_config(None), 5)
    for event in many(20, prefix="web:session"):
        broker.publish(event)  # RabbitMQ is down: nothing raises, nothing is lost
    assert len(broker._unpublished_events) == 20 and not broker.is_ready()
    await asyncio.sleep(1)
    server = await asyncio.start_server(relay, "127.0.0.1", port)
    for _ in range(100):
        if broker.is_ready() and not broker._unpublished_events:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    await broker.close()
    server.close()

import os
asyncio.run(main(int(os.environ["RELAY_PORT"])))
"""


def _publish_from_rasa(broker_url: str, queue: str = "", script: str = PUBLISH,
                       extra_env: dict | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EVENT_BROKER_URL": broker_url,
           # A fanout exchange of its own: other test runs publishing at the same time stay apart.
           "EVENT_BROKER_QUEUE": queue, "EVENT_BROKER_EXCHANGE": f"{queue}-exchange",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           **(extra_env or {})}
    done = subprocess.run([str(RASA_PY), "-c", script], cwd=ROOT, env=env, timeout=240,
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


def test_rasa_starts_while_rabbitmq_is_down_and_the_console_catches_up(sessions, rabbit_queue):
    port = free_port()
    _publish_from_rasa(f"amqp://guest:guest@127.0.0.1:{port}/%2F", rabbit_queue,
                       PUBLISH_WHILE_DOWN, {"RELAY_PORT": str(port)})
    _run_until(sessions, RabbitSource(RABBITMQ_URL, rabbit_queue), 20)
    assert _stored(sessions) == 20


def test_rasa_sql_broker_embedded_default_to_console(sessions, tmp_path):
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    _publish_from_rasa(url)
    _run_until(sessions, SqliteSource(url), 20)
    assert _stored(sessions) == 20
