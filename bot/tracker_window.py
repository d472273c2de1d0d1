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


def window_events(session, table, sender_id: str, turns: int) -> list[dict[str, Any]] | None:
    """Serialised events of the latest session: the summary and the last `turns` turns, all of
    them when the session is shorter, or None when the caller must load the whole session
    itself. `table` is the ORM class of Rasa's events table (SQLTrackerStore.SQLEvent)."""
    E = table
    start = (session.query(func.max(E.timestamp))
             .filter(E.sender_id == sender_id, E.type_name == "session_started").scalar())

    def this_session(query):
        query = query.filter(E.sender_id == sender_id)
        return query.filter(E.timestamp >= start) if start is not None else query

    cut = (this_session(session.query(E.id)).filter(E.type_name == "user")
           .order_by(E.id.desc()).offset(turns - 1).limit(1).scalar())
    if cut is None:  # a short conversation: all of its session, in the same transaction
        return [json.loads(data) for (data,) in this_session(session.query(E.data)).order_by(E.id)]
    before = this_session(session.query(E.type_name, E.action_name)).filter(E.id < cut)
    newest = {kind: before.filter(E.type_name.in_(kinds)).order_by(E.id.desc()).limit(1).first()
              for kind, kinds in (("loop", ("active_loop",)), ("pause", ("pause", "resume")),
                                  ("rewritten", REWRITING))}
    if newest["rewritten"] is not None:
        return None  # history was rewritten: only a replay of everything is exact
    if newest["loop"] is not None and newest["loop"].action_name is not None:
        return None  # a form is active across the cut
    if newest["pause"] is not None and newest["pause"].type_name == "pause":
        return None
    latest_slot_ids = [row[0] for row in this_session(session.query(func.max(E.id)))
                       .filter(E.type_name == "slot", E.id < cut).group_by(E.action_name)]
    slots = [json.loads(data) for (data,) in session.query(E.data).filter(E.id.in_(latest_slot_ids))
             .order_by(E.id)] if latest_slot_ids else []
    started = []
    if start is not None:
        row = (this_session(session.query(E.data)).filter(E.type_name == "session_started")
               .order_by(E.id.desc()).limit(1).scalar())
        started = [json.loads(row)] if row else []
    tail = [json.loads(data) for (data,) in
            this_session(session.query(E.data)).filter(E.id >= cut).order_by(E.id)]
    listen_at = tail[0].get("timestamp") if tail else None
    return [*started, *slots, {"event": "action", "name": "action_listen", "timestamp": listen_at,
                               "policy": None, "confidence": None}, *tail]

