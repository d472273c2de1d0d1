"""The conversation's context: the one place that resolves service and district.

Sets the contract slots (docs/assistant.md): `language` (detected, unless pinned by a
change_language request), `service` and `district` (entity spans resolved to codes through the
data service), `date` (ISO date), and `question` (the last service question asked, so a
clarification can answer it). A data-service outage leaves the slots as they were.

`action_extract_context` (a custom slot mapping) runs it after every user message except an
informational question (INFORMATIONAL, kept out of the mapping in bot/domain/core.yml): that
question's answer action runs it itself (`ContextualAnswer`), so the whole turn is one
action-server call; where a form handles the question instead, the rules run
action_extract_context first.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import copy
from abc import ABC, abstractmethod

from actions import dates, language
from actions.api.dataservice import DataServiceUnavailable
from actions.api.gateway import get_gateway
from actions.base import DataAction
from actions.report_detection import report_named
from actions.resolution import resolve, service_the_message_is_about

SERVICE_QUESTIONS = {"ask_service_requirements", "ask_service_fee", "ask_processing_time"}
CENTER_QUESTIONS = {"find_service_center", "ask_office_hours"}
# Answered by one action that extracts the context itself when no form is active (the domain's
# `not_intent` list of the context slots' mapping must name the same intents).
INFORMATIONAL = frozenset(SERVICE_QUESTIONS | CENTER_QUESTIONS)
# What an informational question lacked ("service" or "district"), else None: the rules then hand
# the question to its form, which asks (a featurized slot, so the rules can branch on it).
MISSING_SLOT = "context_missing"


def _entity_values(tracker: Tracker, name: str) -> list[str]:
    return [str(e.get("value")) for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == name and e.get("value")]


# A form that keeps its own copy of a shared slot asks for it under its own name; the answer
# still resolves the shared slot, which the form's validation then copies.
ASKED_AS = {"issue_district": "district"}


def _requested_slot(tracker: Tracker) -> str | None:
    requested = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
    return ASKED_AS.get(requested, requested)


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def context_pending(tracker: Tracker) -> bool:
    """Whether this turn's context is still to be extracted: an informational question, and no
    action has run since the message (after a form, the context was extracted for the message
    that completed it)."""
    if _intent(tracker) not in INFORMATIONAL:
        return False
    events = tracker.events or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return all(e.get("event") != "action" for e in events[last_user + 1:])


def with_context(tracker: Tracker, events: list[dict[str, Any]]) -> Tracker:
    """The tracker as it would be had the context action run: its slot events applied."""
    updated = copy.copy(tracker)
    updated.slots = {**tracker.slots, **{e["name"]: e["value"] for e in events
                                         if e.get("event") == "slot"}}
    updated.events = [*(tracker.events or []), *events]
    return updated


async def extract_context(tracker: Tracker) -> list[dict[str, Any]]:
    message = tracker.latest_message or {}
    text = message.get("text") or ""
    intent = _intent(tracker)
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
    events += await _resolve_slot(tracker, "service", "services", lang, requested, text)
    events += await _resolve_slot(tracker, "district", "districts", lang, requested, text)

    spans = _entity_values(tracker, "date")
    if spans or requested == "date":
        parsed = dates.parse(spans[0] if spans else text)
        if parsed:
            events.append(SlotSet("date", parsed.isoformat()))
    return events


async def _resolve_slot(tracker: Tracker, slot: str, kind: str, lang: str,
                        requested: str | None, text: str) -> list[dict[str, Any]]:
    spans = _entity_values(tracker, slot)
    if not spans and requested != slot:
        if slot == "service" and _intent(tracker) in INFORMATIONAL:
            return await _service_of_whole_message(text, lang)
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


async def _service_of_whole_message(text: str, lang: str) -> list[dict[str, Any]]:
    """A service question where the NLU marked no service (「想问一下 公租房 怎么申请 我在浦东工作」:
    the spaces hid it): the service the whole message is mostly about, if one is; else nothing,
    and an earlier service stays ("多少钱" after a question about passports)."""
    try:
        code = await service_the_message_is_about(get_gateway(), text, lang)
    except DataServiceUnavailable:
        return []
    return [SlotSet("service", code), SlotSet("service_options", None)] if code else []


class ContextualAnswer(DataAction, ABC):
    """An answer action that is the whole turn for an informational question outside a form: it
    extracts the context first when the context action did not run, and says what is missing
    (`missing`) instead of answering, for the rules to start the form that asks for it."""

    @abstractmethod
    async def missing(self, tracker: Tracker) -> str | None:
        """"service" or "district" when the question cannot be answered yet, else None."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        # Answered: a `context_missing` left from the clarification is cleared.
        cleared = [SlotSet(MISSING_SLOT, None)] if tracker.get_slot(MISSING_SLOT) else []
        # 「我要表扬一下长宁区政务服务中心的小王」 reads as a centre question: it is a 12345 report.
        report = await report_named(tracker)
        if report is not None:
            return cleared + report
        if not context_pending(tracker):
            return await super().run(dispatcher, tracker, domain) + cleared
        context = await extract_context(tracker)
        tracker = with_context(tracker, context)
        lacking = None
        if not tracker.active_loop_name:  # in a form, a digression: answered (or asked) here
            try:
                lacking = await self.missing(tracker)
            except DataServiceUnavailable:
                pass  # the answer says the data service is unavailable
        if lacking:
            return context + [SlotSet(MISSING_SLOT, lacking)]
        return context + await super().run(dispatcher, tracker, domain) + cleared


class ActionExtractContext(Action):
    def name(self) -> str:
        return "action_extract_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        return await extract_context(tracker)
