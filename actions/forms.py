"""The form layer: every form of the assistant is written the same way.

A form is three things:

1. **Its slots and questions in the domain** (`bot/domain/<topic>.yml`). A question with a fixed
   text is a response `utter_ask_<form>_<slot>` (or `utter_ask_<slot>`) with one variation per
   language (`condition: [{type: slot, name: language, value: en}]`): Rasa renders it without a
   call to the action server.
2. **A validation action**, a subclass of `CityFormValidation` named `validate_<form>`, with
   `extract_<slot>` / `validate_<slot>` methods (rasa-sdk's `FormValidationAction`), the form's
   `hints` (what to say when an answer cannot be used) and, if needed, `settle` (checks across
   slots) and `own_slots` (the form's slots, cleared when it ends or starts over).
3. **Questions that need live data** (buttons of real centres or free times) as `AskAction`
   subclasses named `action_ask_<slot>` or `action_ask_<form>_<slot>`; their buttons come from
   `choice_buttons` / `confirm_buttons`. The rule after a stopped form runs its
   `action_reset_<form>`, a `ResetFormAction` that forgets the form's `own_slots`.

The conventions the base applies to every form: interrupting intents (digressions, other tasks)
extract nothing, so Rasa rejects the form, a rule answers, and the form resumes; an answer the form
cannot use gets its hint and the question again; typed stop words end the form even when the NLU
missed the `deny`; a data-service outage ends the form with the polite bilingual message.
"""
from __future__ import annotations

import json
import logging
import re
from abc import ABC, abstractmethod
from typing import Any, Callable, Iterable

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.api.dataservice import DataServiceUnavailable, Rejected
from actions.base import cleared, events_this_turn
from actions.i18n import lang_of, t, unavailable
from privacy.parsing import TRY_LATER_OR_CALL, find_last4, last4_of, normalize

log = logging.getLogger(__name__)

# Intents that a rule answers or that start something else: inside a form they are not answers.
INTERRUPTING_INTENTS = frozenset({
    "deny", "help", "ask_office_hours", "ask_service_fee", "ask_service_requirements",
    "ask_processing_time", "book_appointment", "cancel_appointment", "check_application_status",
    "report_issue", "check_ticket_status", "check_utility_bill", "check_transport_card",
    "ask_garbage_sorting", "ask_hotline", "request_human", "change_language", "bot_challenge",
    "goodbye", "out_of_scope",
})
# "不是浦东，是徐汇" may come as `deny`: with one of these entities it is a correction, not a stop.
CORRECTION_ENTITIES = frozenset({"service", "district", "date", "center_id", "slot_id",
                                 "booking_no", "application_no", "phone_last4"})
# Typed words that leave a form even when the NLU does not recognise them as `deny`.
STOP_WORDS = frozenset({"stop", "quit", "exit", "never mind", "nevermind", "forget it",
                        "算了", "算了吧", "不要了", "不用了", "退出", "停止", "不办了"})
# A district question (centre form, booking) offers at most this many district buttons; when a
# service is handled in more districts, the commonest ones, and the citizen may type any other.
MAX_DISTRICT_BUTTONS = 6
COMMON_DISTRICTS = ("pudong", "xuhui", "jingan", "huangpu", "minhang", "yangpu")


# -- what the latest message says -------------------------------------------------------------
def latest_text(tracker: Tracker) -> str:
    return normalize((tracker.latest_message or {}).get("text"))


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entities(tracker: Tracker, name: str) -> list[str]:
    return [str(e.get("value")) for e in (tracker.latest_message or {}).get("entities", [])
            if e.get("entity") == name and e.get("value") not in (None, "")]


def is_payload(text: str) -> bool:
    """A button payload such as /inform{"slot_id": "12"}: not free text to parse."""
    return text.startswith("/")


def inform(entity: str, value: str) -> str:
    """The payload of a button that answers with one entity."""
    return "/inform" + json.dumps({entity: value}, ensure_ascii=False)


def choice_buttons(entity: str, titles: dict[str, str], codes: Iterable[str | None] | None = None,
                   most: int | None = None) -> list[dict[str, str]]:
    """Buttons that answer `entity`: one per code of `codes` (by default every code of `titles`,
    in order) that `titles` names, each once, the first `most` of them."""
    chosen = [c for c in dict.fromkeys(titles if codes is None else codes) if c in titles]
    return [{"title": titles[c], "payload": inform(entity, c)} for c in chosen[:most]]


def confirm_buttons(lang: str, yes: tuple[str, str], no: tuple[str, str]) -> list[dict[str, str]]:
    """The two buttons under a summary to confirm: (zh, en) titles of `affirm` and `deny`."""
    return [{"title": t(lang, *yes), "payload": "/affirm"}, {"title": t(lang, *no), "payload": "/deny"}]


# -- which call of the form this is -----------------------------------------------------------
def set_before_form(tracker: Tracker, slot: str, form: str) -> bool:
    """Was the slot filled from this turn's message (mappings run before the form action)?"""
    for event in events_this_turn(tracker):
        if event.get("event") == "action" and event.get("name") == form:
            return False
        if event.get("event") == "slot" and event.get("name") == slot \
                and event.get("value") is not None:
            return True
    return False


def turn_mode(tracker: Tracker, form: str) -> str:
    """Which call of the form this is.

    "activation": the form starts in this turn (validation of the pre-filled slots);
    "resume": the form comes back after a rule answered a digression (nothing new to validate);
    "answer": the form runs right after the citizen's message (normally an answer to its question).
    """
    after = events_this_turn(tracker)
    loops = [e for e in after if e.get("event") == "active_loop"]
    if loops and loops[-1].get("name") == form:
        return "activation"
    for event in after:
        if event.get("event") == "action_execution_rejected":
            return "resume"
        if event.get("event") == "action" and event.get("name") not in (
                None, "action_listen", "action_extract_slots", form, f"validate_{form}"):
            return "resume"
    return "answer"


def locked_message(lang: str) -> str:
    """A verification factor tried too often (the data service answered 429)."""
    return t(lang, "核对失败次数过多，为保护您的信息，该号码暂时无法查询。" + TRY_LATER_OR_CALL["zh"],
             "Too many failed attempts for this number, so it is locked for a while to protect "
             "your data. " + TRY_LATER_OR_CALL["en"])


def _ends(events: list[dict[str, Any]]) -> bool:
    """Did the validation end the form (nothing more to ask, e.g. a slot no longer needed)?"""
    return any(e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT
               and e.get("value") is None for e in events)


def _refused(action: str, exc: Exception) -> None:
    if isinstance(exc, Rejected):
        log.warning("%s: data service refused a request (%s)", action, exc.code)


class CityFormValidation(FormValidationAction):
    """The base of every form's `validate_<form>` action (see the module docstring).

    Subclasses set `form`, `own_intents` (intents that answer this form rather than interrupt
    it), `hints` ({slot: (zh, en)}) and `own_slots` (cleared when the form ends or starts over),
    and may override `settle`.
    """

    form = ""
    own_intents: frozenset[str] = frozenset()
    hints: dict[str, tuple[str, str]] = {}
    own_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """validate_<form> (abstract, so the action server does not register this base)."""

    def mode(self, tracker: Tracker) -> str:
        return turn_mode(tracker, self.form)

    def interrupted(self, tracker: Tracker) -> bool:
        intent = latest_intent(tracker)
        if intent not in INTERRUPTING_INTENTS or intent in self.own_intents:
            return False
        if intent == "deny" and any(latest_entities(tracker, name) for name in CORRECTION_ENTITIES):
            return False
        return True

    def answering(self, tracker: Tracker, slot: str) -> bool:
        """Does the latest message answer this slot's question?"""
        return self.mode(tracker) == "answer" and tracker.get_slot(REQUESTED_SLOT) == slot

    def hint(self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> None:
        dispatcher.utter_message(text=t(lang_of(tracker), *self.hints[slot]))

    def reset_events(self) -> list[dict[str, Any]]:
        """The form's own slots, cleared (the form ends or starts over)."""
        return cleared(self.own_slots)

    async def settle(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                     lang: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Checks across slots after the per-slot validation (may call the data service)."""
        return []

    def stop(self, required: list[str], requested: str | None) -> list[dict[str, Any]]:
        """End the form now: the submit rule follows and its action sees nothing to submit."""
        first = requested if requested in required else required[0]
        return [*self.reset_events(), SlotSet(first, None), SlotSet(REQUESTED_SLOT, None)]

    # -- slot helpers shared by several forms ------------------------------------------------
    def extract_reference(self, tracker: Tracker, slot: str,
                          find: Callable[[str, bool], str | None]) -> dict[str, Any]:
        """A reference number (booking, application) read from the text by `find(text,
        answering)`; an entity of the slot's name is mapped by the domain instead."""
        if self.mode(tracker) == "resume" or latest_entities(tracker, slot):
            return {}
        answering = self.answering(tracker, slot)
        found = find(latest_text(tracker), answering)
        if found:
            return {slot: found}
        return {slot: None} if answering and not self.interrupted(tracker) else {}

    def validate_reference(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                           slot: str, pattern: str) -> dict[str, Any]:
        """A reference number as the data service spells it (no spaces or dashes, upper case)
        when it matches `pattern`, else the slot's hint."""
        number = re.sub(r"[\s-]", "", normalize(value)).upper()
        if number.isascii() and re.fullmatch(pattern, number):
            return {slot: number}
        self.hint(dispatcher, tracker, slot)
        return {slot: None}

    def extract_last4(self, tracker: Tracker, slot: str = "phone_last4") -> dict[str, Any]:
        """The phone's last 4 digits from the text (an entity is mapped by the domain).

        The digits are a verification factor: a lookup uses only digits given for it. Digits left
        over from an abandoned form are dropped when a form starts without new ones.
        """
        mode = self.mode(tracker)
        if mode == "resume" or latest_entities(tracker, "phone_last4"):
            return {}
        answering = self.answering(tracker, slot)
        digits = find_last4(latest_text(tracker), answering)
        if digits:
            return {slot: digits}
        if (mode == "activation" and tracker.get_slot(slot)
                and not set_before_form(tracker, slot, self.form)):
            return {slot: None}
        return {slot: None} if answering and not self.interrupted(tracker) else {}

    def validate_last4(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       slot: str = "phone_last4") -> dict[str, Any]:
        digits = last4_of(value)
        if digits:
            return {slot: digits}
        if value is not None or self.mode(tracker) != "activation":
            self.hint(dispatcher, tracker, slot)
        return {slot: None}

    # -- the run every form shares -------------------------------------------------------------
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        mode = self.mode(tracker)
        required = self.domain_slots(domain)
        requested = tracker.get_slot(REQUESTED_SLOT) if mode == "answer" else None
        if requested not in required:
            requested = None
        if (requested and latest_intent(tracker) != "deny"
                and latest_text(tracker).lower().strip(" .!。！") in STOP_WORDS):
            dispatcher.utter_message(response="utter_form_stopped")
            return self.stop(required, requested)
        try:
            events = await super().run(dispatcher, tracker, domain)
            if mode != "resume" and not self.interrupted(tracker):
                events += await self.settle(dispatcher, tracker, domain, lang, events)
        except (DataServiceUnavailable, Rejected) as exc:
            _refused(self.name(), exc)
            dispatcher.utter_message(text=unavailable(lang))
            return self.stop(required, requested)
        if (requested and not self.interrupted(tracker) and not _ends(events)
                and not any(e.get("event") == "slot" and e.get("name") in required
                            for e in events)):
            zh, en = self.hints.get(requested, ("抱歉，我没有理解。", "Sorry, I didn't get that."))
            dispatcher.utter_message(text=t(lang, zh, en))
            events.append(SlotSet(requested, None))
        return events


class AskAction(Action, ABC):
    """A form question that needs live data (`action_ask_...`); an outage ends the form politely.

    Questions with a fixed text are `utter_ask_...` responses in the domain instead.
    """

    @abstractmethod
    async def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  lang: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        try:
            return await self.ask(dispatcher, tracker, domain, lang)
        except (DataServiceUnavailable, Rejected) as exc:
            _refused(self.name(), exc)
            dispatcher.utter_message(text=unavailable(lang))
            return [SlotSet(REQUESTED_SLOT, None)]


class ResetFormAction(Action, ABC):
    """`action_reset_<form>`, run by the rule that follows a stopped form: the form's `own_slots`
    forgotten, so the next time starts from scratch (abstract: `name` is the subclass's)."""

    own_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """action_reset_<form>"""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        return cleared(self.own_slots)


class VerifiedByPhoneLast4(CityFormValidation):
    """A form whose `phone_last4` slot is the verification factor of a lookup (abstract like its
    base: `name` is left to the form)."""

    async def extract_phone_last4(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return self.extract_last4(tracker)

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self.validate_last4(value, dispatcher, tracker)
