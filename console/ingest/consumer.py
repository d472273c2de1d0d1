"""The long-running consumer: reads the configured source, stores, and reconnects when it drops."""
from __future__ import annotations

import logging
import threading

import pika.exceptions
import sqlalchemy.exc

from dataservice.db import make_engine, make_sessionmaker
from console.ingest.sources import source_for
from console.settings import Settings

logger = logging.getLogger(__name__)
RETRY_SECONDS = 2.0


def consume(settings: Settings, stop: threading.Event) -> None:
    sessions = make_sessionmaker(make_engine(settings.database_url, writer=True))
    source = source_for(settings.broker_url, settings.broker_queue)
    while not stop.is_set():
        try:
            source.run(sessions, stop)
        except (pika.exceptions.AMQPError, sqlalchemy.exc.OperationalError) as exc:
            # The broker or a database is away: nothing was acknowledged, so nothing is lost.
            logger.warning("event source unavailable (%s); retrying in %.0fs", exc, RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)
