"""The answer a conversation already holds for one message_id.

Rasa stores the webhook's message_id on the user event (`UserUttered.message_id`). When a retry's
message_id is there, the message was processed (by a replica that died before recording the
answer, or whose request failed after the conversation was saved): the retry is answered from the
bot events that followed it instead of processing the message a second time. Read-only, through
Rasa's tracker store.
"""
from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered, UserUttered


async def stored_answer(tracker_store: Any, conversation: str, message_id: str) -> list[dict] | None:
    """The messages answered to `message_id` in `conversation` (in the shape a fresh answer has,
    as Rasa's collecting channel builds it), or None if the conversation does not hold it."""
    tracker = await tracker_store.retrieve(conversation)
    if tracker is None:
        return None
    collector = CollectingOutputChannel()
    found = False
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found:
                break  # the next user message: its answer is not ours
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            await collector.send_response(conversation, event.message())
    return collector.messages if found else None
