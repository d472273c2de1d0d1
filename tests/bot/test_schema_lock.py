"""Replicas and Sanic workers starting together on a fresh database take turns creating the
stores' tables, instead of all but one failing with "table already exists"."""
from __future__ import annotations

import asyncio
import multiprocessing
import os

from bot.schema_lock import schema_lock

CONTEXT = multiprocessing.get_context("spawn")


def _take_lock(db: str, marker: str) -> None:
    with schema_lock({"dialect": "sqlite", "db": db}, "events"):
        open(marker, "w").close()


def test_a_second_process_waits_while_the_first_creates_the_tables(tmp_path):
    db, marker = str(tmp_path / "events.sqlite3"), tmp_path / "second-process-got-the-lock"
    with schema_lock({"dialect": "sqlite", "db": db}, "events"):
        waiting = CONTEXT.Process(target=_take_lock, args=(db, str(marker)))
        waiting.start()
        waiting.join(timeout=2)
        assert waiting.is_alive() and not marker.exists()
    waiting.join(timeout=20)
    assert marker.exists()


def _start_broker(db: str) -> None:
    os.environ["EVENT_BROKER_URL"] = f"sqlite:///{db}"
    from bot.event_broker import CityEventBroker

    broker = asyncio.run(CityEventBroker.from_endpoint_config(None))
    broker.publish({"event": "user", "sender_id": "schema-lock-test", "text": "hi"})


def test_brokers_of_replicas_started_together_on_a_fresh_file_all_start(tmp_path):
    db = str(tmp_path / "events.sqlite3")
    replicas = [CONTEXT.Process(target=_start_broker, args=(db,)) for _ in range(4)]
    for replica in replicas:
        replica.start()
    for replica in replicas:
        replica.join(timeout=120)
    assert [r.exitcode for r in replicas] == [0, 0, 0, 0]
