"""The event broker Rasa publishes conversation events to (runs inside Rasa, Python 3.10).

`bot/endpoints.yml` names this class; the environment picks the transport, so one endpoints file
serves every deployment:

- `EVENT_BROKER_URL=amqp://user:password@host:5672/vhost` — Rasa's Pika broker (RabbitMQ), durable
  queue `EVENT_BROKER_QUEUE` (default `console-events`), persistent messages. Production.
- unset, or `sqlite:///path` — Rasa's SQL broker into a SQLite file the console's consumer polls
  (default `var/events.sqlite3`): `make run` needs no server.
"""
from __future__ import annotations

import logging
import os
from asyncio import AbstractEventLoop
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlparse

import rasa.shared.core.events  # noqa: F401 - Rasa's Pika broker calls it without importing it
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig

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
        if url.startswith(("amqp://", "amqps://")):
            logger.info("Publishing events to RabbitMQ queue %r", queue)
            return await PikaEventBroker.from_endpoint_config(
                EndpointConfig(**pika_settings(url, queue)), event_loop)
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///"):])
            path.parent.mkdir(parents=True, exist_ok=True)
            logger.info("Publishing events to the SQLite file %s", path)
            return SQLEventBroker(dialect="sqlite", db=str(path))
        raise ValueError("EVENT_BROKER_URL must be an amqp:// or sqlite:/// URL")


def pika_settings(url: str, queue: str) -> dict[str, Any]:
    """Rasa's Pika broker takes the credentials and port beside the URL, not inside it."""
    parsed = urlparse(url)
    return {
        "url": f"{parsed.scheme}://{parsed.hostname}{parsed.path if parsed.path not in ('', '/') else ''}",
        "username": unquote(parsed.username or "guest"),
        "password": unquote(parsed.password or "guest"),
        "port": parsed.port or 5672,
        "queues": [queue],
        # Rasa keeps answering while RabbitMQ is away; events wait in memory and are sent on
        # reconnection (aio-pika's robust connection).
        "should_keep_unpublished_messages": True,
        "raise_on_failure": False,
    }
