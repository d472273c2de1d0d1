"""Tracker and lock stores chosen from the environment, in one place.

- Tracker store: SQL. `TRACKER_STORE_URL` (postgresql://user:password@host:port/db) selects
  PostgreSQL; unset, a SQLite file `var/tracker.sqlite3` (the embedded default). Events are
  redacted (bot.privacy) on their way into the database, so phone and ID numbers are never stored
  in the clear, whatever the channel.
- Lock store: Redis when `REDIS_URL` is set (required for several Rasa workers or replicas to share
  conversations safely), in-memory otherwise.

endpoints.yml references both by class path, so one file serves every deployment.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlparse

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event

from bot.privacy import redact

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


class CityTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host=None, event_broker=None, **kwargs: Any) -> None:
        # `host` and `kwargs` from endpoints.yml are ignored on purpose: the environment decides.
        super().__init__(domain=domain, event_broker=event_broker, **tracker_db_settings())

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield Event.from_parameters(redact(event.as_dict()))


class CityLockStore(LockStore):
    """Factory: returns a RedisLockStore or an InMemoryLockStore instance."""

    def __new__(cls, endpoint_config=None):  # type: ignore[override]
        url = os.environ.get("REDIS_URL")
        if not url:
            return InMemoryLockStore()
        parsed = urlparse(url)
        db = int((parsed.path or "/0").lstrip("/") or 0)
        return RedisLockStore(host=parsed.hostname or "127.0.0.1", port=parsed.port or 6379,
                              db=db, password=unquote(parsed.password) if parsed.password else None,
                              use_ssl=parsed.scheme == "rediss", key_prefix="shps")


__all__ = ["CityLockStore", "CityTrackerStore"]
