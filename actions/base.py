"""The base of actions that answer from the data service (an outage becomes a polite bilingual
reply; the slots the answer used are forgotten), the look-up of one record by the number a form
collected, and what this turn set on the tracker. Forms have their own layer: actions/forms.py."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Iterable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected
from actions.api.gateway import DataServiceGateway, get_gateway
from actions.i18n import lang_of, t, unavailable

log = logging.getLogger(__name__)


class DataAction(Action, ABC):
    """Subclasses implement `answer`; the data service being down never leaves the citizen in silence.

    Abstract, so the action server's package scan does not register it as an action itself.
    """

    # Slots the answer reads that must not outlive it (a looked-up number, a verification
    # factor): cleared after every run, whatever its outcome.
    forgets: tuple[str, ...] = ()

    @abstractmethod
    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        try:
            events = await self.answer(dispatcher, tracker, domain, lang)
        except DataServiceUnavailable:
            dispatcher.utter_message(text=unavailable(lang))
            events = []
        return events + cleared(self.forgets)

    @property
    def gateway(self) -> DataServiceGateway:
        return get_gateway()


class LookupByNumber(DataAction, ABC):
    """Answers about one record found by the number a form collected in `slot` (a 12345 ticket, a
    transport card), then forgets the number. Subclasses say how to read the number, fetch the
    record, word "not found" and render the record."""

    slot = ""
    ask_number: tuple[str, str] = ("", "")  # (zh, en): the slot holds no usable number

    @property
    def forgets(self) -> tuple[str, ...]:
        return (self.slot,)

    @abstractmethod
    def parse(self, text: str) -> str | None:
        """The number in the slot's text, or None."""

    @abstractmethod
    async def fetch(self, number: str, lang: str) -> Any:
        """The record (NotFound or Rejected when there is none for this number)."""

    @abstractmethod
    def not_found(self, number: str, lang: str) -> str:
        """The reply when no record has this number."""

    @abstractmethod
    def reply(self, dispatcher: CollectingDispatcher, record: Any,
              lang: str) -> list[dict[str, Any]]:
        """Send the record to the citizen; the events that follow."""

    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        number = self.parse(tracker.get_slot(self.slot) or "")
        if not number:
            dispatcher.utter_message(text=t(lang, *self.ask_number))
            return []
        try:
            record = await self.fetch(number, lang)
        except (NotFound, Rejected):
            dispatcher.utter_message(text=self.not_found(number, lang))
            return []
        return self.reply(dispatcher, record, lang)


def cleared(slots: Iterable[str]) -> list[dict[str, Any]]:
    """The events that empty `slots`."""
    return [SlotSet(slot, None) for slot in slots]


def events_this_turn(tracker: Tracker) -> list[dict]:
    """The events after the latest user message."""
    events = tracker.events or []
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1:]
    return list(events)


def set_this_turn(tracker: Tracker, slot: str) -> tuple[bool, Any]:
    """(was the slot set since the latest user message, its newest value)."""
    found, value = False, None
    for event in events_this_turn(tracker):
        if event.get("event") == "slot" and event.get("name") == slot:
            found, value = True, event.get("value")
    return found, value


def slot_before_turn(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (what this turn may have overwritten)."""
    events = tracker.events or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
    return value
