"""Messages the NLU could not place in the conversation.

action_inform_without_context: a bare fragment ("camera360", 「图库」, 「35的平方根」, 「居住证」)
when no form or question is waiting for an answer.

The NLU reads such fragments as `inform` (the answer to a question), but in a fresh conversation
nothing was asked: a service the catalogue knows gets "what would you like to know about it?",
a city matter the NLU half-read as an address (「徐汇区漕溪北路100号门口的路灯坏了一个星期了」: inform, with
report_issue close behind) the 12345 report, when the work-order classifier is confident too; anything
else the polite refusal (what the assistant can do, plus 12345).

action_answer_out_of_scope: `out_of_scope`, the polite refusal (what the assistant can do, plus 12345).
A short city matter the NLU takes for small talk (「菜市场缺斤少两怎么办」: out_of_scope, report_issue
close behind) starts the 12345 report on the same terms as an unsure message: `report_issue` close
behind and the work-order classifier confident. The classifier's threshold was fitted on our
out-of-scope negatives, so an everyday request the NLU half-reads as a report still needs its
agreement.

A message that says outright it is a complaint, praise or a report of wrongdoing starts the 12345
report instead, whatever the NLU made of it (actions/report_detection.py).

Whatever the NLU made of it, a message that tells of danger now (「楼道里一股煤气味」, "we are stuck
in the elevator": actions/emergency.py) starts the 12345 report with the whole message as the
description, and the report's first question gives the emergency numbers (inside another form
the numbers come at once).

action_answer_unclear: `nlu_fallback`, the NLU unsure what was asked. With `report_issue` close
behind in its ranking ("The bus 946 is always late in the morning") and the work-order classifier
confident, the message is the 12345 report's description. When the message names a
service the catalogue knows (「我想办居住证」, 「社保卡丢了怎么补」: the service is clear, the question
is not) and no form is waiting, the citizen gets that service's menu instead of "I didn't quite
understand"; such a turn is not counted as a misunderstanding (actions/handoff.py).

action_acknowledge_without_context: `affirm` or `deny` with no form or question waiting, "anything
else?". A complaint the NLU misread as one (「不对，工资少发了」, "no, nobody fixed the streetlight":
`deny`, report_issue close behind) starts the 12345 report on the same terms as an unsure message:
`report_issue` close behind and the classifier confident.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import emergency
from actions.base import set_this_turn
from actions.i18n import lang_of, t
from actions.report_detection import report_named, start_report
from actions.services import follow_up_buttons


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


def answer_danger(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """For a message that tells of danger now: the report (its first question gives the numbers),
    or inside another form the numbers at once; None for any other message."""
    text = tracker.latest_message.get("text") or ""
    warning = emergency.warning(text, lang_of(tracker))
    if warning is None:
        return None
    if tracker.active_loop_name:
        dispatcher.utter_message(text=warning)
        return []
    return start_report(text)


async def report_instead(dispatcher: CollectingDispatcher, tracker: Tracker
                         ) -> list[dict[str, Any]] | None:
    """The report for a message that tells of danger, or that the NLU ranked as a report too and
    the classifier places; None otherwise."""
    answer = answer_danger(dispatcher, tracker)
    if answer is None:
        answer = await report_named(tracker, or_ranked=True)
    return answer


class ActionInformWithoutContext(Action):
    def name(self) -> str:
        return "action_inform_without_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        danger = answer_danger(dispatcher, tracker)
        if danger is not None:
            return danger
        if offer_service_menu(dispatcher, tracker):
            return []
        report = await report_named(tracker, or_ranked=True)
        if report is not None:
            return report
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionAnswerOutOfScope(Action):
    def name(self) -> str:
        return "action_answer_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        answer = await report_instead(dispatcher, tracker)
        if answer is not None:
            return answer
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionAnswerUnclear(Action):
    def name(self) -> str:
        return "action_answer_unclear"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        answer = await report_instead(dispatcher, tracker)  # with a report close behind
        if answer is not None:
            return answer
        if tracker.active_loop_name or not offer_service_menu(dispatcher, tracker):
            dispatcher.utter_message(response="utter_default")
        return []


class ActionAcknowledgeWithoutContext(Action):
    def name(self) -> str:
        return "action_acknowledge_without_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        answer = await report_instead(dispatcher, tracker)
        if answer is not None:
            return answer
        dispatcher.utter_message(response="utter_anything_else")
        return []
