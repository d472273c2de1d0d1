"""Whether a message the NLU read as something else is a 12345 report after all.

A message that says outright it is a complaint, praise or a report of wrongdoing ("I want to praise
the staff at the Xuhui service centre", 「我要表扬一下长宁区政务服务中心的小王」) is a 12345 matter
whatever intent the NLU gave it (a fallback, out of scope, a bare fragment, a service or centre
question): when the work-order classifier says the type was named (`type.stated`) and places the
message in a class, or the NLU ranked it as a report too, the report starts with the whole message
as its description. The check costs one classification (a few milliseconds) on the turns that
use it.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet

from actions import work_orders
from actions.i18n import lang_of

# How close report_issue must come in the NLU's ranking for the classifier to be asked: fragments
# ("camera360", 「图库」) rank it far lower, and the classifier must agree before a report starts.
REPORT_RUNNER_UP = 0.2
# Types whose naming makes a message a report. Not suggestions or consultations: "can you suggest a
# good movie" and "I'd like to know the weather" name those too.
STATED_REPORT_TYPES = ("complaint", "praise", "report")


def start_report(text: str) -> list[dict[str, Any]]:
    """The 12345 report with the whole message as its description, as when report_issue was read
    directly."""
    return [SlotSet("issue_description", text), FollowupAction("report_issue_form")]


async def report_named(tracker: Tracker, *, or_ranked: bool = False) -> list[dict[str, Any]] | None:
    """The report for a message outside a form that names itself a complaint, praise or report,
    when the classifier places it confidently or the NLU ranked it as a report too (「我想表扬一下
    12345的接线员」: no class fits well, the citizen then picks one); with `or_ranked`, also for a
    message the NLU ranked as a report and the classifier places confidently. None otherwise, and
    when the data service cannot say."""
    if tracker.active_loop_name or _asks_after_a_report(tracker):
        return None
    text = tracker.latest_message.get("text") or ""
    result = await work_orders.classify_or_none(text, lang_of(tracker))
    return start_report(text) if reads_as_report(tracker.latest_message, result,
                                                 or_ranked=or_ranked) else None


def reads_as_report(message: dict, result: dict | None, *, or_ranked: bool) -> bool:
    """The rule of `report_named` for one parsed message (the NLU's intent ranking and entities)
    and the classifier's result; bench/nlu_eval.py applies it too."""
    named = work_orders.stated_type(result) in STATED_REPORT_TYPES
    ranked, placed = _looks_like_a_report(message), work_orders.confident(result)
    return (named and (placed or ranked)) or (or_ranked and ranked and placed)


def _ranking(message: dict) -> dict[str, float]:
    return {i.get("name"): i.get("confidence") or 0 for i in message.get("intent_ranking") or []}


def _looks_like_a_report(message: dict) -> bool:
    named = {e.get("entity") for e in message.get("entities") or []}
    return _ranking(message).get("report_issue", 0) >= REPORT_RUNNER_UP or "issue_type" in named


def _asks_after_a_report(tracker: Tracker) -> bool:
    """「我的投诉到哪个环节了」 names a complaint too: it asks after one already filed."""
    message = tracker.latest_message
    return (message.get("intent") or {}).get("name") == "check_ticket_status" or \
        _ranking(message).get("check_ticket_status", 0) >= REPORT_RUNNER_UP
