"""转人工: a citizen asks for a person, or the assistant failed twice in a row.

The operator console keeps the agents' queue (`POST /api/handoffs`). Queued: the citizen hears
their place and the conversation is paused (Rasa's ConversationPaused), so the assistant stays
silent while an agent answers; the agent's end resumes it (bot/channels/agent_relay.py). No agent
or outside working hours: the 12345 hotline and a call-back request are offered. The console
unreachable: the 12345 hotline, as before the desk existed.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import requests
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.i18n import lang_of, t
from actions.settings import get_settings

log = logging.getLogger(__name__)
FALLBACK_INTENT = "nlu_fallback"


def ask_console(conversation_id: str, channel: str, language: str, reason: str) -> dict | None:
    settings = get_settings()
    try:
        response = requests.post(
            f"{settings.console_url}/api/handoffs", timeout=(0.5, 2.0),
            headers={"Authorization": f"Bearer {settings.console_handoff_token}"},
            json={"conversation_id": conversation_id, "channel": channel or "unknown",
                  "language": language, "reason": reason})
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("handoff queue unavailable (%s)", type(exc).__name__)
        return None


QUEUED = ("正在为您转接人工客服，稍后会有工作人员加入对话。您现在排在第 {position} 位。"
          "您可以继续输入，工作人员会看到。",
          "A person from the city's service team will join this chat shortly. You are number "
          "{position} in the queue. Meanwhile you can keep typing: the agent will read it.")
UNAVAILABLE = ("目前没有人工客服可以接入（{reason}）。请拨打 12345 市民服务热线（24小时），"
               "或提交 12345 工单，热线工作人员会回电联系您。",
               "No agent can join this chat right now ({reason}). Please call the 12345 citizen "
               "hotline (24 hours, English service: press 7), or file a 12345 request and the "
               "hotline will call you back.")
CLOSED = ("现在不是人工服务时间", "outside the agents' working hours")
NO_AGENT = ("人工客服暂时都不在线", "no agent is available at the moment")
CALL_BACK = ("提交 12345 工单（回电）", "File a 12345 request (call-back)")
# The console unreachable: the hotline, as before the agent desk existed.
NO_DESK = ("目前无法在对话中转接人工客服。请拨打 12345 市民服务热线（24小时人工服务），"
           "或在办公时间前往就近的社区事务受理服务中心。",
           "I can't transfer you to a person in this chat right now. Please call the 12345 "
           "citizen hotline (24 hours, English service available: press 7), or visit any "
           "community affairs centre during opening hours.")


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker,
                    reason: str) -> list[dict[str, Any]]:
    lang = lang_of(tracker)
    channel = (tracker.get_latest_input_channel() or "unknown")[:32]
    answer = await asyncio.to_thread(ask_console, tracker.sender_id, channel, lang, reason)
    if not answer or answer.get("status") not in ("queued", "unavailable"):
        dispatcher.utter_message(text=t(lang, *NO_DESK))
        return []
    if answer["status"] == "queued":
        dispatcher.utter_message(text=t(lang, *QUEUED).format(position=int(answer["position"])))
        return [ConversationPaused()]
    why = t(lang, *(CLOSED if answer.get("reason") == "closed" else NO_AGENT))
    dispatcher.utter_message(text=t(lang, *UNAVAILABLE).format(reason=why),
                             buttons=[{"title": t(lang, *CALL_BACK), "payload": "/report_issue"}])
    return []


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        return await hand_over(dispatcher, tracker, "asked")


# Slots whose setting after a fallback shows the message was understood after all.
UNDERSTOOD_SLOTS = ("service", "issue_description")


def failed_twice(tracker: Tracker) -> bool:
    """The latest two citizen messages both fell back, with no handoff ended between them. A
    message that fell back but was half understood does not count: it named a service the
    catalogue knows (outside a form it got that service's menu) or became a 12345 report's
    description (it named itself a complaint or praise, or told of danger; action_answer_unclear)."""
    recent: list[tuple[dict, bool]] = []
    understood = False  # a service or report resolved after the user event being walked back to
    for event in reversed(tracker.events or []):
        if event.get("event") == "resume":
            break
        if (event.get("event") == "slot" and event.get("name") in UNDERSTOOD_SLOTS
                and event.get("value")):
            understood = True
        if event.get("event") == "user":
            recent.append((event, understood))
            understood = False
            if len(recent) == 2:
                break
    return len(recent) == 2 and all(
        ((e.get("parse_data") or {}).get("intent") or {}).get("name") == FALLBACK_INTENT
        and not named for e, named in recent)


class ActionHandOverIfRepeated(Action):
    """After "I didn't understand" (utter_default): the second time in a row, a person."""

    def name(self) -> str:
        return "action_hand_over_if_repeated"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        return await hand_over(dispatcher, tracker, "fallback") if failed_twice(tracker) else []
