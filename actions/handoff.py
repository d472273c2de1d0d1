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


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker,
                    reason: str) -> list[dict[str, Any]]:
    lang = lang_of(tracker)
    channel = (tracker.get_latest_input_channel() or "unknown")[:32]
    answer = await asyncio.to_thread(ask_console, tracker.sender_id, channel, lang, reason)
    if not answer or answer.get("status") not in ("queued", "unavailable"):
        dispatcher.utter_message(response="utter_request_human")
        return []
    if answer["status"] == "queued":
        dispatcher.utter_message(response="utter_handoff_queued", position=answer["position"])
        return [ConversationPaused()]
    why = (t(lang, "现在不是人工服务时间", "outside the agents' working hours")
           if answer.get("reason") == "closed"
           else t(lang, "人工客服暂时都不在线", "no agent is available at the moment"))
    dispatcher.utter_message(response="utter_handoff_unavailable", reason=why)
    return []


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        return await hand_over(dispatcher, tracker, "asked")


def failed_twice(tracker: Tracker) -> bool:
    """The latest two citizen messages both fell back, with no handoff ended between them."""
    recent: list[dict] = []
    for event in reversed(tracker.events or []):
        if event.get("event") == "resume":
            break
        if event.get("event") == "user":
            recent.append(event)
            if len(recent) == 2:
                break
    return len(recent) == 2 and all(
        ((e.get("parse_data") or {}).get("intent") or {}).get("name") == FALLBACK_INTENT
        for e in recent)


class ActionHandleFallback(Action):
    """Asks the citizen to rephrase; the second misunderstanding in a row goes to a person."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        if failed_twice(tracker):
            return await hand_over(dispatcher, tracker, "fallback")
        dispatcher.utter_message(response="utter_default")
        return []
