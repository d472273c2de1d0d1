"""Load a long conversation as its current state plus its latest turns, from the database.

Rasa rebuilds the tracker from every event of the session on each message, and its policies and
the action server then walk all of them again, so each message of a long conversation costs more
than the one before. Here the events of the latest `turns` user messages are loaded in full, and
what came before is summed up the way Rasa itself carries a conversation into a new session: the
`session_started` event, the latest value of every slot, then `action_listen`.

The summary is exact only when nothing else of the earlier part still matters. When a form was
active, the conversation paused, or an event rewrote history (restart, slot reset, rewind, undo)
before the cut, `window_events` returns None and the caller loads the whole session.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

# Earlier events that rewrite history: a slot summary cannot stand for them.
REWRITING = ("restart", "reset_slots", "rewind", "undo")
# The earlier events a summary needs: the newest of each (kind, name).
SUMMARISED = ("session_started", "slot", "active_loop", "pause", "resume", *REWRITING)


class _Queries:
    """The window's statements as SQL text, built once per table: the same queries as ORM
    expressions cost SQLAlchemy a cache-key walk of the whole expression on every load (about as
    much CPU as the rest of the load, py-spy on the Rasa server under the benchmark's load)."""

    def __init__(self, table: str) -> None:
        start = (f"(SELECT max(timestamp) FROM {table} WHERE sender_id = :sender "
                 "AND type_name = 'session_started')")
        # Rasa's own rule for the latest session: from its newest session_started event, if any.
        this_session = f"sender_id = :sender AND (timestamp >= {start} OR {start} IS NULL)"
        kinds = ", ".join(f"'{kind}'" for kind in SUMMARISED)
        self.cut = sa.text(f"SELECT id FROM {table} WHERE {this_session} AND type_name = 'user' "
                           "ORDER BY id DESC LIMIT 1 OFFSET :skip")
        self.session = sa.text(f"SELECT data FROM {table} WHERE {this_session} ORDER BY id")
        self.newest = sa.text(f"SELECT type_name, action_name, max(id) FROM {table} "
                              f"WHERE {this_session} AND id < :cut AND type_name IN ({kinds}) "
                              "GROUP BY type_name, action_name")
        self.rows = sa.text(f"SELECT id, data FROM {table} WHERE id IN :keep "
                            f"OR ({this_session} AND id >= :cut) ORDER BY id"
                            ).bindparams(sa.bindparam("keep", expanding=True))


@lru_cache(maxsize=None)
def _queries(table: str) -> _Queries:
    return _Queries(table)


def window_events(connection, table, sender_id: str, turns: int) -> list[dict[str, Any]] | None:
    """Serialised events of the latest session: the summary and the last `turns` turns, all of
    them when the session is shorter, or None when the caller must load the whole session
    itself. `connection`: a SQLAlchemy connection or session; `table`: the ORM class of Rasa's events table (SQLTrackerStore.SQLEvent).
    Three queries at most, whatever the conversation's length."""
    q = _queries(table.__tablename__)
    cut = connection.execute(q.cut, {"sender": sender_id, "skip": turns - 1}).scalar()
    if cut is None:  # a short conversation: all of its session
        return [json.loads(data) for (data,) in connection.execute(q.session, {"sender": sender_id})]
    newest = connection.execute(q.newest, {"sender": sender_id, "cut": cut}).all()
    if any(kind in REWRITING for kind, _, _ in newest):
        return None  # history was rewritten: only a replay of everything is exact
    loops = sorted((row_id, name) for kind, name, row_id in newest if kind == "active_loop")
    if loops and loops[-1][1] is not None:
        return None  # a form is active across the cut
    pauses = sorted((row_id, kind) for kind, _, row_id in newest if kind in ("pause", "resume"))
    if pauses and pauses[-1][1] == "pause":
        return None
    keep = [row_id for kind, _, row_id in newest if kind in ("session_started", "slot")]
    rows = connection.execute(q.rows, {"sender": sender_id, "cut": cut, "keep": keep}).all()
    summary = [json.loads(data) for row_id, data in rows if row_id < cut]
    tail = [json.loads(data) for row_id, data in rows if row_id >= cut]
    listen = {"event": "action", "name": "action_listen", "timestamp": tail[0].get("timestamp"),
              "policy": None, "confidence": None}
    return [*summary, listen, *tail]
