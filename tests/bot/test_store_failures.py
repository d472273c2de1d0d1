"""The tracker store on a real PostgreSQL whose connections drop: a message is either stored
exactly once or the store raises (a 503 for the caller); never a silent fallback to memory, never
an empty tracker for a conversation that is in the database."""
from __future__ import annotations

import os
import uuid
from contextlib import closing

import psycopg2
import pytest
from rasa.core.agent import Agent
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered

from bot import rasa_patches
from bot.rasa_patches.store_failures import TrackerStoreUnavailable
from bot.stores import CityTrackerStore

rasa_patches.install()  # as `python -m bot run` does before Rasa builds its agent

PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _admin():
    conn = psycopg2.connect(PG)
    conn.autocommit = True
    return conn


@pytest.fixture
def tracker_db() -> str:
    name = f"tracker_fail_{uuid.uuid4().hex[:8]}"
    admin = _admin()
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def store(tracker_db, monkeypatch) -> CityTrackerStore:
    monkeypatch.setenv("TRACKER_STORE_URL", PG.rsplit("/", 1)[0] + "/" + tracker_db)
    store = CityTrackerStore(domain=Domain.load("bot/domain"))
    yield store
    store.engine.dispose()


def terminate_connections(db: str) -> int:
    with closing(_admin()) as admin:
        cur = admin.cursor()
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (db,))
        return cur.fetchone()[0]


def texts(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def say(store: CityTrackerStore, sender: str, text: str) -> None:
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text))
    await store.save(tracker)


@pytest.mark.asyncio
async def test_dropped_connections_lose_and_duplicate_nothing(store, tracker_db):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    for n in range(6):
        await say(store, sender, f"message {n}")
        assert terminate_connections(tracker_db) >= 1  # the pooled connection is gone each time
    tracker = await store.retrieve_full_tracker(sender)
    assert texts(tracker) == [f"message {n}" for n in range(6)]


@pytest.mark.asyncio
async def test_a_read_after_a_dropped_connection_is_the_stored_conversation(store, tracker_db):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    await say(store, sender, "我要预约")
    terminate_connections(tracker_db)
    assert texts(await store.retrieve(sender)) == ["我要预约"]
    terminate_connections(tracker_db)
    assert texts(await store.retrieve_full_tracker(sender)) == ["我要预约"]


@pytest.mark.asyncio
async def test_a_retry_after_a_commit_whose_answer_was_lost_stores_nothing_twice(store):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered("hello"))
    store._insert_new_events(tracker, attempt=0)  # committed; the caller never heard back
    store._insert_new_events(tracker, attempt=1)  # the retry
    assert texts(await store.retrieve_full_tracker(sender)) == ["hello"]


@pytest.mark.asyncio
async def test_a_lasting_outage_raises_instead_of_answering_from_memory(store, tracker_db):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    await say(store, sender, "hello")
    with closing(_admin()) as admin:
        admin.cursor().execute(f'DROP DATABASE "{tracker_db}" WITH (FORCE)')
    tracker = store.init_tracker(sender)
    tracker.update(UserUttered("lost?"))
    with pytest.raises(TrackerStoreUnavailable) as raised:
        await store.save(tracker)
    assert raised.value.status_code == 503
    with pytest.raises(TrackerStoreUnavailable):
        await store.retrieve(sender)  # not None: that would start an empty conversation
    with pytest.raises(TrackerStoreUnavailable):
        await store.retrieve_full_tracker(sender)


def test_the_agent_uses_the_store_without_rasa_fail_safe_wrapper(store):
    agent = Agent(domain=store.domain, tracker_store=store)
    assert agent.tracker_store is store
