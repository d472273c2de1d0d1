"""action_inform_without_context: a bare fragment ("camera360", 「图库」, 「35的平方根」, 「居住证」)
when no form or question is waiting for an answer.

The NLU reads such fragments as `inform` (the answer to a question), but in a fresh conversation
nothing was asked: a service the catalogue knows gets "what would you like to know about it?",
anything else the polite refusal (what the assistant can do, plus 12345).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import set_this_turn
from actions.i18n import lang_of, t
from actions.services import follow_up_buttons


class ActionInformWithoutContext(Action):
    def name(self) -> str:
        return "action_inform_without_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        service = set_this_turn(tracker, "service")[1]
        if service:
            lang = lang_of(tracker)
            dispatcher.utter_message(
                text=t(lang, "您想了解这项业务的什么？", "What would you like to know about it?"),
                buttons=follow_up_buttons(service, "", lang))
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []
