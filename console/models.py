"""The console's tables: what the consumer stores, who operates, what they changed."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    language: Mapped[Optional[str]] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(index=True)
    last_event_at: Mapped[datetime]
    # The form the assistant is in, so that "no" inside a form is not read as "that answer was wrong".
    active_loop: Mapped[Optional[str]] = mapped_column(String(64))
    last_action: Mapped[Optional[str]] = mapped_column(String(64))


class Message(Base):
    """One citizen message (sender 'user') or bot reply (sender 'bot'), text already redacted."""
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # sha256 of the event as delivered: a redelivered event has the same key and is stored once.
    event_key: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    normalized_text: Mapped[Optional[str]] = mapped_column(String(400))
    intent: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    confidence: Mapped[Optional[float]] = mapped_column(Float)
    # Best intent other than nlu_fallback (what the inbox shows as "top predicted").
    predicted_intent: Mapped[Optional[str]] = mapped_column(String(64))
    predicted_confidence: Mapped[Optional[float]] = mapped_column(Float)
    ranking: Mapped[Optional[list[Any]]]
    entities: Mapped[Optional[list[Any]]]
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[Optional[str]] = mapped_column(String(8))
    model_id: Mapped[Optional[str]] = mapped_column(String(64))
    timestamp: Mapped[datetime] = mapped_column(index=True)
    # A bot-side message a human agent typed during a handoff (the console user's id).
    agent_id: Mapped[Optional[int]] = mapped_column(Integer)

    __table_args__ = (
        # Covers the inbox's grouping query: no table row is read to group 100,000 messages.
        Index("ix_messages_inbox", "sender", "normalized_text", "predicted_confidence", "intent",
              "predicted_intent"),
    )


class Outcome(Base):
    """What came of a turn: fallback, out_of_scope, human_request, ticket_filed, booking_made,
    said_wrong."""
    __tablename__ = "outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    timestamp: Mapped[datetime] = mapped_column(index=True)


class IngestCheckpoint(Base):
    """How far a polled source (Rasa's SQL broker table) has been read."""
    __tablename__ = "ingest_checkpoints"
    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Annotation(Base):
    """An operator's verdict on one citizen message: an intent (with entities), out of scope, or
    skipped for now."""
    __tablename__ = "annotations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # annotated | out_of_scope | skipped
    intent: Mapped[Optional[str]] = mapped_column(String(64))
    entities: Mapped[list[Any]] = mapped_column(default=list)
    annotated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    annotated_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # viewer | agent | annotator | trainer | admin
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]


class LoginSession(Base):
    __tablename__ = "login_sessions"
    # sha256 of the cookie value: a leaked database does not hand out live sessions.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    expires_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(400))
    before: Mapped[Optional[dict[str, Any]]]
    after: Mapped[Optional[dict[str, Any]]]


class TrainingJob(Base):
    """One training run: annotations exported, validated, trained, evaluated and gated."""
    __tablename__ = "training_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # queued | running | cancelling | cancelled | failed | succeeded
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    # sha256 of every file the model is trained from (config, domain, data, annotations).
    data_hash: Mapped[Optional[str]] = mapped_column(String(64))
    annotations: Mapped[int] = mapped_column(Integer, default=0)
    log: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[Optional[str]] = mapped_column(String(400))
    model_path: Mapped[Optional[str]] = mapped_column(String(500))
    model_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    # {"candidate": figures, "production": figures}; the gate: {"passed", "reasons", "diff"}.
    evaluation: Mapped[Optional[dict[str, Any]]]
    gate: Mapped[Optional[dict[str, Any]]]


class Promotion(Base):
    """The production model's history: each promotion or rollback, never deleted."""
    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(16))  # promote | rollback
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("training_jobs.id"))
    model_path: Mapped[str] = mapped_column(String(500))
    model_sha256: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


OPEN_STATUSES = ("waiting", "active")


class Handoff(Base):
    """A conversation handed to a person: waiting in the queue, held by one agent, or ended."""
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))  # asked | fallback
    status: Mapped[str] = mapped_column(String(16), index=True)  # waiting | active | ended
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    queued_at: Mapped[datetime] = mapped_column(index=True)
    accepted_at: Mapped[Optional[datetime]]
    # The holder's last sign of life (accept or reply): silence beyond the limit re-queues it.
    agent_active_at: Mapped[Optional[datetime]]
    citizen_left_at: Mapped[Optional[datetime]]
    ended_at: Mapped[Optional[datetime]]
    ended_by: Mapped[Optional[str]] = mapped_column(String(16))  # agent | timeout | citizen

    __table_args__ = (
        # One open handoff per conversation, whatever races the action server and agents run.
        Index("uq_handoffs_open_conversation", "conversation_id", unique=True,
              sqlite_where=text("status IN ('waiting', 'active')"),
              postgresql_where=text("status IN ('waiting', 'active')")),
    )


class AgentPresence(Base):
    """Whether an agent takes conversations now (available) or not (away)."""
    __tablename__ = "agent_presence"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime]
