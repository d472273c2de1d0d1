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
from typing import Any

from sqlalchemy import func

# Earlier events that rewrite history: a slot summary cannot stand for them.
REWRITING = ("restart", "reset_slots", "rewind", "undo")
# The earlier events a summary needs: the newest of each (kind, name).
SUMMARISED = ("session_started", "slot", "active_loop", "pause", "resume", *REWRITING)


def window_events(session, table, sender_id: str, turns: int) -> list[dict[str, Any]] | None:
    """Serialised events of the latest session: the summary and the last `turns` turns, all of
    them when the session is shorter, or None when the caller must load the whole session
    itself. `table` is the ORM class of Rasa's events table (SQLTrackerStore.SQLEvent).
    Three queries at most, whatever the conversation's length."""
    E = table
    start = (session.query(func.max(E.timestamp))
             .filter(E.sender_id == sender_id, E.type_name == "session_started")
             .scalar_subquery())
    # Rasa's own rule for the latest session: from its newest session_started event, if any.
    this_session = (E.sender_id == sender_id) & ((E.timestamp >= start) | start.is_(None))

    cut = (session.query(E.id).filter(this_session, E.type_name == "user")
           .order_by(E.id.desc()).offset(turns - 1).limit(1).scalar())
    if cut is None:  # a short conversation: all of its session
        return [json.loads(data) for (data,) in
                session.query(E.data).filter(this_session).order_by(E.id)]
    newest = (session.query(E.type_name, E.action_name, func.max(E.id))
              .filter(this_session, E.id < cut, E.type_name.in_(SUMMARISED))
              .group_by(E.type_name, E.action_name).all())
    if any(kind in REWRITING for kind, _, _ in newest):
        return None  # history was rewritten: only a replay of everything is exact
    loops = sorted((row_id, name) for kind, name, row_id in newest if kind == "active_loop")
    if loops and loops[-1][1] is not None:
        return None  # a form is active across the cut
    pauses = sorted((row_id, kind) for kind, _, row_id in newest if kind in ("pause", "resume"))
    if pauses and pauses[-1][1] == "pause":
        return None
    keep = [row_id for kind, _, row_id in newest if kind in ("session_started", "slot")]
    rows = (session.query(E.id, E.data)
            .filter((E.id.in_(keep)) | (this_session & (E.id >= cut))).order_by(E.id).all())
    summary = [json.loads(data) for row_id, data in rows if row_id < cut]
    tail = [json.loads(data) for row_id, data in rows if row_id >= cut]
    listen = {"event": "action", "name": "action_listen", "timestamp": tail[0].get("timestamp"),
              "policy": None, "confidence": None}
    return [*summary, listen, *tail]
