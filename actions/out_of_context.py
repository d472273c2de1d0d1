"""Messages the NLU could not place in the conversation.

action_inform_without_context: a bare fragment ("camera360", 「图库」, 「35的平方根」, 「居住证」)
when no form or question is waiting for an answer.

The NLU reads such fragments as `inform` (the answer to a question), but in a fresh conversation
nothing was asked: a service the catalogue knows gets "what would you like to know about it?",
a city matter the NLU half-read as an address (「徐汇区漕溪北路100号门口的路灯坏了一个星期了」: inform, with
report_issue close behind) the 12345 report, when the work-order classifier is confident too; anything
else the polite refusal (what the assistant can do, plus 12345).

action_answer_unclear: `nlu_fallback`, the NLU unsure what was asked. When the message names a
service the catalogue knows (「我想办居住证」, 「社保卡丢了怎么补」: the service is clear, the question
is not) and no form is waiting, the citizen gets that service's menu instead of "I didn't quite
understand"; such a turn is not counted as a misunderstanding (actions/handoff.py).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import work_orders
from actions.base import set_this_turn
from actions.i18n import lang_of, t
from actions.services import follow_up_buttons

# How close report_issue must come in the NLU's ranking for the classifier to be asked: fragments
# ("camera360", 「图库」) rank it far lower, and the classifier must agree before a report starts.
REPORT_RUNNER_UP = 0.2


def _looks_like_a_report(tracker: Tracker) -> bool:
    message = tracker.latest_message
    ranking = {i.get("name"): i.get("confidence") or 0 for i in message.get("intent_ranking") or []}
    named = {e.get("entity") for e in message.get("entities") or []}
    return ranking.get("report_issue", 0) >= REPORT_RUNNER_UP or "issue_type" in named


def offer_service_menu(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """"What would you like to know about it?" with the buttons of the service this message named
    (resolved to a catalogue code this turn); False when it named none."""
    service = set_this_turn(tracker, "service")[1]
    if not service:
        return False
    lang = lang_of(tracker)
    dispatcher.utter_message(
        text=t(lang, "您想了解这项业务的什么？", "What would you like to know about it?"),
        buttons=follow_up_buttons(service, "", lang))
    return True


class ActionInformWithoutContext(Action):
    def name(self) -> str:
        return "action_inform_without_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if offer_service_menu(dispatcher, tracker):
            return []
        text = tracker.latest_message.get("text") or ""
        if _looks_like_a_report(tracker) and work_orders.confident(
                await work_orders.classify_or_none(text, lang_of(tracker))):
            # The whole message is the description, as when report_issue was read directly.
            return [SlotSet("issue_description", text), FollowupAction("report_issue_form")]
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionAnswerUnclear(Action):
    def name(self) -> str:
        return "action_answer_unclear"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if tracker.active_loop_name or not offer_service_menu(dispatcher, tracker):
            dispatcher.utter_message(response="utter_default")
        return []
