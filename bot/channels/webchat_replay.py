"""Bot messages a web chat page missed while its connection was down, replayed when it comes back.

Every bot message emitted to a web conversation's room (the assistant's, a channel notice, an
agent's reply during a handoff) is numbered per conversation and the last few are kept. A page
that reconnects names the last number it saw in its `session_request` (`last_seen`); it is sent
what came after. Numbers carry an epoch, random whenever a conversation's numbering starts (after a
restart, or once it was forgotten), so a page never mistakes a new numbering for the one it saw;
a page drops a number it already has, so a message is shown once even when the replay and the
live emit cross.

Kept only in this process's memory and only briefly (the last REPLAY_MESSAGES of a conversation,
for REPLAY_SECONDS after its last message, at most REPLAY_CONVERSATIONS conversations, least
recently used dropped first): enough for a page that reloads or loses its connection for a while,
and no second store of conversations. With several replicas a page that comes back on another
replica gets no replay; the messages remain in the tracker store.
"""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Deque, Dict, List

from socketio import AsyncServer

REPLAY_MESSAGES = 20
REPLAY_SECONDS = 600
REPLAY_CONVERSATIONS = 5_000


@dataclass
class _Kept:
    epoch: str  # new whenever numbering starts (again) for the conversation
    messages: Deque[dict]
    count: int = 0
    at: float = 0.0


class Outbox:
    """Numbered recent messages per conversation."""

    def __init__(self, per_conversation: int = REPLAY_MESSAGES, seconds: float = REPLAY_SECONDS,
                 conversations: int = REPLAY_CONVERSATIONS, clock=time.monotonic) -> None:
        self._per_conversation, self._seconds = per_conversation, seconds
        self._conversations, self._clock = conversations, clock
        self._kept: "OrderedDict[str, _Kept]" = OrderedDict()  # least recently used first

    def number(self, conversation: str, message: Dict[str, Any]) -> Dict[str, Any]:
        """`message` with its number in `conversation` (a copy; the caller's dict is left alone)."""
        now = self._clock()
        kept = self._kept.pop(conversation, None) or _Kept(
            secrets.token_hex(4), deque(maxlen=self._per_conversation))
        kept.count, kept.at = kept.count + 1, now
        numbered = {**message, "seq": kept.count, "epoch": kept.epoch}
        kept.messages.append(numbered)
        self._kept[conversation] = kept
        oldest = lambda: next(iter(self._kept.values()))  # noqa: E731
        while len(self._kept) > self._conversations or oldest().at < now - self._seconds:
            self._kept.popitem(last=False)
        return numbered

    def after(self, conversation: str, last_seen: Any) -> List[Dict[str, Any]]:
        """What `conversation` was sent after `last_seen` ({epoch, seq}); everything kept when the
        page saw another numbering or nothing."""
        kept = self._kept.get(conversation)
        if kept is None or kept.at < self._clock() - self._seconds:
            return []
        start = 0
        if isinstance(last_seen, dict) and last_seen.get("epoch") == kept.epoch \
                and isinstance(last_seen.get("seq"), int):
            start = last_seen["seq"]
        return [m for m in kept.messages if m["seq"] > start]


class ReplayingServer(AsyncServer):
    """python-socketio's server, numbering and keeping the bot messages of web conversations."""

    def __init__(self, *args: Any, bot_message_evt: str, room_prefix: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outbox = Outbox()
        self._bot_event = bot_message_evt
        self._room_prefix = room_prefix

    async def emit(self, event: str, data: Any = None, to: Any = None, room: Any = None,
                   **kwargs: Any) -> None:
        target = to or room
        if (event == self._bot_event and isinstance(data, dict) and isinstance(target, str)
                and target.startswith(self._room_prefix)):
            data = self.outbox.number(target, data)
        await super().emit(event, data, to=target, **kwargs)

    async def replay(self, sid: str, conversation: str, last_seen: Any, namespace: Any) -> None:
        for message in self.outbox.after(conversation, last_seen):
            await super().emit(self._bot_event, message, to=sid, namespace=namespace)
