"""WeChat Official Account (微信公众号) input channel, built on wechatpy.

Enabled in bot/credentials.yml by class path (`bot.channels.wechat.WeChatInput:`), mounted at
`/webhooks/wechat/webhook`. Settings (bot/settings.py, WeChatSettings; docs/wechat.md):
WECHAT_TOKEN (required; unset → 503), WECHAT_APP_ID / WECHAT_APP_SECRET (customer-service API),
WECHAT_AES_KEY (empty → plaintext mode, set → safe mode required), WECHAT_API_BASE,
WECHAT_REPLY_BUDGET (4.5 s; WeChat waits 5 s), WECHAT_TIMESTAMP_WINDOW (300 s),
WECHAT_REDIS_PREFIX, WECHAT_MAX_BODY_BYTES (16384), WECHAT_MAX_MESSAGE_CHARS (2000),
WECHAT_RATE_PER_MINUTE / WECHAT_BURST (20 / 8 per user), REDIS_URL (shared state).

The query-string signature is checked before the body is read (bot/channels/wechat_protocol.py),
and the body is read incrementally up to WECHAT_MAX_BODY_BYTES. A signature tuple is bound to the
one message it came with, so it cannot be replayed with another body. Each message is processed
once (bot/channels/once.py): WeChat's retries and concurrent duplicates wait for the first and
get the same reply. A reply not ready within the budget is answered `success` and delivered later
through the customer-service message API (bot/channels/wechat_client.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel, UserMessage

from bot.channels import replies
from bot.channels.inputs import BodyTooLarge, conversation_id, limit_body, read_body
from bot.channels.once import Claim, Once
from bot.channels.state import LazyState, StateUnavailable, hashed
from bot.channels.wechat_client import CityWeChatClient, CustomerService
from bot.channels.wechat_location import share_location
from bot.channels.wechat_output import WeChatOutput, split_text
from bot.channels.wechat_protocol import Rejected, WeChatProtocol, dedupe_id
from bot.settings import WeChatSettings, environment, with_credentials
from privacy import redact_text
from privacy.parsing import normalize

logger = logging.getLogger(__name__)

CLAIM_TTL = 30  # a dead replica's claim on a message expires after this (a live one extends it)
RESULT_TTL = 900  # how long a processed message's outcome is kept (WeChat retries within ~15 s)
OPTIONS_TTL = 24 * 3600


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(with_credentials(environment(), "WECHAT_", credentials))

    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        self.settings = WeChatSettings.from_env(environment(env))
        self.protocol = WeChatProtocol(self.settings)
        self.service = CustomerService(self.settings)
        # Short timeouts: an outage is answered within WeChat's 5-second window.
        self.state = LazyState(self.settings.redis_url or None, timeouts=(1.0, 1.5))
        if not self.settings.token:
            logger.warning("WeChat channel: WECHAT_TOKEN is not set; the webhook answers 503.")
        self._tasks: set = set()

    @property
    def client(self) -> Optional[CityWeChatClient]:
        return self.service.client

    def _key(self, *parts: str) -> str:
        return ":".join((self.settings.prefix,) + parts)

    # ---- the webhook ----
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wechat_webhook", __name__)
        token = self.settings.token

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if token else "not configured"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not token:
                return response.text("WeChat channel not configured", status=503)
            try:
                self.protocol.check_request(request.args)  # signature and timestamp window
            except Rejected as e:
                logger.info("WeChat URL verification rejected: %s", e.reason)
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr") or "")

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            started = time.monotonic()
            limit_body(request, self.settings.max_body)  # also what Sanic drains after a refusal
            if not token:
                return response.text("WeChat channel not configured", status=503)
            try:
                # The signature is in the query string: an unsigned request is refused before a
                # byte of its body is read, and a signed one is read only up to the limit.
                signature, timestamp, nonce = self.protocol.check_request(request.args)
                try:
                    body = await read_body(request, self.settings.max_body)
                except BodyTooLarge:
                    raise Rejected(413, "body too large") from None
                message = self.protocol.decode(request, body, timestamp, nonce)
                message_key = dedupe_id(message)
                await self._bind_nonce(signature, timestamp, nonce, message_key)
                text = await self._handle(message, message_key, on_new_message, started)
            except Rejected as e:
                logger.info("WeChat request rejected (%s): %s", e.status, e.reason)
                text = {403: "forbidden", 413: "payload too large"}.get(e.status, "bad request")
                return response.text(text, status=e.status)
            except StateUnavailable as e:  # the one outage policy (bot/channels/state.py)
                logger.error("WeChat shared state unavailable (%s): answered with the hotline", e)
                text = replies.UNAVAILABLE
            return self.protocol.reply(request, message, text)

        return bp

    async def _bind_nonce(self, signature: str, timestamp: str, nonce: str, message_key: str) -> None:
        """A signed (timestamp, nonce) may come back only with the message it first came with."""
        key = self._key("nonce", hashlib.sha1(f"{timestamp}|{nonce}|{signature}".encode()).hexdigest())
        ttl = int(self.settings.timestamp_window * 2) + 60
        state = self.state()
        if not await state.set_nx(key, message_key, ttl):
            if await state.get(key) != message_key:
                raise Rejected(403, "replayed signature")

    async def _handle(self, message, message_key: str, on_new_message,
                      started: float) -> Optional[str]:
        budget = self.settings.reply_budget
        first = await Once(self.state(), CLAIM_TTL).claim_or_outcome(
            self._key("msg", message_key), started + budget + 0.3)
        if not isinstance(first, Claim):  # a retry: the first one's passive reply, or `success`
            outcome = json.loads(first) if first else {}
            return outcome.get("text") if outcome.get("kind") == "passive" else None
        async with first:
            task = self._spawn(self._process(message, on_new_message))
            remaining = max(0.0, budget - (time.monotonic() - started))
            done, _ = await asyncio.wait({task}, timeout=remaining)
            if task in done and not task.cancelled():
                try:
                    text = task.result()
                except Exception:
                    logger.exception("WeChat message processing failed")
                    text = replies.UNAVAILABLE
                chunks = split_text(text)
                reply, rest = (chunks[0], chunks[1:]) if chunks else (None, [])
                # Kept for WeChat's retries, redacted: a reply may echo a phone or ID number.
                await self._remember(first, {"kind": "passive", "text": redact_text(reply)})
                if rest:
                    self._spawn(self._deliver(message.source, rest))
                return reply
            await self._remember(first, {"kind": "async"})
        logger.info("WeChat reply not ready within %.2f s: answered `success`, the reply goes "
                    "through the customer-service API", budget)
        self._spawn(self._deliver_when_done(message.source, task))
        return None

    @staticmethod
    async def _remember(claim: Claim, outcome: dict) -> None:
        """Store an outcome for WeChat's retries; an outage here only costs deduplication."""
        try:
            await claim.store(json.dumps(outcome), RESULT_TTL)
        except StateUnavailable as e:
            logger.error("WeChat outcome not stored (%s): a retry may be answered twice", e)

    def _spawn(self, coro) -> asyncio.Future:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver_when_done(self, openid: str, task: asyncio.Future) -> None:
        try:
            text = await task
        except Exception:
            logger.exception("WeChat message processing failed")
            text = replies.UNAVAILABLE
        await self._deliver(openid, split_text(text))

    async def _deliver(self, openid: str, chunks: list) -> None:
        try:
            await self.service.send(openid, chunks)
        except LookupError as e:
            logger.warning("WeChat reply dropped: %s", e)
        except Exception as e:  # wechatpy's API and transport errors: the rest would be out of order
            logger.error("WeChat customer-service message failed: %s", type(e).__name__)

    # ---- what a message means ----
    async def _process(self, message, on_new_message) -> str:
        mtype = message.type
        openid = message.source
        if mtype == "event":
            event = (getattr(message, "event", "") or "").lower()
            if event in ("subscribe", "subscribe_scan"):
                return replies.WELCOME
            if event == "click":
                key = (getattr(message, "key", "") or "").strip()
                return await self._converse(openid, key, on_new_message) if key else ""
            return ""  # unsubscribe, view, location reports, ...: nothing to say
        if mtype == "text":
            return await self._converse(openid, message.content or "", on_new_message)
        if mtype == "voice":
            recognition = (getattr(message, "recognition", None) or "").strip()
            if recognition:
                return await self._converse(openid, recognition, on_new_message)
            return replies.TEXT_ONLY
        if mtype == "location":
            payload = share_location(message)
            return await self._converse(openid, payload, on_new_message) if payload else replies.TEXT_ONLY
        return replies.TEXT_ONLY

    async def _converse(self, openid: str, text: str, on_new_message) -> str:
        """One turn of the assistant. WeChat users default to Chinese as every conversation
        does (the `language` slot starts as zh), so the channel adds no language hint."""
        if len(text) > self.settings.max_message:
            return replies.too_long(self.settings.max_message)
        state = self.state()
        wait = await state.take([(self._key("rl", hashed(openid)), self.settings.limits)])
        if wait > 0:
            return replies.too_many(wait)
        text = await self._map_option(openid, text)
        output = WeChatOutput()
        await on_new_message(UserMessage(text, output, conversation_id("wechat", openid),
                                         input_channel=self.name()))
        reply, payloads = output.reply()
        options_key = self._key("opts", hashed(openid))
        try:
            if payloads:
                await state.set(options_key, json.dumps(payloads), OPTIONS_TTL)
            else:
                await state.delete(options_key)
        except StateUnavailable as e:  # the reply still goes out; numbers just stay numbers
            logger.error("WeChat options not stored (%s)", e)
        return reply

    async def _map_option(self, openid: str, text: str) -> str:
        number = normalize(text)  # full-width "１" is 1
        if not re.fullmatch(r"\d{1,2}", number):
            return text
        stored = await self.state().get(self._key("opts", hashed(openid)))
        if not stored:
            return text
        payloads = json.loads(stored)
        index = int(number)
        return payloads[index - 1] if 1 <= index <= len(payloads) else text
