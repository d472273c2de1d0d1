"""Read-only queries behind the Conversations and Dashboard pages (bound parameters only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from console.ingest.events import FALLBACK_INTENT
from console.models import Annotation, Conversation, Message, Outcome, User
from console.review import needs_review


@dataclass(frozen=True)
class ConversationFilter:
    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None
    language: str | None = None
    outcome: str | None = None
    intent: str | None = None
    low_confidence: bool = False


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def conversation_query(f: ConversationFilter, threshold: float) -> Select:
    q = select(Conversation)
    if f.date_from:
        q = q.where(Conversation.last_event_at >= _day_start(f.date_from))
    if f.date_to:
        q = q.where(Conversation.started_at < _day_start(f.date_to + timedelta(days=1)))
    if f.channel:
        q = q.where(Conversation.channel == f.channel)
    if f.language:
        q = q.where(Conversation.language == f.language)
    if f.outcome:
        q = q.where(select(Outcome.id).where(Outcome.conversation_id == Conversation.id,
                                             Outcome.kind == f.outcome).exists())
    if f.intent:
        q = q.where(select(Message.id).where(Message.conversation_id == Conversation.id,
                                             Message.intent == f.intent).exists())
    if f.low_confidence:
        q = q.where(select(Message.id).where(Message.conversation_id == Conversation.id,
                                             needs_review(threshold)).exists())
    return q


def list_conversations(session: Session, f: ConversationFilter, threshold: float,
                       limit: int, offset: int) -> list[tuple[Conversation, int]]:
    counts = (select(func.count(Message.id)).where(Message.conversation_id == Conversation.id)
              .scalar_subquery())
    q = conversation_query(f, threshold).add_columns(counts)
    return [(c, n) for c, n in session.execute(
        q.order_by(Conversation.last_event_at.desc(), Conversation.id).limit(limit).offset(offset))]


def channels(session: Session) -> list[str]:
    return list(session.scalars(select(Conversation.channel).distinct().order_by(
        Conversation.channel)))


def transcript(session: Session, conversation_id: str) -> tuple[Conversation | None, list[Message],
                                                                 list[Outcome]]:
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        return None, [], []
    messages = list(session.scalars(select(Message).where(
        Message.conversation_id == conversation_id).order_by(Message.timestamp, Message.id)))
    outcomes = list(session.scalars(select(Outcome).where(
        Outcome.conversation_id == conversation_id).order_by(Outcome.timestamp)))
    return conv, messages, outcomes


def verdicts(session: Session, message_ids: list[int]) -> dict[int, tuple[Annotation, str]]:
    """The operators' verdicts on these messages, with who gave them: message id -> (annotation,
    username)."""
    rows = session.execute(select(Annotation, User.username).join(
        User, User.id == Annotation.annotated_by).where(Annotation.message_id.in_(message_ids)))
    return {a.message_id: (a, name) for a, name in rows}


@dataclass
class Dashboard:
    days: list[date]
    messages_per_day: list[int]
    fallback_rate: list[float]
    top_intents: list[tuple[str, int]]
    top_unanswered: list[tuple[str, int]]
    # Those of the top unanswered messages an operator has already labelled (awaiting training).
    labelled: set[str] = field(default_factory=set)


def dashboard(session: Session, today: date, days: int, threshold: float) -> Dashboard:
    first = today - timedelta(days=days - 1)
    since = _day_start(first)
    day = func.date(Message.timestamp)
    per_day = {str(d): (n, fb or 0) for d, n, fb in session.execute(
        select(day, func.count(Message.id),
               func.sum(case((Message.intent == FALLBACK_INTENT, 1), else_=0)))
        .where(Message.sender == "user", Message.timestamp >= since).group_by(day))}
    span = [first + timedelta(days=i) for i in range(days)]
    counts = [per_day.get(d.isoformat(), (0, 0)) for d in span]
    top = session.execute(
        select(Message.intent, func.count(Message.id)).where(
            Message.sender == "user", Message.timestamp >= since, Message.intent.is_not(None),
            Message.intent != FALLBACK_INTENT)
        .group_by(Message.intent).order_by(func.count(Message.id).desc()).limit(10)).all()
    labelled_count = func.count(Annotation.id).filter(Annotation.status != "skipped")
    unanswered = session.execute(
        select(func.min(Message.text), func.count(Message.id), labelled_count)
        .outerjoin(Annotation, Annotation.message_id == Message.id)
        .where(needs_review(threshold), Message.timestamp >= since)
        .group_by(Message.normalized_text).order_by(func.count(Message.id).desc()).limit(10)).all()
    return Dashboard(days=span, messages_per_day=[n for n, _ in counts],
                     fallback_rate=[(fb / n if n else 0.0) for n, fb in counts],
                     top_intents=[(i, n) for i, n in top],
                     top_unanswered=[(t, n) for t, n, _ in unanswered],
                     labelled={t for t, _, labelled in unanswered if labelled})
