"""The inbox: citizen messages to review, grouped by text, and the operators' verdicts on them."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from console import audit
from console.ingest.events import FALLBACK_INTENT
from console.models import Annotation, Message, User

MAX_TEXT = 2000
ENTITY_KINDS = ("service", "district")
STATUSES = ("annotated", "out_of_scope", "skipped")


class ReviewError(ValueError):
    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass
class Group:
    normalized_text: str
    count: int
    sample: str
    top_intents: list[tuple[str, int, float]] = field(default_factory=list)


def needs_review(threshold: float):
    """A citizen message the assistant fell back on, or whose best intent was below threshold."""
    return and_(Message.sender == "user", Message.normalized_text.is_not(None),
                or_(Message.intent == FALLBACK_INTENT, Message.intent.is_(None),
                    Message.predicted_confidence < threshold))


def _unreviewed(query: Select, threshold: float) -> Select:
    # NOT EXISTS (an anti-join): PostgreSQL estimates it well and hashes the grouping.
    return query.where(needs_review(threshold), ~select(Annotation.id).where(
        Annotation.message_id == Message.id).exists())


def inbox_groups(session: Session, threshold: float, limit: int = 50,
                 offset: int = 0) -> list[Group]:
    count = func.count(Message.id)
    rows = session.execute(_unreviewed(
        select(Message.normalized_text, count, func.min(Message.id)), threshold)
        .group_by(Message.normalized_text).order_by(count.desc(), Message.normalized_text)
        .limit(limit).offset(offset)).all()
    # The first message of each group shows how citizens wrote it (one lookup per group).
    samples = dict(session.execute(select(Message.id, Message.text).where(
        Message.id.in_([r[2] for r in rows]))).all())
    groups = [Group(normalized_text=r[0], count=r[1], sample=samples[r[2]]) for r in rows]
    if groups:
        by_text = {g.normalized_text: g for g in groups}
        n = func.count(Message.id)
        for text, intent, times, confidence in session.execute(_unreviewed(
                select(Message.normalized_text, Message.predicted_intent, n,
                       func.avg(Message.predicted_confidence)), threshold)
                .where(Message.normalized_text.in_(list(by_text)))
                .group_by(Message.normalized_text, Message.predicted_intent)).all():
            if intent:
                by_text[text].top_intents.append((intent, times, float(confidence or 0)))
        for g in groups:
            g.top_intents = sorted(g.top_intents, key=lambda t: (-t[1], -t[2]))[:3]
    return groups


def decide_group(session: Session, user: User, normalized_text: str, status: str,
                 intent: str | None, entities: list[dict[str, str]],
                 known_intents: frozenset[str]) -> int:
    """Annotate, mark out of scope or skip every unreviewed citizen message with this text.

    Validates first and stores nothing on a bad annotation. Returns how many messages changed.
    """
    if status not in STATUSES:
        raise ReviewError("bad_request")
    if status == "annotated":
        if not intent:
            raise ReviewError("intent_missing")
        if intent not in known_intents:
            raise ReviewError("intent_unknown")
    else:
        intent, entities = None, []
    for e in entities:
        if e["entity"] not in ENTITY_KINDS:
            raise ReviewError("bad_request")
        if e["value"].casefold() not in normalized_text:
            raise ReviewError("entity_not_in_text", value=e["value"])
    messages = session.execute(
        select(Message.id, func.length(Message.text))
        .outerjoin(Annotation, Annotation.message_id == Message.id)
        .where(Message.sender == "user", Message.normalized_text == normalized_text,
               Annotation.id.is_(None))).all()
    if not messages:
        raise ReviewError("group_gone")
    if status != "skipped" and any(length > MAX_TEXT for _, length in messages):
        raise ReviewError("too_long")
    at = datetime.now(timezone.utc)
    for message_id, _ in messages:
        session.add(Annotation(message_id=message_id, status=status, intent=intent,
                               entities=entities, annotated_by=user.id, annotated_at=at))
    audit.record(session, user.username, f"inbox.{status}", f"text:{normalized_text}",
                 {"status": "unreviewed", "messages": len(messages)},
                 {"status": status, "intent": intent, "entities": entities,
                  "messages": len(messages)})
    return len(messages)


@dataclass
class Conflict:
    normalized_text: str
    key: str
    values: dict[str, str]


def conflicts(session: Session, trained: dict[str, frozenset[str]]) -> list[Conflict]:
    """Annotations that disagree with each other or with the training data (before training)."""
    labels: dict[str, set[str]] = defaultdict(set)
    for text, status, intent in session.execute(
            select(Message.normalized_text, Annotation.status, Annotation.intent)
            .join(Annotation, Annotation.message_id == Message.id)
            .where(Annotation.status != "skipped").distinct()).all():
        labels[text].add(intent if status == "annotated" else "out_of_scope")
    found: list[Conflict] = []
    for text, intents in sorted(labels.items()):
        if len(intents) > 1:
            found.append(Conflict(text, "conflict_two_intents",
                                  {"intents": ", ".join(sorted(intents))}))
        known = trained.get(text, frozenset())
        for intent in sorted(intents):
            if known and intent not in known:
                found.append(Conflict(text, "conflict_training",
                                      {"annotated": intent, "trained": ", ".join(sorted(known))}))
    return found
