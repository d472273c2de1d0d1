"""What of a conversation event reaches the tracker store: the event, redacted.

Phone, ID, card numbers and e-mails are redacted wherever they appear (privacy/). Names cannot be
recognised in free text, so the answer to a question that asks for personal data (the form's
`requested_slot` is one of PERSONAL_SLOTS) is not stored at all, and neither is any value of those
slots that is not encrypted: the actions keep them as Fernet tokens (actions/secrets.py), which is
what the form needs on the next turn. The clear value exists only in memory, for the one turn.
"""
from __future__ import annotations

from typing import Any, Iterable

from rasa.shared.core.events import Event, SlotSet, UserUttered

from privacy import redact

PERSONAL_SLOTS = frozenset({"contact_name", "contact_phone"})
WITHHELD = "[personal data withheld]"
_FERNET_TOKEN_PREFIX = "gAAAAA"  # version byte 0x80 and a timestamp, base64


def _withhold_answer(data: dict[str, Any]) -> dict[str, Any]:
    data["text"] = WITHHELD
    parse = data.get("parse_data") or {}
    if "text" in parse:
        parse["text"] = WITHHELD
    for entity in parse.get("entities") or []:
        entity["value"] = WITHHELD
        entity.pop("text", None)
    return data


def _is_personal_in_clear(event: Event) -> bool:
    return (isinstance(event, SlotSet) and event.key in PERSONAL_SLOTS
            and isinstance(event.value, str) and not event.value.startswith(_FERNET_TOKEN_PREFIX))


def stored_forms(events: Iterable[Event], new_from: int) -> list[dict[str, Any]]:
    """The serialised events at positions `new_from` and after, as they may be stored. All the
    events are walked to know which question each user message answers."""
    asked = None
    stored = []
    for index, event in enumerate(events):
        if index >= new_from:
            data = redact(event.as_dict())
            if isinstance(event, UserUttered) and asked in PERSONAL_SLOTS:
                data = _withhold_answer(data)
            elif _is_personal_in_clear(event):
                data["value"] = WITHHELD
            stored.append(data)
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            asked = event.value
    return stored
