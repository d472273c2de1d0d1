"""Tracker and lock stores chosen from the environment, in one place.

- Tracker store: SQL. `TRACKER_STORE_URL` (postgresql://user:password@host:port/db) selects
  PostgreSQL; unset, a SQLite file `var/tracker.sqlite3` (the embedded default). Events are
  redacted (bot.privacy) on their way into the database, so phone and ID numbers are never stored
  in the clear, whatever the channel.
- Tracker window: the dialogue engine gets the latest session's state (every slot, the active form)
  but only its last `TRACKER_WINDOW_EVENTS` events (default 150, 0 = all). Policies featurize and
  actions receive the whole event list on every prediction, so without a window each message of a
  long conversation costs more than the one before. Operators' full history
  (`retrieve_full_tracker`, the HTTP API's tracker endpoints) is never windowed.
- Lock store: Redis when `REDIS_URL` is set (required for several Rasa workers or replicas to share
  conversations safely), in-memory otherwise. `SANIC_WORKERS` > 1 without Redis is refused.

endpoints.yml references both by class path, so one file serves every deployment.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlparse

import json

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot import action_validation
from bot.privacy import redact

# The Rasa server imports this module from endpoints.yml before it runs any action.
action_validation.install()

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO_ROOT / "var" / "tracker.sqlite3"


def tracker_db_settings(env: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    url = env.get("TRACKER_STORE_URL")
    if not url:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        return {"dialect": "sqlite", "db": str(DEFAULT_SQLITE)}
    parsed = urlparse(url)
    if parsed.scheme.split("+")[0] not in ("postgres", "postgresql"):
        raise ValueError("TRACKER_STORE_URL must be a postgresql:// URL")
    return {"dialect": "postgresql", "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432, "db": parsed.path.lstrip("/") or "rasa",
            "username": unquote(parsed.username or "postgres"),
            "password": unquote(parsed.password or "")}


def tracker_window(env: dict[str, str] | None = None) -> int | None:
    env = os.environ if env is None else env
    raw = env.get("TRACKER_WINDOW_EVENTS", "150").strip()
    try:
        window = int(raw)
    except ValueError:
        raise ValueError("TRACKER_WINDOW_EVENTS must be a whole number (0 = no window)") from None
    if window < 0 or 0 < window < 50:
        # Forms and the actions look back over the current and previous turns (~10 events each).
        raise ValueError("TRACKER_WINDOW_EVENTS must be 0 (no window) or at least 50")
    return window or None


# Set on the newest event a tracker was loaded or saved with: everything after it is new. A count
# of stored rows (SQLTrackerStore's way) cannot work once old events have left the window.
_STORED = "_city_stored"


class CityTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host=None, event_broker=None, **kwargs: Any) -> None:
        # `host` and `kwargs` from endpoints.yml are ignored on purpose: the environment decides.
        super().__init__(domain=domain, event_broker=event_broker, **tracker_db_settings())
        self.window = tracker_window()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            events = [json.loads(row.data) for row in rows]
        if not self.domain or not events:
            return None
        # Every event is replayed (slots and forms are exact); the tracker keeps the latest ones.
        window = None if fetch_events_from_all_sessions else self.window
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots,
                                                 max_event_history=window)
        setattr(tracker.events[-1], _STORED, True)
        return tracker

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        stored_at = next((i for i in range(len(tracker.events) - 1, -1, -1)
                          if getattr(tracker.events[i], _STORED, False)), None)
        if stored_at is None:  # a tracker this store did not load: all of it is in the window
            new = list(super()._additional_events(session, tracker))
        else:
            new = list(tracker.events)[stored_at + 1:]
        if new:
            setattr(new[-1], _STORED, True)
        for event in new:
            yield Event.from_parameters(redact(event.as_dict()))


class CityLockStore(LockStore):
    """Factory: returns a RedisLockStore or an InMemoryLockStore instance."""

    def __new__(cls, endpoint_config=None):  # type: ignore[override]
        url = os.environ.get("REDIS_URL")
        if not url:
            if int(os.environ.get("SANIC_WORKERS", "1") or 1) > 1:
                # Rasa would start the workers anyway (a custom lock store looks shareable) and two
                # workers could then handle one conversation at the same time.
                raise ValueError("SANIC_WORKERS > 1 needs REDIS_URL (the workers share the lock store)")
            return InMemoryLockStore()
        parsed = urlparse(url)
        db = int((parsed.path or "/0").lstrip("/") or 0)
        return RedisLockStore(host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379,
                              db=db, password=unquote(parsed.password) if parsed.password else None,
                              use_ssl=parsed.scheme == "rediss", key_prefix="shps")


__all__ = ["CityLockStore", "CityTrackerStore"]
