"""Base class for actions that call the data service: an outage becomes a polite bilingual reply."""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.dataservice import DataServiceUnavailable, get_client
from actions.i18n import lang_of, t, unavailable

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
    def client(self):
        return get_client()


class AskText(Action, ABC):
    """A form question with a fixed bilingual text (kept in code like every other question)."""

    zh = ""
    en = ""

    @abstractmethod
    def name(self) -> str:
        """action_ask_<slot> or action_ask_<form>_<slot>."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=t(lang_of(tracker), self.zh, self.en))
        return []
