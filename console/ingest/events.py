"""Reading one Rasa event (as its broker publishes it) into what the console stores.

Pure functions: no database here, so the rules are tested on plain dicts.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from privacy import redact, redact_text
from privacy.parsing import has_cjk, normalize

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = {"action_default_fallback", "action_two_stage_fallback"}
KNOWN_CHANNELS = ("rest", "wechat", "web", "socketio")
TICKET_SLOT = "last_ticket_no"
BOOKED_PREFIXES = ("预约成功", "You're booked!")
MAX_NORMALIZED = 400

_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = " .,!?;:。，！？；：、…~～\"'“”‘’()（）"


def event_key(event: dict[str, Any]) -> str:
    """The same event delivered twice gives the same key (canonical JSON of what was published).

    An agent's reply is keyed by its reply id: the console stored it when the agent sent it
    (console/handoff/queue.py), and Rasa's copy of it must not be stored a second time."""
    reply_id = _agent(event).get("reply_id")
    if isinstance(reply_id, str) and reply_id:
        return hashlib.sha256(f"agent-reply:{reply_id[:64]}".encode()).hexdigest()
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def normalize_text(text: str) -> str:
    """The grouping key of the inbox: case, width, spacing and end punctuation do not matter."""
    text = normalize(text).casefold()
    return _SPACE.sub(" ", text).strip(_EDGE_PUNCT)[:MAX_NORMALIZED]


def detect_language(text: str) -> str:
    return "zh" if has_cjk(text) else "en"


def channel_of(sender_id: str, input_channel: str | None) -> str:
    """Rasa's input_channel where it names one; else the conversation id's namespace prefix."""
    if input_channel and input_channel not in ("cmdline", "None"):
        return input_channel[:32]
    prefix = sender_id.split(":", 1)[0] if ":" in sender_id else ""
    return prefix if prefix in KNOWN_CHANNELS else "unknown"


def _agent(event: dict[str, Any]) -> dict[str, Any]:
    """The agent who typed a bot message during a handoff (bot/channels/agent_relay.py)."""
    metadata = event.get("metadata")
    agent = metadata.get("agent") if isinstance(metadata, dict) else None
    return agent if isinstance(agent, dict) else {}


def event_time(event: dict[str, Any]) -> datetime:
    ts = event.get("timestamp")
    if isinstance(ts, (int, float)):
        return datetime.fromtimestamp(ts, tz=timezone.utc)
    return datetime.now(timezone.utc)


@dataclass
class MessageRow:
    sender: str
    text: str
    normalized_text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    ranking: list[Any] | None = None
    predicted_intent: str | None = None
    predicted_confidence: float | None = None
    entities: list[Any] | None = None
    language: str | None = None
    model_id: str | None = None
    agent_id: int | None = None


@dataclass
class Reading:
    """What one event means for the console: a message, outcomes, conversation state."""
    conversation_id: str
    timestamp: datetime
    channel: str | None = None
    message: MessageRow | None = None
    outcomes: list[str] = field(default_factory=list)
    language: str | None = None
    active_loop: str | None | bool = False  # False: unchanged; None: the form ended
    last_action: str | None = None


def read_event(event: dict[str, Any], active_loop: str | None = None,
               last_action: str | None = None) -> Reading | None:
    """`active_loop` / `last_action`: the conversation's state before this event (for outcomes
    that depend on context, e.g. "no" outside a form means the answer was wrong)."""
    sender_id = event.get("sender_id")
    kind = event.get("event")
    if not isinstance(sender_id, str) or not sender_id or not isinstance(kind, str):
        return None
    reading = Reading(conversation_id=sender_id[:255], timestamp=event_time(event))
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    if kind == "user":
        _read_user(event, metadata, reading, active_loop)
    elif kind == "bot":
        text = redact_text(str(event.get("text") or ""))
        agent_id = _agent(event).get("id")
        reading.message = MessageRow(sender="bot", text=text, language=detect_language(text),
                                     model_id=_model_id(metadata),
                                     agent_id=agent_id if isinstance(agent_id, int) else None)
        if last_action == "action_book_appointment" and text.startswith(BOOKED_PREFIXES):
            reading.outcomes.append("booking_made")
    elif kind == "action":
        name = str(event.get("name") or "")
        reading.last_action = name[:64]
        if name in FALLBACK_ACTIONS:
            reading.outcomes.append("fallback")
    elif kind == "slot":
        if event.get("name") == "language" and event.get("value") in ("zh", "en"):
            reading.language = event["value"]
        if event.get("name") == TICKET_SLOT and event.get("value"):
            reading.outcomes.append("ticket_filed")
    elif kind == "active_loop":
        reading.active_loop = event.get("name") or None
    return reading


def _model_id(metadata: dict[str, Any]) -> str | None:
    model_id = metadata.get("model_id")
    return str(model_id)[:64] if model_id else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _read_user(event: dict[str, Any], metadata: dict[str, Any], reading: Reading,
               active_loop: str | None) -> None:
    raw = str(event.get("text") or "")
    text = redact_text(raw)
    parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
    intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    ranking = [{"name": r.get("name"), "confidence": r.get("confidence")}
               for r in (parse.get("intent_ranking") or [])[:5] if isinstance(r, dict)]
    entities = [{"entity": e.get("entity"), "value": redact(e.get("value"))}
                for e in (parse.get("entities") or []) if isinstance(e, dict)]
    best = next((r for r in ranking if r["name"] and r["name"] != FALLBACK_INTENT),
                {"name": name, "confidence": confidence})
    hinted = metadata.get("language")
    language = hinted if hinted in ("zh", "en") else detect_language(raw)
    reading.channel = channel_of(reading.conversation_id, event.get("input_channel"))
    reading.message = MessageRow(
        sender="user", text=text, normalized_text=normalize_text(text),
        intent=str(name)[:64] if name else None,
        confidence=_number(confidence),
        ranking=ranking, entities=entities, language=language, model_id=_model_id(metadata),
        predicted_intent=str(best["name"])[:64] if best["name"] else None,
        predicted_confidence=_number(best["confidence"]))
    if name == FALLBACK_INTENT:
        reading.outcomes.append("fallback")
    elif name == "out_of_scope":
        reading.outcomes.append("out_of_scope")
    elif name == "request_human":
        reading.outcomes.append("human_request")
    elif name == "deny" and not active_loop:
        reading.outcomes.append("said_wrong")
