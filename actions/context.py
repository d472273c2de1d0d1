"""action_extract_context: the custom slot mapping run after every user message.

Sets the contract slots (docs/assistant.md): `language` (detected, unless pinned by a
change_language request), `service` and `district` (entity spans resolved to codes through the
data service), `date` (ISO date), and `question` (the last service question asked, so a
clarification can answer it). A data-service outage leaves the slots as they were.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import dates, language
from actions.api.dataservice import DataServiceUnavailable
from actions.api.gateway import get_gateway
from actions.resolution import resolve

SERVICE_QUESTIONS = {"ask_service_requirements", "ask_service_fee", "ask_processing_time"}


def _entity_values(tracker: Tracker, name: str) -> list[str]:
    return [str(e.get("value")) for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == name and e.get("value")]


# A form that keeps its own copy of a shared slot asks for it under its own name; the answer
# still resolves the shared slot, which the form's validation then copies.
ASKED_AS = {"issue_district": "district"}


def _requested_slot(tracker: Tracker) -> str | None:
    requested = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
    return ASKED_AS.get(requested, requested)


class ActionExtractContext(Action):
    def name(self) -> str:
        return "action_extract_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        events: list[dict[str, Any]] = []
        current = tracker.get_slot("language") or "zh"

        if intent == "change_language":
            lang = language.requested(text, current)
            events += [SlotSet("language", lang), SlotSet("language_pinned", True)]
        elif not tracker.get_slot("language_pinned"):
            hint = (message.get("metadata") or {}).get("language")
            lang = language.detect(text, hint if hint in ("zh", "en") else current)
            if lang != current:
                events.append(SlotSet("language", lang))
        else:
            lang = current

        if intent in SERVICE_QUESTIONS:
            events.append(SlotSet("question", intent))

        requested = _requested_slot(tracker)
        events += await self._resolve_slot(tracker, "service", "services", lang, requested, text)
        events += await self._resolve_slot(tracker, "district", "districts", lang, requested, text)

        spans = _entity_values(tracker, "date")
        if spans or requested == "date":
            parsed = dates.parse(spans[0] if spans else text)
            if parsed:
                events.append(SlotSet("date", parsed.isoformat()))
        return events

    async def _resolve_slot(self, tracker: Tracker, slot: str, kind: str, lang: str,
                            requested: str | None, text: str) -> list[dict[str, Any]]:
        spans = _entity_values(tracker, slot)
        if not spans and requested != slot:
            return []
        query = spans[0] if spans else text
        # Button payloads carry the code itself, e.g. /inform{"service": "passport"}.
        try:
            found = await resolve(get_gateway(), kind, query, lang)
        except DataServiceUnavailable:
            return []
        if found.code:
            events = [SlotSet(slot, found.code)]
            if slot == "service":
                events.append(SlotSet("service_options", None))
            return events
        if slot == "service" and found.options:
            return [SlotSet("service", None), SlotSet("service_options", found.options)]
        return []
