"""The agents' queue in the console's database.

Who holds a conversation is decided by the database, never by a read-then-write in Python: an
agent takes a waiting handoff with one conditional UPDATE (`status = 'waiting'` in its WHERE), so of
two agents clicking at once exactly one changes the row; a partial unique index keeps one open
handoff per conversation whatever the action server retries.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console import audit
from console.models import OPEN_STATUSES, AgentPresence, Conversation, Handoff, Message, User
from privacy import redact_text

MAX_REPLY = 2000


class HandoffError(Exception):
    """`key` names the message shown to the agent (console/web/i18n.py), `status` the HTTP code."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they are stored as UTC."""
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


def reply_key(reply_id: str) -> str:
    """The stored message's event key: the same as the key the event consumer gives Rasa's copy
    of the reply (console/ingest/events.py), so the reply is stored once."""
    return hashlib.sha256(f"agent-reply:{reply_id}".encode()).hexdigest()


# ---- presence

def set_presence(session: Session, agent: User, available: bool, now: datetime) -> None:
    presence = session.get(AgentPresence, agent.id)
    before = {"available": presence.available} if presence else None
    if presence is None:
        session.add(AgentPresence(user_id=agent.id, available=available, since=now))
    else:
        presence.available, presence.since = available, now
    audit.record(session, agent.username, "agent.presence", f"user:{agent.username}", before,
                 {"available": available})


def is_available(session: Session, agent: User) -> bool:
    presence = session.get(AgentPresence, agent.id)
    return bool(presence and presence.available)


def available_agents(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AgentPresence)
                          .where(AgentPresence.available.is_(True))) or 0


# ---- the queue

@dataclass
class Queued:
    handoff: Handoff
    position: int


def open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                Handoff.status.in_(OPEN_STATUSES)))


def position(session: Session, handoff: Handoff) -> int:
    """1 for the next conversation an agent will take; 0 once an agent holds it."""
    if handoff.status != "waiting":
        return 0
    ahead = session.scalar(select(func.count()).select_from(Handoff).where(
        Handoff.status == "waiting",
        or_(Handoff.queued_at < handoff.queued_at,
            and_(Handoff.queued_at == handoff.queued_at, Handoff.id < handoff.id))))
    return (ahead or 0) + 1


def enqueue(session: Session, conversation_id: str, channel: str, language: str, reason: str,
            now: datetime) -> Queued:
    """The conversation's place in the queue (an already open handoff keeps its place)."""
    existing = open_handoff(session, conversation_id)
    if existing is None:
        handoff = Handoff(conversation_id=conversation_id, channel=channel, language=language,
                          reason=reason, status="waiting", queued_at=now)
        try:
            with session.begin_nested():
                session.add(handoff)
        except IntegrityError:  # the same conversation queued concurrently: keep that one
            existing = open_handoff(session, conversation_id)
            if existing is None:
                raise
        else:
            existing = handoff
    return Queued(existing, position(session, existing))


def waiting(session: Session) -> list[Handoff]:
    return list(session.scalars(select(Handoff).where(Handoff.status == "waiting")
                                .order_by(Handoff.queued_at, Handoff.id)))


def held_by(session: Session, agent: User) -> list[Handoff]:
    return list(session.scalars(select(Handoff).where(Handoff.status == "active",
                                                      Handoff.agent_id == agent.id)
                                .order_by(Handoff.accepted_at, Handoff.id)))


def accept(session: Session, handoff_id: int, agent: User, now: datetime) -> Handoff:
    """The agent holds the handoff, or HandoffError(409) when another agent was first."""
    taken = session.execute(
        update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "waiting")
        .values(status="active", agent_id=agent.id, accepted_at=now, agent_active_at=now)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise HandoffError(409, "handoff_taken")
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    audit.record(session, agent.username, "handoff.accept", f"conversation:{handoff.conversation_id}",
                 {"status": "waiting"}, {"status": "active", "agent": agent.username})
    return handoff


def held(session: Session, handoff_id: int, agent: User) -> Handoff:
    """The handoff if this agent holds it now; else HandoffError(403)."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or handoff.status != "active" or handoff.agent_id != agent.id:
        raise HandoffError(403, "handoff_not_yours")
    return handoff


def checked_reply(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise HandoffError(400, "reply_empty")
    if len(text) > MAX_REPLY:
        raise HandoffError(400, "reply_too_long")
    return text.strip()


def new_reply_id() -> str:
    return uuid.uuid4().hex


def record_reply(session: Session, handoff: Handoff, agent: User, text: str, reply_id: str,
                 now: datetime) -> Message:
    """The agent's reply, stored redacted as the bot side of the conversation.

    The reply is delivered before it is stored, so the event consumer may store Rasa's copy of
    it (the same key), or the conversation's first events, while this runs: a conflict on either
    is taken as theirs, never as an error."""
    # Written first: on SQLite this takes the write lock before the savepoint reads, so a consumer
    # writing meanwhile waits for us; otherwise its commit leaves our read snapshot stale and the
    # insert fails at once with "database is locked".
    handoff.agent_active_at = now
    session.flush()
    key = reply_key(reply_id)
    for _ in range(2):  # the second conflict can only be Rasa's copy, stored meanwhile
        try:
            return _insert_reply(session, handoff, agent, text, key, now)
        except IntegrityError:
            stored = session.scalars(select(Message).where(Message.event_key == key)).one_or_none()
            if stored is not None:
                return stored
    raise RuntimeError(f"reply {reply_id} conflicts with nothing stored")


def _insert_reply(session: Session, handoff: Handoff, agent: User, text: str, key: str,
                  now: datetime) -> Message:
    """In a savepoint: a conflict leaves the caller's transaction as it was."""
    with session.begin_nested():
        if session.get(Conversation, handoff.conversation_id) is None:  # events not consumed yet
            session.add(Conversation(id=handoff.conversation_id, channel=handoff.channel,
                                     language=handoff.language, started_at=now, last_event_at=now))
        message = Message(event_key=key, conversation_id=handoff.conversation_id, sender="bot",
                          text=redact_text(text), channel=handoff.channel,
                          language=handoff.language, timestamp=now, agent_id=agent.id)
        session.add(message)
    return message


def end(session: Session, handoff: Handoff, agent: User, now: datetime) -> None:
    handoff.status, handoff.ended_at, handoff.ended_by = "ended", now, "agent"
    audit.record(session, agent.username, "handoff.end", f"conversation:{handoff.conversation_id}",
                 {"status": "active"}, {"status": "ended"})


def requeue_idle(session: Session, now: datetime, idle: timedelta) -> int:
    """Held conversations whose agent said nothing for `idle` go back to the queue, at the place
    they had (their queued_at is kept)."""
    result = session.execute(
        update(Handoff).where(Handoff.status == "active", Handoff.agent_active_at < now - idle)
        .values(status="waiting", agent_id=None, accepted_at=None, agent_active_at=None)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def citizen_left(session: Session, conversation_id: str, now: datetime) -> bool:
    """The citizen's chat disconnected: the agent is told; nothing else changes."""
    handoff = open_handoff(session, conversation_id)
    if handoff is None:
        return False
    handoff.citizen_left_at = now
    return True


def transcript(session: Session, conversation_id: str, limit: int = 100) -> list[Message]:
    rows = session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                           .order_by(Message.timestamp.desc(), Message.id.desc()).limit(limit))
    return list(reversed(list(rows)))
