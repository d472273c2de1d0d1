"""WeChat Official Account (微信公众号) input channel, built on wechatpy.

Enabled in bot/credentials.yml by class path (`bot.channels.wechat.WeChatInput:`), mounted at
`/webhooks/wechat/webhook`. Configuration comes from the environment only (docs/wechat.md):

  WECHAT_TOKEN              the Token configured in the Official Account (required; unset → 503)
  WECHAT_APP_ID             AppID; WECHAT_APP_SECRET AppSecret (customer-service API)
  WECHAT_AES_KEY            EncodingAESKey; empty → plaintext mode, set → safe mode (AES) required
  WECHAT_API_BASE           default https://api.weixin.qq.com
  WECHAT_REPLY_BUDGET       seconds for a passive reply (default 4.5; WeChat waits 5 s)
  WECHAT_TIMESTAMP_WINDOW   seconds a request's timestamp may differ from now (default 300)
  WECHAT_REDIS_PREFIX       key prefix in Redis (default shps:wechat)
  WECHAT_MAX_BODY_BYTES     request body limit (default 16384; WeChat's pushes are a few KB)
  WECHAT_MAX_MESSAGE_CHARS  longest text passed to the assistant (default 2000)
  WECHAT_RATE_PER_MINUTE / WECHAT_BURST   messages per user (default 20 / 8)
  REDIS_URL                 shared state (dedupe, numbered options, access token); unset → memory
  DATASERVICE_URL, DATASERVICE_API_KEY   for `location` messages (nearest service centres)

Every request is authenticated (signature over token/timestamp/nonce, plus msg_signature over the
ciphertext in safe mode) and must be fresh; the query-string signature is checked before the body
is read, and the body is read incrementally up to WECHAT_MAX_BODY_BYTES. A signature tuple is
bound to the one message it came with, so it cannot be replayed with another body. XML is parsed
with defusedxml (no DTD, no entities) before wechatpy's parser sees it. Each message (MsgId, or
FromUserName+CreateTime for events) is processed once: WeChat's retries and concurrent duplicates
wait for the first and get the same reply. A reply not ready within the budget is answered
`success` and delivered later through the customer-service message API (客服消息).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from xml.etree.ElementTree import Element

import aiohttp
import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import WeChatClient, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.utils import WeChatSigner

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

from bot.channels import replies
from bot.channels.inputs import BodyTooLarge, conversation_id, limit_body, read_body
from bot.channels.state import Buckets, Limits, hashed
from privacy import redact_text

logger = logging.getLogger(__name__)

OPENID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what WeChat issues (28 characters today)
TEXT_LIMIT = 2048  # bytes of UTF-8 per text message (passive reply and customer-service API)
PENDING_TTL = 300  # a claim on a message being processed
RESULT_TTL = 900  # how long a processed message's outcome is kept (WeChat retries within ~15 s)
OPTIONS_TTL = 24 * 3600
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")

WELCOME = (
    "您好，欢迎关注上海政务服务助手！我可以帮您：\n"
    "• 查询办事指南：材料、费用、办理时间\n"
    "• 查找附近的受理中心和办公时间（发送位置即可）\n"
    "• 查询办件进度，预约或取消预约\n"
    "• 12345 诉求反映与进度查询\n"
    "• 水电燃气账单、交通卡、垃圾分类\n"
    "直接输入您的问题，例如“护照要带什么材料？”\n\n"
    "Welcome to the Shanghai public services assistant! I can help with:\n"
    "• service guides: documents, fees, processing times\n"
    "• nearby service centres and opening hours (just send your location)\n"
    "• application status, booking or cancelling appointments\n"
    "• 12345 hotline reports and their status\n"
    "• utility bills, transport cards, garbage sorting\n"
    "Just type your question, e.g. \"what documents do I need for a passport?\""
)
TEXT_ONLY = ("抱歉，我目前只能理解文字和语音消息，请用文字描述您的问题。\n"
             "Sorry, I can only understand text and voice messages for now. Please type your question.")
UNAVAILABLE = replies.UNAVAILABLE


def _has_language_signal(text: str) -> bool:
    """Whether the context action would read a language from the text (actions/language.py)."""
    try:
        from actions.language import detect
    except ImportError:  # a Rasa image without the actions package: the same rule, inline
        if (text or "").lstrip().startswith("/"):
            return False
        return bool(re.search(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", text or "")
                    or re.search(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’]+(?![A-Za-z0-9])", text or ""))
    return detect(text, "?") != "?"


class StateUnavailable(Exception):
    """The shared state (Redis) cannot be reached: the citizen gets UNAVAILABLE, not a 500."""


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Shared state: Redis when REDIS_URL is set (all replicas share it), memory otherwise.


class MemoryState:
    def __init__(self) -> None:
        self._data: Dict[str, tuple] = {}

    def _live(self, key: str) -> Optional[str]:
        item = self._data.get(key)
        if item and item[1] < time.monotonic():
            self._data.pop(key, None)
            return None
        return item[0] if item else None

    async def claim(self, key: str, value: str, ttl: int) -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = (value, time.monotonic() + ttl)
        if len(self._data) > 100_000:
            for k in list(self._data)[:10_000]:
                self._live(k)
        return True

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: int) -> None:
        self._data[key] = (value, time.monotonic() + ttl)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)


class RedisState:
    """Redis errors become StateUnavailable; short timeouts keep an outage inside WeChat's 5 s."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self._redis = aioredis.Redis.from_url(url, decode_responses=True, socket_timeout=1.5,
                                              socket_connect_timeout=1.0)
        self._errors = (RedisError, OSError)

    async def _call(self, method: str, *args, **kwargs):
        try:
            return await getattr(self._redis, method)(*args, **kwargs)
        except self._errors as e:
            raise StateUnavailable(type(e).__name__) from e

    async def claim(self, key: str, value: str, ttl: int) -> bool:
        return bool(await self._call("set", key, value, nx=True, ex=ttl))

    async def get(self, key: str) -> Optional[str]:
        return await self._call("get", key)

    async def set(self, key: str, value: str, ttl: int) -> None:
        await self._call("set", key, value, ex=ttl)

    async def delete(self, key: str) -> None:
        await self._call("delete", key)


class _TtlMemoryStorage(MemoryStorage):
    """wechatpy's MemoryStorage ignores TTLs; the access token must expire."""

    def __init__(self) -> None:
        super().__init__()
        self._expiry: Dict[str, float] = {}

    def get(self, key, default=None):
        if self._expiry.get(key, float("inf")) < time.time():
            self.delete(key)
        return super().get(key, default)

    def set(self, key, value, ttl=None):
        super().set(key, value, ttl)
        if ttl:
            self._expiry[key] = time.time() + ttl

    def delete(self, key):
        self._expiry.pop(key, None)
        self._data.pop(key, None)


class CityWeChatClient(WeChatClient):
    """WeChatClient with a configurable API base and one access token for all replicas.

    The token lives in the session storage (Redis) with a TTL shorter than its validity, so it is
    refreshed before it expires; a Redis lock makes one replica fetch it while the others wait and
    read the new one.
    """

    REFRESH_MARGIN = 300

    def __init__(self, appid, secret, api_base: str, session, redis_client=None,
                 timeout: float = 5) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        self._redis = redis_client
        import threading

        self._local_lock = threading.Lock()

    def fetch_access_token(self):
        result = self._fetch_access_token(
            url=self.api_base + "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid,
                    "secret": self.secret})
        expires_in = int(result.get("expires_in") or 7200)
        ttl = max(60, expires_in - min(self.REFRESH_MARGIN, expires_in // 2))
        self.session.set(self.access_token_key, result["access_token"], ttl)
        self.expires_at = None  # the storage TTL decides (shared by every replica)
        return result

    @property
    def access_token(self):
        token = self.session.get(self.access_token_key)
        if token:
            return token
        lock = (self._redis.lock(f"{self.session.prefix}:{self.access_token_key}:lock",
                                 timeout=30, blocking_timeout=30)
                if self._redis is not None else self._local_lock)
        with lock:
            token = self.session.get(self.access_token_key)  # another replica may have fetched it
            if not token:
                self.fetch_access_token()
                token = self.session.get(self.access_token_key)
        return token


# --------------------------------------------------------------------------------------------
# Rendering


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """Chunks of at most `limit` UTF-8 bytes, cut at paragraph, then line, then character."""
    text = (text or "").strip()
    if not text:
        return []
    chunks: List[str] = []
    current = ""
    for piece in re.split(r"(\n\n|\n)", text):
        candidate = current + piece
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current.strip():
            chunks.append(current.strip())
        current = ""
        if len(piece.encode("utf-8")) <= limit:
            current = piece
            continue
        buf = ""
        for ch in piece:
            if len((buf + ch).encode("utf-8")) > limit:
                chunks.append(buf)
                buf = ""
            buf += ch
        current = buf
    if current.strip():
        chunks.append(current.strip())
    return chunks


# A numbered line in an answer's text ("1. 徐汇区…", "2、…", "3) …"); not "1.5 公里" or "12345".
_NUMBERED_LINE = re.compile(r"^([ \t]*)\d{1,2}(?:[.)．][ \t]+|、[ \t]*)", re.M)


def render_messages(messages: List[Dict[str, Any]]) -> tuple:
    """Bot messages → (one text, button payloads in option order).

    WeChat has no buttons: they become options the citizen answers by number, each under its own
    message and numbered once across the whole reply. A reply with options has one numbering only,
    the options': numbered lines in its text (a list of centres, steps) become bullets, so "2" can
    mean one thing. A reply without options keeps its text as it is (a number typed next is sent
    as text)."""
    has_options = any(m.get("buttons") for m in messages)
    parts: List[str] = []
    payloads: List[str] = []
    for m in messages:
        lines = []
        if m.get("text"):
            lines.append(_NUMBERED_LINE.sub(r"\1• ", m["text"]) if has_options else m["text"])
        for b in m.get("buttons") or []:
            payloads.append(b.get("payload") or b.get("title") or "")
            lines.append(f"{len(payloads)}. {b.get('title') or b.get('payload')}")
        if m.get("image"):
            lines.append(m["image"])
        if m.get("attachment"):
            lines.append(str(m["attachment"]))
        custom = m.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            lines.append(custom["text"])
        if lines:
            parts.append("\n".join(lines))
    return "\n\n".join(parts), payloads


class WeChatCollectingOutputChannel(CollectingOutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"


# --------------------------------------------------------------------------------------------
# The channel


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        env = os.environ if env is None else env
        self.token = env.get("WECHAT_TOKEN") or ""
        self.app_id = env.get("WECHAT_APP_ID") or ""
        self.app_secret = env.get("WECHAT_APP_SECRET") or ""
        self.aes_key = env.get("WECHAT_AES_KEY") or ""
        self.api_base = (env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com").rstrip("/")
        self.budget = float(env.get("WECHAT_REPLY_BUDGET") or 4.5)
        self.window = float(env.get("WECHAT_TIMESTAMP_WINDOW") or 300)
        self.max_body = int(env.get("WECHAT_MAX_BODY_BYTES") or 16 * 1024)
        self.max_message = int(env.get("WECHAT_MAX_MESSAGE_CHARS") or 2000)
        self.limits = Limits(float(env.get("WECHAT_RATE_PER_MINUTE") or 20),
                             float(env.get("WECHAT_BURST") or 8))
        self.prefix = env.get("WECHAT_REDIS_PREFIX") or "shps:wechat"
        self.redis_url = env.get("REDIS_URL") or ""
        self.ds_url = (env.get("DATASERVICE_URL") or "").rstrip("/")
        self.ds_key = env.get("DATASERVICE_API_KEY") or ""
        self.buckets = Buckets(self.redis_url or None)
        self.crypto = (WeChatCrypto(self.token, self.aes_key, self.app_id)
                       if self.token and self.aes_key else None)
        if not self.token:
            logger.warning("WeChat channel: WECHAT_TOKEN is not set; the webhook answers 503.")
        self._state = None
        self._client = None
        self._tasks: set = set()
        self._user_locks: Dict[str, asyncio.Lock] = {}

    # ---- shared resources, created lazily inside the server's event loop ----
    @property
    def state(self):
        if self._state is None:
            self._state = RedisState(self.redis_url) if self.redis_url else MemoryState()
        return self._state

    @property
    def client(self) -> Optional[CityWeChatClient]:
        if self._client is None and self.app_id and self.app_secret:
            if self.redis_url:
                import redis

                sync = redis.Redis.from_url(self.redis_url)
                session = RedisStorage(sync, prefix=f"{self.prefix}:api")
            else:
                sync, session = None, _TtlMemoryStorage()
            self._client = CityWeChatClient(self.app_id, self.app_secret, self.api_base,
                                            session, redis_client=sync)
        return self._client

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix,) + parts)

    # ---- authentication ----
    def _signature_ok(self, expected_parts: List[str], signature: str) -> bool:
        signer = WeChatSigner()
        signer.add_data(*expected_parts)
        return hmac.compare_digest(signer.signature, signature or "")

    def _check_request(self, args) -> tuple:
        signature, timestamp, nonce = (args.get("signature"), args.get("timestamp"),
                                       args.get("nonce"))
        if not (signature and timestamp and nonce):
            raise Rejected(403, "missing signature")
        try:
            ts = int(timestamp)
        except ValueError:
            raise Rejected(403, "bad timestamp")
        if abs(time.time() - ts) > self.window:
            raise Rejected(403, "stale timestamp")
        if not self._signature_ok([self.token, timestamp, nonce], signature):
            raise Rejected(403, "bad signature")
        return signature, timestamp, nonce

    @staticmethod
    def _parse_xml(data: Any) -> Element:
        try:
            root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                     forbid_external=True)
        except (DefusedXmlException, SafeET.ParseError, ValueError, TypeError) as e:
            raise Rejected(400, f"bad xml: {type(e).__name__}")
        if root.tag != "xml":
            raise Rejected(400, "bad xml root")
        return root

    def _decode(self, request: Request, body: bytes, timestamp: str, nonce: str):
        root = self._parse_xml(body)
        encrypted = request.args.get("encrypt_type") == "aes"
        if self.crypto is not None:
            if not encrypted or not request.args.get("msg_signature"):
                raise Rejected(403, "safe mode requires encrypted messages")
            encrypt = root.findtext("Encrypt")
            if not encrypt:
                raise Rejected(400, "no Encrypt element")
            if not self._signature_ok([self.token, timestamp, nonce, encrypt],
                                      request.args.get("msg_signature")):
                raise Rejected(403, "bad msg_signature")
            try:
                plain = self.crypto.decrypt_message({"Encrypt": encrypt},
                                                    request.args.get("msg_signature"),
                                                    timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException):
                raise Rejected(403, "wrong app id")
            except Exception as e:  # bad padding / base64: not produced with our key
                raise Rejected(403, f"undecryptable: {type(e).__name__}")
            inner = plain if isinstance(plain, (str, bytes)) else str(plain)
            self._parse_xml(inner)
            xml_text = inner
        else:
            if encrypted:
                raise Rejected(403, "encrypted message but no WECHAT_AES_KEY configured")
            xml_text = body
        try:
            message = parse_message(xml_text)
        except Exception as e:
            raise Rejected(400, f"unparsable message: {type(e).__name__}")
        if message is None or not getattr(message, "source", None):
            raise Rejected(400, "no FromUserName")
        if not OPENID_RE.fullmatch(message.source):
            raise Rejected(400, "FromUserName is not an openid")
        return message

    def _reply(self, request: Request, message, text: Optional[str]) -> HTTPResponse:
        if not text:
            return response.text("success")
        xml = TextReply(content=text, message=message).render()
        if self.crypto is not None:
            nonce = request.args.get("nonce")
            xml = self.crypto.encrypt_message(xml, nonce, str(int(time.time())))
        return response.text(xml, content_type="application/xml")

    # ---- the webhook ----
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wechat_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.token else "not configured"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.token:
                return response.text("WeChat channel not configured", status=503)
            try:
                self._check_request(request.args)  # signature and timestamp window
            except Rejected as e:
                logger.info("WeChat URL verification rejected: %s", e.reason)
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr") or "")

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            started = time.monotonic()
            limit_body(request, self.max_body)  # also what Sanic drains after a refusal
            if not self.token:
                return response.text("WeChat channel not configured", status=503)
            try:
                # The signature is in the query string: an unsigned request is refused before a
                # byte of its body is read, and a signed one is read only up to the limit.
                signature, timestamp, nonce = self._check_request(request.args)
                try:
                    body = await read_body(request, self.max_body)
                except BodyTooLarge:
                    raise Rejected(413, "body too large") from None
                message = self._decode(request, body, timestamp, nonce)
                dedupe_id = self._dedupe_id(message)
                await self._bind_nonce(signature, timestamp, nonce, dedupe_id)
                text = await self._handle(message, dedupe_id, on_new_message, request, started)
            except Rejected as e:
                logger.info("WeChat request rejected (%s): %s", e.status, e.reason)
                text = {403: "forbidden", 413: "payload too large"}.get(e.status, "bad request")
                return response.text(text, status=e.status)
            except StateUnavailable as e:
                # Without Redis neither replays nor WeChat's retries can be told apart, and
                # Rasa's lock store is down too: answer politely rather than process.
                logger.error("WeChat shared state unavailable (%s): answered with the hotline", e)
                text = UNAVAILABLE
            return self._reply(request, message, text)

        return bp

    @staticmethod
    def _dedupe_id(message) -> str:
        if getattr(message, "id", None):
            return f"id:{message.id}"
        raw = f"{message.source}|{message.time}|{getattr(message, 'event', '')}"
        return "ev:" + hashlib.sha1(raw.encode("utf-8")).hexdigest()

    async def _bind_nonce(self, signature: str, timestamp: str, nonce: str, dedupe_id: str) -> None:
        """A signed (timestamp, nonce) may come back only with the message it first came with."""
        key = self._key("nonce", hashlib.sha1(f"{timestamp}|{nonce}|{signature}".encode()).hexdigest())
        ttl = int(self.window * 2) + 60
        if not await self.state.claim(key, dedupe_id, ttl):
            if await self.state.get(key) != dedupe_id:
                raise Rejected(403, "replayed signature")

    async def _handle(self, message, dedupe_id: str, on_new_message, request: Request,
                      started: float) -> Optional[str]:
        key = self._key("msg", dedupe_id)
        if not await self.state.claim(key, "pending", PENDING_TTL):
            return await self._await_first(key, started)
        task = asyncio.ensure_future(self._process(message, on_new_message, request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        remaining = max(0.0, self.budget - (time.monotonic() - started))
        done, _ = await asyncio.wait({task}, timeout=remaining)
        if task in done and not task.cancelled():
            try:
                text = task.result()
            except Exception:
                logger.exception("WeChat message processing failed")
                text = UNAVAILABLE
            chunks = split_text(text)
            first, rest = (chunks[0], chunks[1:]) if chunks else (None, [])
            # Kept for WeChat's retries, redacted: a reply may echo a phone or ID number.
            await self._remember(key, json.dumps({"kind": "passive", "text": redact_text(first)}),
                                 RESULT_TTL)
            if rest:
                self._spawn(self._deliver(message.source, rest))
            return first
        await self._remember(key, json.dumps({"kind": "async"}), RESULT_TTL)
        logger.info("WeChat reply not ready within %.2f s: answered `success`, the reply goes "
                    "through the customer-service API", self.budget)
        self._spawn(self._deliver_when_done(message.source, task))
        return None

    async def _remember(self, key: str, value: str, ttl: int) -> None:
        """Store an outcome for WeChat's retries; an outage here only costs deduplication."""
        try:
            await self.state.set(key, value, ttl)
        except StateUnavailable as e:
            logger.error("WeChat outcome not stored (%s): a retry may be answered twice", e)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _await_first(self, key: str, started: float) -> Optional[str]:
        deadline = started + self.budget + 0.3
        while True:
            value = await self.state.get(key)
            if value and value != "pending":
                outcome = json.loads(value)
                return outcome.get("text") if outcome.get("kind") == "passive" else None
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def _deliver_when_done(self, openid: str, task: asyncio.Future) -> None:
        try:
            text = await task
        except Exception:
            logger.exception("WeChat message processing failed")
            text = UNAVAILABLE
        await self._deliver(openid, split_text(text))

    async def _deliver(self, openid: str, chunks: List[str]) -> None:
        """Customer-service messages, in order per user."""
        if not chunks:
            return
        client = self.client
        if client is None:
            logger.warning("WeChat reply dropped: WECHAT_APP_ID/WECHAT_APP_SECRET not set")
            return
        lock = self._user_locks.setdefault(openid, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            for chunk in chunks:
                try:
                    await loop.run_in_executor(None, client.message.send_text, openid, chunk)
                except Exception as e:
                    logger.error("WeChat customer-service message failed: %s", type(e).__name__)
                    break
        if not lock.locked() and self._user_locks.get(openid) is lock:
            self._user_locks.pop(openid, None)

    # ---- what a message means ----
    async def _process(self, message, on_new_message, request: Request) -> str:
        mtype = message.type
        openid = message.source
        if mtype == "event":
            event = (getattr(message, "event", "") or "").lower()
            if event in ("subscribe", "subscribe_scan"):
                return WELCOME
            if event == "click":
                key = (getattr(message, "key", "") or "").strip()
                return await self._converse(openid, key, on_new_message, request) if key else ""
            return ""  # unsubscribe, view, location reports, ...: nothing to say
        if mtype == "text":
            return await self._converse(openid, message.content or "", on_new_message, request)
        if mtype == "voice":
            recognition = (getattr(message, "recognition", None) or "").strip()
            if recognition:
                return await self._converse(openid, recognition, on_new_message, request)
            return TEXT_ONLY
        if mtype == "location":
            return await self._nearest_centres(message)
        return TEXT_ONLY

    async def _converse(self, openid: str, text: str, on_new_message, request: Request) -> str:
        if len(text) > self.max_message:
            return replies.too_long(self.max_message)
        wait = await self.buckets.take([(self._key("rl", hashed(openid)), self.limits)])
        if wait > 0:
            return replies.too_many(wait)
        text = await self._map_option(openid, text)
        sender_id = conversation_id("wechat", openid)
        metadata = None
        if await self._needs_language_hint(sender_id, text, request):
            metadata = {"language": "zh"}
        collector = WeChatCollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, sender_id, input_channel=self.name(),
                                         metadata=metadata))
        reply, payloads = render_messages(collector.messages)
        options_key = self._key("opts", hashed(openid))
        try:
            if payloads:
                await self.state.set(options_key, json.dumps(payloads), OPTIONS_TTL)
            else:
                await self.state.delete(options_key)
        except StateUnavailable as e:  # the reply still goes out; numbers just stay numbers
            logger.error("WeChat options not stored (%s)", e)
        return reply

    async def _map_option(self, openid: str, text: str) -> str:
        number = text.strip().translate(_FULLWIDTH)
        if not re.fullmatch(r"\d{1,2}", number):
            return text
        stored = await self.state.get(self._key("opts", hashed(openid)))
        if not stored:
            return text
        payloads = json.loads(stored)
        index = int(number)
        return payloads[index - 1] if 1 <= index <= len(payloads) else text

    async def _needs_language_hint(self, sender_id: str, text: str, request: Request) -> bool:
        """WeChat users default to Chinese: hint it when the text has no language signal and
        the conversation has not settled on another language."""
        if _has_language_signal(text):
            return False
        try:
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
        except Exception:
            return True
        return not tracker or tracker.get_slot("language") in (None, "zh")

    async def _nearest_centres(self, message) -> str:
        try:
            lat, lon = float(message.location_x), float(message.location_y)
        except (TypeError, ValueError):
            return TEXT_ONLY
        if not self.ds_url:
            return UNAVAILABLE
        try:
            timeout = aiohttp.ClientTimeout(total=max(1.0, self.budget - 1))
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(f"{self.ds_url}/v1/centers/nearest",
                                       params={"lat": str(lat), "lon": str(lon), "limit": "3",
                                               "lang": "zh"},
                                       headers={"X-API-Key": self.ds_key}) as r:
                    if r.status != 200:
                        return UNAVAILABLE
                    items = (await r.json()).get("items") or []
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return UNAVAILABLE
        if not items:
            return "附近没有找到受理中心，请拨打 12345 咨询。\nNo service centre found nearby; please call 12345."
        lines = ["离您最近的受理中心："]
        for i, c in enumerate(items, 1):
            line = f"{i}. {c.get('name')}"
            if c.get("distance_km") is not None:
                line += f"（约 {c['distance_km']} 公里）"
            lines.append(line)
            if c.get("address"):
                lines.append(f"   地址：{c['address']}")
            if c.get("hours_summary"):
                lines.append(f"   时间：{c['hours_summary']}")
            if c.get("phone"):
                lines.append(f"   电话：{c['phone']}")
        return "\n".join(lines)
