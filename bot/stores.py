"""Tracker and lock stores chosen from the environment, in one place.

- Tracker store: SQL. `TRACKER_STORE_URL` (postgresql://user:password@host:port/db) selects
  PostgreSQL; unset, a SQLite file `var/tracker.sqlite3` (the embedded default). Events are
  redacted on their way into the database (bot.stored_events): phone, ID and card numbers and
  e-mails are never stored in the clear, nor the answers to the questions that ask for a name or a
  phone number, whatever the channel.
- Failures: pooled connections are pinged before use and a dropped connection is retried on a fresh
  one; a lasting failure raises TrackerStoreUnavailable (a 503) instead of Rasa's silent fallback
  to process memory (bot.rasa_patches.store_failures). A message is answered only once it is stored.
- Tracker window: the dialogue engine gets the latest session's state (every slot) and the events of
  its last `TRACKER_WINDOW_TURNS` user messages (default 5, 0 = all): bot.tracker_window. Without
  it each message of a long conversation costs more than the one before. Operators' full history
  (`retrieve_full_tracker`, the HTTP API's tracker endpoints) is never windowed.
- Lock store: Redis when `REDIS_URL` is set (required for several Rasa workers or replicas to share
  conversations safely), in-memory otherwise. `SANIC_WORKERS` > 1 without Redis is refused.

endpoints.yml references both by class path, so one file serves every deployment.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import sqlalchemy as sa
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.rasa_patches.store_failures import with_retries
from bot.lock_store import RedisTicketLockStore
from bot.schema_lock import schema_lock
from bot.settings import StoreSettings, environment
from bot.stored_events import stored_forms
from bot.tracker_window import window_events

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO_ROOT / "var" / "tracker.sqlite3"


def tracker_db_settings(stores: StoreSettings) -> dict[str, Any]:
    url = stores.tracker_url
    if not url:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        return {"dialect": "sqlite", "db": str(DEFAULT_SQLITE)}
    parsed = urlparse(url)
    return {"dialect": "postgresql", "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432, "db": parsed.path.lstrip("/") or "rasa",
            "username": unquote(parsed.username or "postgres"),
            "password": unquote(parsed.password or "")}


def tracker_window(env: dict[str, str] | None = None) -> int | None:
    """The number of latest user turns a tracker is loaded with (None: all of them)."""
    return StoreSettings.from_env(environment(env)).window_turns


# Set on the newest event a tracker was loaded or saved with: everything after it is new. A count
# of stored rows (SQLTrackerStore's way) cannot work when the tracker holds a window.
_STORED = "_city_stored"


# Rasa indexes sender_id only; the window's queries pick a sender's events by kind and order.
# Declared once on Rasa's table, so tables Rasa creates get it too.
_WINDOW_INDEX = sa.Index("ix_events_sender_type_id", SQLTrackerStore.SQLEvent.sender_id,
                         SQLTrackerStore.SQLEvent.type_name, SQLTrackerStore.SQLEvent.id)


class CityTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with redaction, a tracker window, and its database work in a
    thread: Rasa's own does blocking queries on the event loop, stalling every conversation of
    the worker while one waits for the database."""

    fails_loudly = True  # no FailSafeTrackerStore around it: bot.rasa_patches.store_failures

    def __init__(self, domain=None, host=None, event_broker=None, **kwargs: Any) -> None:
        rasa_patches.require_installed()  # `rasa run` without them would half work: refused
        # endpoints.yml's `url` and `window_turns` win over the environment (bot/settings.py).
        stores = StoreSettings.from_env(environment(), tracker=dict(kwargs, **({"url": host}
                                                                            if host else {})))
        settings = tracker_db_settings(stores)
        with schema_lock(settings, "tracker"):  # Rasa creates the tables here, once per Sanic worker
            super().__init__(domain=domain, event_broker=event_broker, **settings)
            _WINDOW_INDEX.create(self.engine, checkfirst=True)  # tables Rasa made before it
        self._use_resilient_engine()
        self.window = stores.window_turns

    def _use_resilient_engine(self) -> None:
        """Rasa's engine hands out pooled connections the database may have closed since, and
        logs statement parameters (conversation text) with its errors: replaced by one that
        pings a connection before using it and keeps parameters out of error messages."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True,
                                       **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> DialogueStateTracker | None:
        return await asyncio.to_thread(
            with_retries, lambda _: self._retrieve_sync(sender_id, fetch_events_from_all_sessions),
            "read a conversation")

    def _retrieve_sync(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        events = None
        if self.window and not all_sessions:
            # A plain connection: an ORM session costs as much CPU as the window's queries.
            with self.engine.connect() as connection:
                events = window_events(connection, self.SQLEvent, sender_id, self.window)
        if events is None:
            with self.session_scope() as session:
                query = self._event_query(session, sender_id, all_sessions)
                events = [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]
        if not self.domain or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker.events[-1], _STORED, True)
        return tracker

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """The new events to the event broker. Rasa's own loads the stored conversation again to
        find them by count (a second tracker load per message); the store already knows them."""
        new = self._unstored_events(tracker)
        if self.event_broker is None or new is None:
            await super().stream_events(tracker)  # no broker, or a tracker not loaded here
            return
        await self._stream_new_events(self.event_broker, new, tracker.sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)  # the event broker, if one is configured
        new = await asyncio.to_thread(
            with_retries, lambda attempt: self._insert_new_events(tracker, attempt),
            "save a conversation")
        if new:
            setattr(new[-1], _STORED, True)
            tracker._city_unsaved = False

    def _insert_new_events(self, tracker: DialogueStateTracker, attempt: int) -> list[Event]:
        """The events of `tracker` not stored yet, inserted in one transaction. On a retry, the
        previous attempt may have committed before its connection dropped: then nothing more."""
        new = self._unstored_events(tracker)
        if new is None:  # a tracker this store neither loaded nor created: counted, as Rasa does
            with self.session_scope() as session:
                new = list(super()._additional_events(session, tracker))
        if not new:
            return new
        with self.engine.begin() as connection:  # a plain connection: no ORM session per save
            if attempt and self._is_stored(connection, tracker.sender_id, new[-1]):
                return new
            rows = []
            events = list(tracker.events)
            for event, data in zip(new, stored_forms(events, len(events) - len(new))):
                rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                             "timestamp": data.get("timestamp"), "action_name": data.get("name"),
                             "intent_name": ((data.get("parse_data") or {}).get("intent") or {})
                             .get("name"), "data": json.dumps(data)})
            connection.execute(self.SQLEvent.__table__.insert(), rows)
        return new

    def _is_stored(self, connection, sender_id: str, event: Event) -> bool:
        table = self.SQLEvent
        query = sa.select(table.id).where(table.sender_id == sender_id,
                                          table.type_name == event.type_name,
                                          table.timestamp == event.timestamp).limit(1)
        return connection.execute(query).first() is not None

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        tracker = super().init_tracker(sender_id)
        tracker._city_unsaved = True  # a new conversation: nothing of it is stored yet
        return tracker

    @staticmethod
    def _unstored_events(tracker: DialogueStateTracker) -> list[Event] | None:
        """The events after the newest one loaded or saved; None for a tracker this store
        neither loaded nor created (e.g. rebuilt by the HTTP API)."""
        events = list(tracker.events)
        stored_at = next((i for i in range(len(events) - 1, -1, -1)
                          if getattr(events[i], _STORED, False)), None)
        if stored_at is not None:
            return events[stored_at + 1:]
        if getattr(tracker, "_city_unsaved", False):
            return events
        return None


class CityLockStore(LockStore):
    """Factory: a RedisTicketLockStore (bot/lock_store.py), or Rasa's InMemoryLockStore for a
    single worker without Redis."""

    def __new__(cls, endpoint_config=None):  # type: ignore[override]
        config = getattr(endpoint_config, "kwargs", None) or {}
        config = dict(config, **({"url": endpoint_config.url} if getattr(endpoint_config, "url", None)
                                 else {}))
        config.pop("type", None)
        stores = StoreSettings.from_env(environment(), lock=config)
        url = stores.redis_url
        if not url:
            return InMemoryLockStore()
        return RedisTicketLockStore(url, stores.lock_key_prefix)


__all__ = ["CityLockStore", "CityTrackerStore"]
