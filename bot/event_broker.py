"""The event broker Rasa publishes conversation events to, for the operator console's consumer.

`bot/endpoints.yml` names this class; the environment picks the transport, so one endpoints file
serves every deployment:

- `EVENT_BROKER_URL=amqp://user:password@host:5672/vhost` — Rasa's Pika broker (RabbitMQ), durable
  queue `EVENT_BROKER_QUEUE` (default `console-events`) bound to the fanout exchange
  `EVENT_BROKER_EXCHANGE` (default Rasa's `rasa-exchange`), persistent messages. Production. Rasa
  starts and answers while RabbitMQ is down; events wait in memory until it is back.
- unset, or `sqlite:///path` — Rasa's SQL broker into a SQLite file the console's consumer polls
  (default `var/events.sqlite3`): `make run` needs no server.
"""
from __future__ import annotations

import asyncio
import logging
import os
from asyncio import AbstractEventLoop
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlparse

import aio_pika
import rasa.shared.core.events  # noqa: F401 - Rasa's Pika broker calls it without importing it
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import RABBITMQ_EXCHANGE, PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.json_encoding import dumps
from bot.schema_lock import schema_lock

logger = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///var/events.sqlite3"
DEFAULT_QUEUE = "console-events"


class CityEventBroker(EventBroker):
    """A factory only: it hands Rasa one of Rasa's own brokers."""

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: Optional[EndpointConfig],
        event_loop: Optional[AbstractEventLoop] = None,
    ) -> Optional[EventBroker]:
        url = os.environ.get("EVENT_BROKER_URL") or DEFAULT_URL
        queue = os.environ.get("EVENT_BROKER_QUEUE") or DEFAULT_QUEUE
        exchange = os.environ.get("EVENT_BROKER_EXCHANGE") or RABBITMQ_EXCHANGE
        if url.startswith(("amqp://", "amqps://")):
            logger.info("Publishing events to RabbitMQ queue %r", queue)
            settings = pika_settings(url, queue, exchange)
            broker = PatientPikaEventBroker(settings.pop("url"), **settings,
                                            event_loop=event_loop or asyncio.get_running_loop())
            broker.start()
            return broker
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///"):])
            path.parent.mkdir(parents=True, exist_ok=True)
            logger.info("Publishing events to the SQLite file %s", path)
            with schema_lock({"dialect": "sqlite", "db": str(path)}, "events"):
                return SQLEventBroker(dialect="sqlite", db=str(path))
        raise ValueError("EVENT_BROKER_URL must be an amqp:// or sqlite:/// URL")


class PatientPikaEventBroker(PikaEventBroker):
    """Rasa's Pika broker, except that Rasa starts and answers while RabbitMQ is down.

    Rasa's own broker tries to connect before Rasa serves anything and fails Rasa's start when
    RabbitMQ is away, and drops events published before it is connected. Here the connection is
    made in the background (retrying for as long as it takes) and events published meanwhile wait
    in the broker's own queue of unpublished events, sent as soon as it connects. Once connected,
    aio-pika's robust connection and Rasa's reconnect callback handle later outages.
    """

    RETRY_SECONDS = 5.0

    def start(self) -> None:
        task = self._loop.create_task(self._connect_until_up())
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    async def _connect_until_up(self) -> None:
        while True:
            try:
                await self.connect()
                break
            except Exception as exc:  # whatever aio-pika raises while RabbitMQ is away
                logger.warning("RabbitMQ not reachable (%s); %d events waiting; retrying",
                               exc, len(self._unpublished_events))
                await asyncio.sleep(self.RETRY_SECONDS)
        self._publish_unpublished_messages()

    def publish(self, event: dict[str, Any], headers: Optional[dict[str, str]] = None) -> None:
        if self._exchange is None:  # not connected yet: Rasa's broker would drop the event
            self._unpublished_events.append(event)
            return
        super().publish(event, headers)

    async def _publish(self, event: dict[str, Any],
                       headers: Optional[dict[str, str]] = None) -> None:
        """Rasa's `_publish` without its debug line: Rasa deep-copied every event (minus its
        parse data) for that line before publishing, logged or not, a tenth of the publishing
        CPU (py-spy under the benchmark's load). A failed event is kept as Rasa keeps it."""
        if self._exchange is None:
            return
        try:
            await self._exchange.publish(self._message(event, headers), "")
        except Exception as exc:  # whatever aio-pika raises; Rasa's own catch-all
            # The event's type only: its text is conversation data.
            logger.error("RabbitMQ: could not publish a %r event (%s); kept for later",
                         event.get("event"), type(exc).__name__)
            if self.should_keep_unpublished_messages:
                self._unpublished_events.append(event)
            if self.raise_on_failure:
                await self.close()
                raise

    def _message(self, event: dict[str, Any], headers: Optional[dict[str, str]]) -> aio_pika.Message:
        """Rasa's message, the event's JSON encoded with ujson (the same JSON, in less time)."""
        return aio_pika.Message(dumps(event).encode("utf-8"), headers=headers,
                                app_id=self.rasa_environment,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


def pika_settings(url: str, queue: str, exchange: str = RABBITMQ_EXCHANGE) -> dict[str, Any]:
    """Rasa's Pika broker takes the credentials and port beside the URL, not inside it."""
    parsed = urlparse(url)
    return {
        "url": f"{parsed.scheme}://{parsed.hostname}{parsed.path if parsed.path not in ('', '/') else ''}",
        "username": unquote(parsed.username or "guest"),
        "password": unquote(parsed.password or "guest"),
        "port": parsed.port or 5672,
        "queues": [queue],
        "exchange_name": exchange,
        # Rasa keeps answering while RabbitMQ is away; events wait in memory and are sent on
        # reconnection (aio-pika's robust connection).
        "should_keep_unpublished_messages": True,
        "raise_on_failure": False,
        "connection_attempts": 1,  # retried by PatientPikaEventBroker, without blocking Rasa
        "retry_delay_in_seconds": 0,
    }
