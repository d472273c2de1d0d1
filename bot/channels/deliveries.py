"""Saying something to a citizen outside a turn of theirs (an agent's reply), on their channel.

- socket.io (`web:<session>`): python-socketio's Redis manager publishes to every replica, and the
  replica holding the citizen's socket emits to the session's room; without REDIS_URL (one
  process) this process's server emits directly. The web chat shows `bot_uttered` with
  `metadata.agent` as a person's message.
- WeChat (`wechat:<openid>`): the customer-service message API, within 48 hours of the citizen's
  last message (WeChat refuses later ones).
- integrators (`rest:<integrator>:<sender>`): a POST to the integrator's callback URL
  (INTEGRATOR_CALLBACKS), signed as every callback is (docs/integrators.md).
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Dict

from bot.channels import web_socketio
from bot.channels.integrator_callbacks import post_once
from bot.channels.wechat_client import CustomerService
from bot.channels.wechat_output import split_text
from bot.settings import Env, IntegratorSettings, SocketIOSettings, WeChatSettings

WECHAT_WINDOW_SECONDS = 48 * 3600


class DeliveryFailed(Exception):
    """`final`: retrying cannot help (no callback configured, WeChat window closed)."""

    def __init__(self, channel: str, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.channel, self.reason, self.final = channel, reason, final


class Channels:
    def __init__(self, env: Env) -> None:
        self.socketio_settings = SocketIOSettings.from_env(env)
        self.integrators = IntegratorSettings.from_env(env)
        self.wechat_service = CustomerService(WeChatSettings.from_env(env))

    async def deliver(self, channel: str, conversation: str, text: str, agent: dict,
                      last_user_ts: float) -> None:
        prefix = conversation.split(":", 1)[0]
        if prefix == "web" or channel == "socketio":
            await self.socketio(conversation, text, agent)
        elif prefix == "wechat":
            await self.wechat(conversation.split(":", 1)[1], text, last_user_ts)
        elif prefix == "rest":
            await self.integrator(conversation, text, agent)
        else:
            raise DeliveryFailed(channel, "unknown_channel", final=True)

    async def socketio(self, conversation: str, text: str, agent: dict) -> None:
        data = {"text": text, "metadata": {"agent": {"id": agent["id"], "name": agent["name"]}}}
        try:
            await web_socketio.emit_to_conversation(self.socketio_settings, conversation, data)
        except web_socketio.NoRoute as exc:
            raise DeliveryFailed("socketio", "no_route") from exc

    async def wechat(self, openid: str, text: str, last_user_ts: float) -> None:
        if time.time() - last_user_ts > WECHAT_WINDOW_SECONDS:
            raise DeliveryFailed("wechat", "wechat_window_closed", final=True)
        try:
            await self.wechat_service.send(openid, split_text(text))
        except LookupError as exc:
            raise DeliveryFailed("wechat", "wechat_not_configured", final=True) from exc
        except Exception as exc:  # wechatpy's API and transport errors
            raise DeliveryFailed("wechat", type(exc).__name__) from exc

    async def integrator(self, conversation: str, text: str, agent: dict) -> None:
        _, integrator, sender = (conversation.split(":", 2) + ["", ""])[:3]
        if not self.integrators.callbacks.get(integrator):
            raise DeliveryFailed("rest", "no_callback", final=True)
        payload: Dict[str, Any] = {
            "request_id": uuid.uuid4().hex, "message_id": None, "recipient_id": sender,
            "messages": [{"recipient_id": sender, "text": text, "metadata": {"agent": agent}}]}
        failure = await post_once(self.integrators, integrator, payload)
        if failure is not None:
            raise DeliveryFailed("rest", failure)
