"""Bot messages a web chat page missed while its connection was down, replayed when it comes back.

Every bot message emitted to a web conversation's room (the assistant's, a channel notice, an
agent's reply during a handoff) is numbered per conversation and the last few are kept. A page
that reconnects names the last number it saw in its `session_request` (`last_seen`); it is sent
what came after. Numbers carry the server's epoch (random per start) so a page never mistakes a
restarted server's numbering for the one it saw; a page drops a number it already has, so a
message is shown once even when the replay and the live emit cross.

Kept in this process's memory (REPLAY_MESSAGES per conversation, REPLAY_CONVERSATIONS in all,
least recently used dropped first): a replica behind a load balancer with sticky sessions sees its
own sockets come back.
"""
from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from typing import Any, Deque, Dict, List, Tuple

from socketio import AsyncServer

REPLAY_MESSAGES = 50
REPLAY_CONVERSATIONS = 20_000


class Outbox:
    """Numbered recent messages per conversation."""

    def __init__(self, per_conversation: int = REPLAY_MESSAGES,
                 conversations: int = REPLAY_CONVERSATIONS) -> None:
        self.epoch = secrets.token_hex(4)
        self._per_conversation = per_conversation
        self._conversations = conversations
        self._kept: "OrderedDict[str, Tuple[int, Deque[dict]]]" = OrderedDict()

    def number(self, conversation: str, message: Dict[str, Any]) -> Dict[str, Any]:
        """`message` with its number in `conversation` (a copy; the caller's dict is left alone)."""
        count, kept = self._kept.pop(conversation, (0, deque(maxlen=self._per_conversation)))
        numbered = {**message, "seq": count + 1, "epoch": self.epoch}
        kept.append(numbered)
        self._kept[conversation] = (count + 1, kept)
        while len(self._kept) > self._conversations:
            self._kept.popitem(last=False)
        return numbered

    def after(self, conversation: str, last_seen: Any) -> List[Dict[str, Any]]:
        """What `conversation` was sent after number `last_seen` of this epoch (all kept if the
        page saw another epoch or nothing)."""
        _, kept = self._kept.get(conversation, (0, ()))
        if not isinstance(last_seen, dict) or last_seen.get("epoch") != self.epoch:
            start = 0
        else:
            start = last_seen.get("seq") if isinstance(last_seen.get("seq"), int) else 0
        return [m for m in kept if m["seq"] > start]


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
