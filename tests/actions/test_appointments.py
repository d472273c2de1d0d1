"""appointment_form and cancel_appointment_form against the REAL data service.

The `Conversation` driver below stands in for Rasa's form machinery (tests/actions/test_applications.py
uses it too): per user message it runs action_extract_context, applies the slot mappings of
bot/domain/appointments.yml and applications.yml (from_entity, from_text, from_intent with their
conditions), calls validate_<form> with the candidates (the pre-filled slots at activation), asks
for the next empty required slot with action_ask_<slot> / action_ask_<form>_<slot>, and runs the
submit action when the form is done, following a FollowupAction back into the form. A validation
that extracts nothing is a rejection (a rule would answer), as in Rasa.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import applications, appointments
from actions import secrets as pii
from actions.api.dataservice import get_client
from actions.context import ActionExtractContext
from tests.actions.conftest import ROOT, entity

pytestmark = pytest.mark.asyncio

# ==============================================================================================
# Conversation driver
# ==============================================================================================

DOMAIN_FILES = ("appointments.yml", "applications.yml")
FORM_OF_INTENT = {"book_appointment": "appointment_form",
                  "cancel_appointment": "cancel_appointment_form",
                  "check_application_status": "application_status_form"}
SUBMIT = {"appointment_form": "action_book_appointment",
          "cancel_appointment_form": "action_cancel_appointment",
          "application_status_form": "action_check_application_status"}


def _load_domain() -> tuple[dict, dict]:
    forms, slots = {}, {}
    for name in DOMAIN_FILES:
        data = yaml.safe_load((ROOT / "bot" / "domain" / name).read_text(encoding="utf-8"))
        forms.update(data.get("forms") or {})
        slots.update(data.get("slots") or {})
    return {"forms": forms}, slots


DOMAIN, SLOTS = _load_domain()


def _all_actions() -> dict[str, Action]:
    found: dict[str, Action] = {}
    for module in (appointments, applications):
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Action)
                    and value.__module__ == module.__name__):
                try:
                    action = value()
                except TypeError:  # abstract base
                    continue
                found[action.name()] = action
    return found


ACTIONS = _all_actions()


def slot(name: str, value: Any) -> dict:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def required(form: str) -> list[str]:
    return DOMAIN["forms"][form]["required_slots"]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _condition_ok(mapping: dict, active_loop: str | None, requested: str | None) -> bool:
    conditions = mapping.get("conditions")
    if not conditions:
        return True
    for condition in conditions:
        loop = condition.get("active_loop")
        if loop and loop == active_loop and condition.get("requested_slot") in (None, requested):
            return True
        if loop is None and active_loop is None:
            return True
    return False


def map_slots(message: dict, active_loop: str | None, requested: str | None) -> dict[str, Any]:
    """Rasa's action_extract_slots for the predefined mappings of this topic's slots."""
    intent = message["intent"]["name"]
    out: dict[str, Any] = {}
    for name, spec in SLOTS.items():
        for mapping in spec.get("mappings", []):
            kind = mapping["type"]
            if kind == "custom" or not _condition_ok(mapping, active_loop, requested):
                continue
            wanted, unwanted = _as_list(mapping.get("intent")), _as_list(mapping.get("not_intent"))
            if (wanted and intent not in wanted) or intent in unwanted:
                continue
            if kind == "from_entity":
                values = [e["value"] for e in message["entities"] if e["entity"] == mapping["entity"]]
                if values:
                    out[name] = values[-1]
                    break
            elif kind == "from_text":
                out[name] = message["text"]
                break
            elif kind == "from_intent":
                out[name] = mapping["value"]
                break
    return out


class Conversation:
    def __init__(self, sender: str = "conversation-test", lang: str = "zh",
                 slots: dict | None = None):
        self.sender = sender
        self.slots: dict[str, Any] = {"language": lang, "requested_slot": None, **(slots or {})}
        self.active: str | None = None
        self.messages: list[dict] = []        # bot messages of the latest turn
        self.all_values: list[Any] = []       # every slot value ever set (privacy checks)
        self._turn: list[dict] = []
        self._message: dict = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _apply(self, events: list[dict]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
                self.all_values.append(event["value"])
        self._turn += events

    def _tracker(self, extra: list[dict] | None = None) -> Tracker:
        return Tracker(self.sender, dict(self.slots), self._message, self._turn + (extra or []),
                       False, None, {"name": self.active} if self.active else {}, "action_listen")

    async def _run(self, name: str, extra: list[dict] | None = None) -> list[dict]:
        dispatcher = CollectingDispatcher()
        events = await ACTIONS[name].run(dispatcher, self._tracker(extra), DOMAIN)
        self.messages += dispatcher.messages
        return events

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("response") or "" for m in self.messages]

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]

    # -- one user turn ---------------------------------------------------------------------------
    async def say(self, text: str, intent: str = "inform",
                  entities: list[dict] | None = None) -> str:
        """Returns "rejected" when the form extracted nothing (a rule would answer), else "ok"."""
        self.messages = []
        self._message = {"text": text, "intent": {"name": intent, "confidence": 1.0},
                         "entities": entities or [], "metadata": {}}
        self._turn = [{"event": "user", "text": text, "parse_data": self._message}]
        context = await ActionExtractContext().run(CollectingDispatcher(), self._tracker(), {})
        self._apply(context)
        if self.active:
            requested = self.slots.get("requested_slot")
            mapped = map_slots(self._message, self.active, requested)
            self._apply([slot(k, v) for k, v in mapped.items()])
            candidates = {k: v for k, v in mapped.items() if k in required(self.active)}
            if not await self._validate("answer", candidates):
                return "rejected"
        elif intent in FORM_OF_INTENT:
            await self._activate(FORM_OF_INTENT[intent])
        else:
            return "rejected"
        await self._continue()
        return "ok"

    async def resume(self) -> None:
        """After a rule answered a digression: the form runs again (no new message)."""
        self.messages = []
        self._apply([{"event": "action_execution_rejected", "name": self.active},
                     {"event": "action", "name": "action_answer_service_question"}])
        await self._validate("resume", {})
        await self._continue()

    async def _activate(self, form: str) -> None:
        self.active = form
        self._apply([{"event": "active_loop", "name": form}])
        mapped = map_slots(self._message, form, None)
        self._apply([slot(k, v) for k, v in mapped.items()])
        prefilled = {k: self.slots[k] for k in required(form) if self.slots.get(k) is not None}
        await self._validate("activation", prefilled)

    async def _validate(self, mode: str, candidates: dict) -> bool:
        form = self.active
        extra = [slot("requested_slot", self.slots.get("requested_slot")),
                 {"event": "action", "name": form}] + [slot(k, v) for k, v in candidates.items()]
        saved = dict(self.slots)
        self.slots.update(candidates)
        events = await self._run(f"validate_{form}", extra)
        if mode == "answer" and not candidates and not any(
                e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events):
            self.slots = saved
            return False
        self._apply(events)
        self._validation = events
        return True

    async def _continue(self) -> None:
        while True:
            form = self.active
            asked = [e for e in self._validation
                     if e.get("event") == "slot" and e.get("name") == "requested_slot"]
            missing = next((s for s in required(form) if self.slots.get(s) is None), None)
            done = (asked and asked[-1]["value"] is None) or missing is None
            if not done:
                self._apply([slot("requested_slot", missing)])
                ask = ACTIONS.get(f"action_ask_{form}_{missing}") or ACTIONS[f"action_ask_{missing}"]
                events = await self._run(ask.name())
                self._apply(events)
                if not any(e.get("event") == "slot" and e.get("name") == "requested_slot"
                           and e.get("value") is None for e in events):
                    return  # listen
            self._apply([slot("requested_slot", None), {"event": "active_loop", "name": None}])
            self.active = None
            events = await self._run(SUBMIT[form])
            self._apply(events)
            follow = [e for e in events if e.get("event") == "followup"]
            if not follow:
                return
            await self._activate(follow[-1]["name"])
