"""Storing read events, once each: a redelivered event finds its key taken and changes nothing."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.ingest.events import Reading, channel_of, event_key, read_event
from console.models import Conversation, Message, Outcome


def store_events(session: Session, events: Iterable[dict[str, Any]]) -> int:
    """Store a batch (the caller commits). Returns how many messages and outcomes were new."""
    batch = [(event_key(e), e) for e in events if isinstance(e, dict)]
    try:
        with session.begin_nested():
            return _store_new(session, batch)
    except IntegrityError:
        # The agent desk stores an agent's reply under the key of Rasa's copy of it
        # (console/handoff/queue.py) and committed it between our check and our insert: the
        # savepoint is gone, and a second look finds that key taken.
        with session.begin_nested():
            return _store_new(session, batch)


def _store_new(session: Session, batch: list[tuple[str, dict[str, Any]]]) -> int:
    keys = [k for k, _ in batch]
    taken = taken_keys(session, keys)
    # One query for the batch's conversations, and no flush until the end: a batch is a few
    # statements, not one per event.
    ids = {e["sender_id"][:255] for _, e in batch if isinstance(e.get("sender_id"), str)}
    conversations = {c.id: c for c in session.scalars(
        select(Conversation).where(Conversation.id.in_(ids)))}
    with session.no_autoflush:
        added = _store_batch(session, batch, taken, conversations)
    session.flush()
    return added


def taken_keys(session: Session, keys: list[str]) -> set[str]:
    """The keys of `keys` already stored."""
    taken = set(session.scalars(select(Message.event_key).where(Message.event_key.in_(keys))))
    # Events that yield only outcomes (a fallback action, a ticket slot) are known by those.
    taken |= {k.split(":", 1)[0] for k in session.scalars(
        select(Outcome.event_key).where(Outcome.event_key.in_(_outcome_keys(keys))))}
    return taken


def _store_batch(session: Session, batch: list[tuple[str, dict[str, Any]]], taken: set[str],
                 conversations: dict[str, Conversation]) -> int:
    added = 0
    for key, event in batch:
        conv = _conversation(session, conversations, event)
        if conv is None:
            continue
        reading = read_event(event, conv.active_loop, conv.last_action)
        if reading is None:
            continue
        _update_conversation(conv, reading)
        if key in taken:
            continue  # already stored: at-least-once delivery, stored once
        taken.add(key)
        if reading.message is not None:
            m = reading.message
            session.add(Message(
                event_key=key, conversation_id=conv.id, sender=m.sender, text=m.text,
                normalized_text=m.normalized_text, intent=m.intent, confidence=m.confidence,
                predicted_intent=m.predicted_intent, predicted_confidence=m.predicted_confidence,
                ranking=m.ranking, entities=m.entities, channel=conv.channel, language=m.language, model_id=m.model_id,
                timestamp=reading.timestamp, agent_id=m.agent_id))
            added += 1
        for kind in reading.outcomes:
            session.add(Outcome(event_key=f"{key}:{kind}", conversation_id=conv.id, kind=kind,
                                timestamp=reading.timestamp))
            added += 1
    return added


OUTCOME_KINDS = ("fallback", "out_of_scope", "human_request", "ticket_filed", "booking_made",
                 "said_wrong")


def _outcome_keys(keys: list[str]) -> list[str]:
    return [f"{k}:{kind}" for k in keys for kind in OUTCOME_KINDS]


def _conversation(session: Session, cache: dict[str, Conversation],
                  event: dict[str, Any]) -> Conversation | None:
    sender_id = event.get("sender_id")
    if not isinstance(sender_id, str) or not sender_id:
        return None
    sender_id = sender_id[:255]
    conv = cache.get(sender_id)
    if conv is None:
        reading = read_event(event)
        if reading is None:
            return None
        conv = Conversation(id=sender_id, channel=reading.channel or channel_of(sender_id, None),
                            started_at=reading.timestamp, last_event_at=reading.timestamp)
        session.add(conv)
    cache[sender_id] = conv
    return conv


def _update_conversation(conv: Conversation, reading: Reading) -> None:
    if reading.channel:  # Rasa's input_channel, when the event names one
        conv.channel = reading.channel
    if reading.language:
        conv.language = reading.language
    elif conv.language is None and reading.message and reading.message.sender == "user":
        conv.language = reading.message.language
    if reading.active_loop is not False:
        conv.active_loop = reading.active_loop
    if reading.last_action is not None:
        conv.last_action = reading.last_action
    conv.started_at = min(_aware(conv.started_at), reading.timestamp)
    conv.last_event_at = max(_aware(conv.last_event_at), reading.timestamp)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
