"""The agent relay: what a human agent does on the console's desk, said on the citizen's channel.

`POST /webhooks/agent_relay/send` (any Rasa replica; the console signs each request with
AGENT_RELAY_SECRET, signing/relay.py) with `{"kind": "join" | "reply" | "end",
"conversation_id", "language", "agent": {"id", "name"}, "text", "reply_id"}`:

- the text goes into the conversation's tracker as a bot message (an agent's reply carries
  `metadata.agent`, so the console stores it as the agent's); `end` first appends Rasa's
  ConversationResumed, and the assistant says it is back;
- then it reaches the citizen: socket.io through python-socketio's Redis manager (the citizen's
  socket may live in another replica), WeChat through the customer-service message API (only
  within 48 hours of the citizen's last message, WeChat's window), an integrator through its
  callback URL (signed like every callback, docs/integrators.md).

Answers 200 once delivered, 4xx for a bad request, 409 when the channel cannot reach the citizen
(no callback URL, WeChat window closed), 502 when the channel failed: the console then tells the
agent the reply did not go out.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import deliveries
from bot.settings import AgentRelaySettings, environment
from signing.relay import SIGNATURE_HEADER, TIMESTAMP_HEADER, valid

logger = logging.getLogger(__name__)
MAX_BODY = 16 * 1024
MAX_TEXT = 2000
KINDS = ("join", "reply", "end")

JOINED = {"zh": "人工客服 {name} 已加入对话，请问有什么可以帮您？",
          "en": "{name} from the city's service team has joined the chat. How can I help?"}
BACK = {"zh": "人工服务已结束，接下来由智能助手继续为您服务。还有什么可以帮您？",
        "en": "The agent has left the chat; the assistant is back. Anything else I can help with?"}


class RelayRefused(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


def read_request(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise RelayRefused(400, "not_json") from None
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        raise RelayRefused(400, "bad_kind")
    conversation, agent = data.get("conversation_id"), data.get("agent")
    if not isinstance(conversation, str) or not 0 < len(conversation) <= 255:
        raise RelayRefused(400, "bad_conversation_id")
    if not (isinstance(agent, dict) and isinstance(agent.get("id"), int)
            and isinstance(agent.get("name"), str)):
        raise RelayRefused(400, "bad_agent")
    if data["kind"] == "reply":
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise RelayRefused(400, "bad_text")
        if not isinstance(data.get("reply_id"), str) or not 0 < len(data["reply_id"]) <= 64:
            raise RelayRefused(400, "bad_reply_id")
    if data.get("language") not in ("zh", "en"):
        data["language"] = "zh"
    return data


def said(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the text the citizen sees, the bot message's metadata)."""
    agent = {"id": data["agent"]["id"], "name": data["agent"]["name"][:64]}
    if data["kind"] == "reply":
        return data["text"].strip(), {"agent": {**agent, "reply_id": data["reply_id"]}}
    if data["kind"] == "join":
        return JOINED[data["language"]].format(name=agent["name"]), {"agent": agent}
    return BACK[data["language"]], {}


class AgentRelayInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "agent_relay"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        env = environment(env)
        self.secret = AgentRelaySettings.from_env(env).secret
        self.channels = deliveries.Channels(env)

    async def relay(self, agent: Any, data: dict[str, Any]) -> None:
        conversation = data["conversation_id"]
        text, metadata = said(data)
        async with agent.lock_store.lock(conversation):
            tracker = await agent.tracker_store.retrieve(conversation)
            if tracker is None:
                raise RelayRefused(404, "no_conversation")
            channel = tracker.get_latest_input_channel() or conversation.split(":", 1)[0]
            last_user = tracker.latest_message.timestamp if tracker.latest_message else None
            # The channel first: a reply that cannot reach the citizen is not recorded as said.
            await self.channels.deliver(channel, conversation, text, metadata.get("agent")
                                        or data["agent"], last_user or time.time())
            if data["kind"] == "end":
                tracker.update(ConversationResumed())
            tracker.update(BotUttered(text, metadata=metadata or None))
            if data["kind"] == "end":
                # The pause ended the assistant's turn without its usual action_listen: without
                # one the policies read the next message as part of that turn.
                tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await agent.tracker_store.save(tracker)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("agent_relay_webhook", __name__)

        @bp.route("/send", methods=["POST"])
        async def send(request: Request) -> HTTPResponse:
            body = request.body or b""
            if len(body) > MAX_BODY:
                return response.json({"error": {"code": "too_large"}}, status=413)
            if not valid(self.secret, body, request.headers.get(TIMESTAMP_HEADER),
                         request.headers.get(SIGNATURE_HEADER)):
                return response.json({"error": {"code": "bad_signature"}}, status=401)
            try:
                data = read_request(body)
                await self.relay(request.app.ctx.agent, data)
            except RelayRefused as exc:
                return response.json({"error": {"code": exc.code}}, status=exc.status)
            except deliveries.DeliveryFailed as exc:
                logger.warning("agent relay: %s delivery failed (%s)", exc.channel, exc.reason)
                status = 409 if exc.final else 502
                return response.json({"error": {"code": exc.reason}}, status=status)
            return response.json({"delivered": True})

        return bp
