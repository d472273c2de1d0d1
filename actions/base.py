"""The base of actions that answer from the data service (an outage becomes a polite bilingual
reply) and what this turn set on the tracker. Forms have their own layer: actions/forms.py."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.dataservice import DataServiceUnavailable
from actions.api.gateway import DataServiceGateway, get_gateway
from actions.i18n import lang_of, unavailable

log = logging.getLogger(__name__)


class DataAction(Action, ABC):
    """Subclasses implement `answer`; the data service being down never leaves the citizen in silence.

    Abstract, so the action server's package scan does not register it as an action itself.
    """

    @abstractmethod
    async def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     domain: dict[str, Any], lang: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        try:
            return await self.answer(dispatcher, tracker, domain, lang)
        except DataServiceUnavailable:
            dispatcher.utter_message(text=unavailable(lang))
            return []

    @property
    def gateway(self) -> DataServiceGateway:
        return get_gateway()


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
