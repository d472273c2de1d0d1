"""What the citizen asked about centres: the question (find a centre, or opening hours) and the
answers given to center_form since, read from the conversation's events."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker

from actions.center_wording import KINDS, Kind

FIND, HOURS = "find_service_center", "ask_office_hours"
CENTER_QUESTIONS = (FIND, HOURS)


@dataclass
class Asked:
    """The centre question and the citizen's answers to the form since (not the digressions)."""
    question: str
    texts: list[str] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)
    # The `service` slot right after the question's turn; (False, None) if no event ever set it.
    service_then: tuple[bool, Any] = (False, None)

    def mentioned(self, entity: str) -> list[str]:
        return [str(e.get("value")) for e in self.entities
                if e.get("entity") == entity and e.get("value")]

    def kind(self) -> Kind | None:
        text = " ".join(self.texts).lower()
        return next((k for k in KINDS if any(trigger in text for trigger in k.triggers)), None)

    def service(self, tracker: Tracker) -> str | None:
        """The service that narrows the answer.

        Named in the question or an answer: that one. Else a service from earlier in the
        conversation ("去哪里办?" after a passport question), unless the citizen names a kind of
        centre instead, and not one that only came up in a digression after the question.
        """
        current = tracker.get_slot("service")
        if self.mentioned("service"):
            return current
        if self.kind():
            return None
        found, then = self.service_then
        return then if found else current


def _intent(event: dict) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def asked(tracker: Tracker) -> Asked:
    events = list(tracker.events or [])
    start = next((i for i in range(len(events) - 1, -1, -1)
                  if events[i].get("event") == "user" and _intent(events[i]) in CENTER_QUESTIONS),
                 None)
    if start is None:  # no centre question in the history: the latest message is all we have
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        result = Asked(intent if intent in CENTER_QUESTIONS else FIND)
        result.texts.append(latest.get("text") or "")
        result.entities += latest.get("entities") or []
        return result
    result = Asked(_intent(events[start]))
    messages = [events[start]] + [e for e in events[start + 1:]
                                  if e.get("event") == "user" and _intent(e) == "inform"]
    for message in messages:
        parse = message.get("parse_data") or {}
        result.texts.append(message.get("text") or parse.get("text") or "")
        result.entities += parse.get("entities") or []
    turn_end = next((i for i in range(start + 1, len(events)) if events[i].get("event") == "user"),
                    len(events))
    # Slots only change through events, so with no `service` event at all the slot is as given.
    service_events = [i for i, e in enumerate(events)
                      if e.get("event") == "slot" and e.get("name") == "service"]
    if service_events:
        before = [i for i in service_events if i < turn_end]
        result.service_then = (True, events[before[-1]].get("value") if before else None)
    return result
