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

import asyncio
import json
import time
import uuid
from typing import Any, Dict, Optional

import aiohttp

from bot.channels import web_socketio
from bot.channels.integrator_rest import Settings as IntegratorSettings, sign
from bot.channels.wechat import WeChatInput, split_text

WECHAT_WINDOW_SECONDS = 48 * 3600


class DeliveryFailed(Exception):
    """`final`: retrying cannot help (no callback configured, WeChat window closed)."""

    def __init__(self, channel: str, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.channel, self.reason, self.final = channel, reason, final


class Channels:
    def __init__(self, env: Dict[str, str]) -> None:
        self.env = env
        self._wechat: Optional[WeChatInput] = None
        self._integrators: Optional[IntegratorSettings] = None

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
            await web_socketio.emit_to_conversation(self.env, conversation, data)
        except web_socketio.NoRoute as exc:
            raise DeliveryFailed("socketio", "no_route") from exc

    async def wechat(self, openid: str, text: str, last_user_ts: float) -> None:
        if time.time() - last_user_ts > WECHAT_WINDOW_SECONDS:
            raise DeliveryFailed("wechat", "wechat_window_closed", final=True)
        if self._wechat is None:
            self._wechat = WeChatInput(self.env)
        client = self._wechat.client
        if client is None:
            raise DeliveryFailed("wechat", "wechat_not_configured", final=True)
        loop = asyncio.get_running_loop()
        for chunk in split_text(text):
            try:
                await loop.run_in_executor(None, client.message.send_text, openid, chunk)
            except Exception as exc:  # wechatpy's API and transport errors
                raise DeliveryFailed("wechat", type(exc).__name__) from exc

    async def integrator(self, conversation: str, text: str, agent: dict) -> None:
        if self._integrators is None:
            self._integrators = IntegratorSettings.from_env(self.env)
        _, integrator, sender = (conversation.split(":", 2) + ["", ""])[:3]
        url = self._integrators.callbacks.get(integrator)
        if not url:
            raise DeliveryFailed("rest", "no_callback", final=True)
        payload: Dict[str, Any] = {
            "request_id": uuid.uuid4().hex, "message_id": None, "recipient_id": sender,
            "messages": [{"recipient_id": sender, "text": text, "metadata": {"agent": agent}}]}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Timestamp": timestamp,
                   "X-Signature": sign(self._integrators.callback_secret(integrator), timestamp,
                                       body),
                   "X-Request-Id": payload["request_id"], "X-Delivery-Attempt": "1"}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                async with session.post(url, data=body, headers=headers) as resp:
                    if not 200 <= resp.status < 300:
                        raise DeliveryFailed("rest", f"callback_{resp.status}")
        except aiohttp.ClientError as exc:
            raise DeliveryFailed("rest", type(exc).__name__) from exc
        except asyncio.TimeoutError as exc:
            raise DeliveryFailed("rest", "callback_timeout") from exc
