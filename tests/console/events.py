"""Rasa events as its brokers publish them (the shape of `Event.as_dict()` plus sender_id)."""
from __future__ import annotations

from typing import Any

BASE_TS = 1_795_000_000.0  # a fixed moment: nothing here depends on today's date


def user(sender: str, text: str, intent: str, confidence: float, ts: float = BASE_TS, *,
         channel: str | None = "rest", entities: list[dict] | None = None,
         language: str | None = None, message_id: str = "m1") -> dict[str, Any]:
    metadata: dict[str, Any] = {"model_id": "model-abc"}
    if language:
        metadata["language"] = language
    return {
        "sender_id": sender, "event": "user", "timestamp": ts, "text": text,
        "metadata": metadata, "input_channel": channel, "message_id": message_id,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "intent_ranking": [{"name": intent, "confidence": confidence},
                               {"name": "greet", "confidence": round(1 - confidence, 3)}],
            "text": text,
        },
    }


def bot(sender: str, text: str, ts: float = BASE_TS + 1) -> dict[str, Any]:
    return {"sender_id": sender, "event": "bot", "timestamp": ts, "text": text,
            "data": {}, "metadata": {"model_id": "model-abc", "utter_action": "utter_x"}}


def action(sender: str, name: str, ts: float = BASE_TS + 0.5) -> dict[str, Any]:
    return {"sender_id": sender, "event": "action", "timestamp": ts, "name": name,
            "policy": "RulePolicy", "confidence": 1.0, "metadata": {}}


def slot(sender: str, name: str, value: Any, ts: float = BASE_TS + 0.6) -> dict[str, Any]:
    return {"sender_id": sender, "event": "slot", "timestamp": ts, "name": name,
            "value": value, "metadata": {}}


def active_loop(sender: str, name: str | None, ts: float = BASE_TS + 0.7) -> dict[str, Any]:
    return {"sender_id": sender, "event": "active_loop", "timestamp": ts, "name": name,
            "metadata": {}}


def many(count: int, prefix: str = "rest:dev:citizen") -> list[dict[str, Any]]:
    """`count` distinct citizen messages over 50 conversations, alternating languages."""
    out = []
    for i in range(count):
        text = f"居住证办理需要多久 {i}" if i % 2 else f"how long does a permit take {i}"
        out.append(user(f"{prefix}{i % 50}", text, "ask_processing_time", 0.9,
                        BASE_TS + i, message_id=f"m{i}"))
    return out
