"""Authenticated REST webhook for integrators (city portal, 随申办 app backend, 12345 hotline).

A drop-in replacement for Rasa's built-in `rest` channel: same path (POST /webhooks/rest/webhook),
same request body (`sender`, `message`, optional `metadata`) and same response (a list of
messages with `recipient_id`, `text`, `buttons`, `image`, `custom`), plus authentication, request
signing, per-integrator conversations (`rest:<integrator>:<sender>`), strict input, limits, rate
limiting, idempotency, a language hint and asynchronous delivery to a callback URL. The
integrator's guide is docs/integrators.md; the contract is docs/integrator-webhook.openapi.yaml
(also served at GET /webhooks/rest/openapi.yaml).

Configuration comes from the environment only (bot/credentials.yml enables the channel by class
path and holds no secrets):

- INTEGRATOR_API_KEYS         `portal:KEY1,hotline:KEY2` (an integrator may appear twice to rotate keys)
- INTEGRATOR_SIGNING_SECRETS  `portal:SECRET`: these integrators MUST sign every request
- INTEGRATOR_CALLBACKS        `portal:https://portal.example/cb`: allows `"mode": "async"`
- INTEGRATOR_ALWAYS_ASYNC     `portal,hotline`: always answer asynchronously (callback required)
- INTEGRATOR_MAX_BODY_BYTES (16384), INTEGRATOR_MAX_MESSAGE_CHARS (2000)
- INTEGRATOR_RATE_PER_MINUTE (600) / INTEGRATOR_BURST (60): token bucket per integrator
- INTEGRATOR_SENDER_RATE_PER_MINUTE (30) / INTEGRATOR_SENDER_BURST (10): per (integrator, sender)
- INTEGRATOR_RATE_OVERRIDES   `hotline:1200/120` per-integrator rate/burst
- INTEGRATOR_AUTH_FAILURES_PER_MINUTE (10) / INTEGRATOR_AUTH_FAILURE_BURST (20): failed API keys
  per client address; beyond them the address's invalid keys get 429 until it cools down (a valid
  key always passes).
  Behind a reverse proxy set SANIC_PROXIES_COUNT so the address is the client's, not the proxy's.
- INTEGRATOR_SIGNATURE_WINDOW (300 s), INTEGRATOR_IDEMPOTENCY_TTL (86400 s)
- INTEGRATOR_IDEMPOTENCY_LOCK_TTL (10 s): lifetime of the lock a message_id is processed under,
  extended while its request runs; a dead replica's lock expires after it, and retries go on.
- INTEGRATOR_CALLBACK_RETRIES (5), INTEGRATOR_CALLBACK_BACKOFF (1.0 s, doubled each retry)
- REDIS_URL (rate limits, replay protection, idempotency shared by every Rasa worker; in-memory
  otherwise) and INTEGRATOR_REDIS_PREFIX (`shps:integrator:`).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import logging
import math
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

from bot.channels.answered import stored_answer
from bot.channels.inputs import (BodyTooLarge, InvalidInput, check_strings, conversation_id,
                                 holds_personal_number, limit_body, parse_json, read_body)
from bot.channels.state import Limits, MemoryState, RedisState, hashed
from privacy import redact, redact_text

logger = logging.getLogger(__name__)

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "integrator-webhook.openapi.yaml"
SENDER_RE = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")  # used with fullmatch: no trailing newline
MESSAGE_ID_MAX = 128
LANGUAGES = ("zh", "en")


# --------------------------------------------------------------------------- configuration


def _pairs(raw: str | None) -> list[tuple[str, str]]:
    """`name:value,name2:value2` -> [(name, value), ...] (the value may itself contain ':')."""
    out = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item or ":" not in item:
            continue
        name, value = item.split(":", 1)
        if name.strip() and value.strip():
            out.append((name.strip(), value.strip()))
    return out


def _num(env: dict, name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value


@dataclass
class Settings:
    keys: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    callbacks: dict[str, str] = field(default_factory=dict)
    always_async: set[str] = field(default_factory=set)
    max_body: int = 16 * 1024
    max_message: int = 2000
    integrator_limits: Limits = field(default_factory=lambda: Limits(600, 60))
    sender_limits: Limits = field(default_factory=lambda: Limits(30, 10))
    overrides: dict[str, Limits] = field(default_factory=dict)
    auth_failure_limits: Limits = field(default_factory=lambda: Limits(10, 20))
    signature_window: int = 300
    idempotency_ttl: int = 86400
    idempotency_lock_ttl: float = 10.0
    callback_retries: int = 5
    callback_backoff: float = 1.0
    redis_url: str | None = None
    redis_prefix: str = "shps:integrator:"

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        overrides = {}
        for name, value in _pairs(env.get("INTEGRATOR_RATE_OVERRIDES")):
            rate, _, burst = value.partition("/")
            try:
                overrides[name] = Limits(float(rate), float(burst or rate))
            except ValueError:
                raise ValueError("INTEGRATOR_RATE_OVERRIDES: use name:rate_per_minute/burst") from None
        return cls(
            keys=_pairs(env.get("INTEGRATOR_API_KEYS")),
            secrets=dict(_pairs(env.get("INTEGRATOR_SIGNING_SECRETS"))),
            callbacks=dict(_pairs(env.get("INTEGRATOR_CALLBACKS"))),
            always_async={n.strip() for n in (env.get("INTEGRATOR_ALWAYS_ASYNC") or "").split(",")
                          if n.strip()},
            max_body=int(_num(env, "INTEGRATOR_MAX_BODY_BYTES", 16 * 1024)),
            max_message=int(_num(env, "INTEGRATOR_MAX_MESSAGE_CHARS", 2000)),
            integrator_limits=Limits(_num(env, "INTEGRATOR_RATE_PER_MINUTE", 600),
                                     _num(env, "INTEGRATOR_BURST", 60)),
            sender_limits=Limits(_num(env, "INTEGRATOR_SENDER_RATE_PER_MINUTE", 30),
                                 _num(env, "INTEGRATOR_SENDER_BURST", 10)),
            overrides=overrides,
            auth_failure_limits=Limits(_num(env, "INTEGRATOR_AUTH_FAILURES_PER_MINUTE", 10),
                                       _num(env, "INTEGRATOR_AUTH_FAILURE_BURST", 20)),
            signature_window=int(_num(env, "INTEGRATOR_SIGNATURE_WINDOW", 300)),
            idempotency_ttl=int(_num(env, "INTEGRATOR_IDEMPOTENCY_TTL", 86400)),
            idempotency_lock_ttl=_num(env, "INTEGRATOR_IDEMPOTENCY_LOCK_TTL", 10),
            callback_retries=int(_num(env, "INTEGRATOR_CALLBACK_RETRIES", 5)),
            callback_backoff=_num(env, "INTEGRATOR_CALLBACK_BACKOFF", 1.0),
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("INTEGRATOR_REDIS_PREFIX") or "shps:integrator:",
        )

    def callback_secret(self, integrator: str) -> str:
        """Callbacks are signed with the integrator's signing secret, else with its first API key."""
        if integrator in self.secrets:
            return self.secrets[integrator]
        return next(key for name, key in self.keys if name == integrator)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>." + body>` (requests and callbacks alike)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# --------------------------------------------------------------------------- errors


def _dumps(body: Any, **_: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """JSON in readable UTF-8 (Chinese text unescaped)."""
    return response.json(body, status=status, headers=headers, dumps=_dumps)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> HTTPResponse:
        return _json({"error": {"code": self.code, "message": self.message}},
                             status=self.status, headers=self.headers)


def error(status: int, code: str, message: str, **headers: str) -> ApiError:
    return ApiError(status, code, message, {k.replace("_", "-"): v for k, v in headers.items()})


# --------------------------------------------------------------------------- the channel

_FALLBACK = {
    "zh": "抱歉，我没能理解这条消息。请换个说法再试一次，或拨打 12345 市民服务热线。",
    "en": "Sorry, I could not understand that message. Please rephrase it, or call the 12345 "
          "citizen hotline.",
}


@dataclass
class Incoming:
    integrator: str
    sender: str
    message: str
    metadata: dict
    message_id: str | None
    mode: str


_OUTAGE = {
    "zh": "抱歉，服务暂时繁忙，请稍后再试，或拨打 12345 市民服务热线。",
    "en": "Sorry, the service is busy right now. Please try again later or call the 12345 hotline.",
}


def _in_language(texts: dict[str, str], inc: "Incoming") -> dict:
    language = inc.metadata.get("language")
    text = texts[language] if language in texts else texts["zh"] + "\n" + texts["en"]
    return {"recipient_id": inc.sender, "text": text}


def fallback_message(inc: "Incoming") -> dict:
    return _in_language(_FALLBACK, inc)


def outage_message(inc: "Incoming") -> dict:
    return _in_language(_OUTAGE, inc)


def processing_failed(inc: "Incoming") -> ApiError:
    """The retryable 503: its message is the polite outage reply, in the citizen's language (both
    when unknown), for integrators that show the error to the citizen."""
    return error(503, "processing_failed", outage_message(inc)["text"])


class StoredResult:
    """The idempotent answer to one message_id. An async request whose processing fails must not
    keep its 202 as the answer: `forget()` removes it once it has been stored."""

    def __init__(self, channel: "IntegratorRestInput", key: str) -> None:
        self.channel, self.key, self.done = channel, key, asyncio.Event()

    async def forget(self) -> None:
        await self.done.wait()
        await self.channel._with_state("delete", self.key)


class IntegratorRestInput(InputChannel):
    """POST /webhooks/rest/webhook with `Authorization: Bearer <integrator key>`."""

    @classmethod
    def name(cls) -> str:
        return "rest"  # the same path as Rasa's built-in REST channel (which must not be enabled)

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "IntegratorRestInput":
        return cls(Settings.from_env())

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._state: MemoryState | RedisState | None = None
        self._memory = MemoryState()
        self._tasks: set[asyncio.Task] = set()
        if not self.settings.keys:
            logger.warning("integrator webhook: INTEGRATOR_API_KEYS is empty, every request is refused")
        for name in self.settings.always_async:
            if name not in self.settings.callbacks:
                raise ValueError(f"INTEGRATOR_ALWAYS_ASYNC: {name} has no INTEGRATOR_CALLBACKS entry")

    # state: Redis when configured (created lazily, inside Sanic's event loop)
    def state(self) -> MemoryState | RedisState:
        if self._state is None:
            self._state = RedisState(self.settings.redis_url) if self.settings.redis_url else self._memory
        return self._state

    async def _with_state(self, op: str, *args: Any) -> Any:
        state = self.state()
        try:
            return await getattr(state, op)(*args)
        except Exception as exc:  # Redis down: keep serving from this process's memory
            if state is self._memory:
                raise
            logger.warning("integrator webhook: Redis unavailable (%s), using in-memory state",
                           type(exc).__name__)
            return await getattr(self._memory, op)(*args)

    def key(self, *parts: str) -> str:
        return self.settings.redis_prefix + ":".join(parts)

    # ---- request checks

    async def authenticate_limited(self, request: Request) -> str:
        """authenticate(), with failed keys counted per client address. A valid key always passes
        (another client's guesses from the same address, e.g. behind one NAT, must not lock it
        out); past the limit, every invalid key from that address gets 429 until it cools down,
        so guessing stays slow and noisy."""
        try:
            return self.authenticate(request)
        except ApiError:
            pass
        address = hashed(request.remote_addr or request.ip or "unknown")
        blocked_key = self.key("af", "blocked", address)
        until = await self._with_state("get", blocked_key)
        if until is not None:
            raise self._auth_locked(float(until) - time.time())
        wait = await self._with_state("take", [(self.key("af", address),
                                                self.settings.auth_failure_limits)])
        if wait <= 0:
            return self.authenticate(request)  # raises the 401 again, with its exact reason
        await self._with_state("set", blocked_key, str(time.time() + wait), wait)
        logger.warning("integrator webhook: too many failed API keys from one address; "
                       "refused for %.0f s", wait)
        raise self._auth_locked(wait)

    @staticmethod
    def _auth_locked(wait: float) -> ApiError:
        return error(429, "too_many_failed_authentications",
                     "Too many requests with an invalid API key from this address; retry after "
                     "the Retry-After delay.", Retry_After=str(max(1, math.ceil(wait))))

    def authenticate(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise error(401, "unauthorized", "Missing bearer token: send 'Authorization: Bearer <key>'.",
                        WWW_Authenticate="Bearer")
        found = None
        for name, key in self.settings.keys:  # compare against every key: constant time overall
            if hmac.compare_digest(token.encode(), key.encode()) and found is None:
                found = name
        if found is None:
            raise error(401, "unauthorized", "Invalid API key.", WWW_Authenticate="Bearer")
        return found

    async def read_body(self, request: Request) -> bytes:
        """The route streams: an oversized body is refused without being buffered."""
        try:
            return await read_body(request, self.settings.max_body)
        except BodyTooLarge:
            raise error(413, "body_too_large",
                        f"The body is larger than {self.settings.max_body} bytes.") from None

    async def verify_signature(self, integrator: str, request: Request, body: bytes) -> None:
        secret = self.settings.secrets.get(integrator)
        if secret is None:
            return
        timestamp = request.headers.get("x-timestamp", "")
        signature = request.headers.get("x-signature", "")
        if not timestamp or not signature:
            raise error(401, "signature_required",
                        "This integrator must sign requests (X-Timestamp and X-Signature headers).")
        try:
            ts = int(timestamp)
        except ValueError:
            raise error(401, "invalid_signature", "X-Timestamp must be Unix time in seconds.") from None
        if abs(time.time() - ts) > self.settings.signature_window:
            raise error(401, "stale_timestamp",
                        f"X-Timestamp is more than {self.settings.signature_window} s from the server time.")
        if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.strip().encode()):
            raise error(401, "invalid_signature", "X-Signature does not match the body.")
        window = 2 * self.settings.signature_window + 1
        if not await self._with_state("set_nx", self.key("sig", integrator, signature.strip()), "1", window):
            raise error(401, "replayed_request", "This signature was already used; sign every request anew.")

    def parse(self, integrator: str, body: bytes) -> Incoming:
        try:
            data = parse_json(body)
        except (UnicodeDecodeError, ValueError) as exc:
            if isinstance(exc, InvalidInput):
                raise error(422, "invalid_request", "The body is nested too deeply.") from None
            raise error(400, "malformed_json", "The body is not valid UTF-8 JSON.") from None
        if not isinstance(data, dict):
            raise error(422, "invalid_request", "The body must be a JSON object.")
        for name, code in (("sender", "invalid_sender"), ("message", "invalid_message"),
                           ("metadata", "invalid_metadata"), ("message_id", "invalid_message_id")):
            try:
                check_strings(data.get(name), name)
            except InvalidInput as exc:
                raise error(422, code, f"'{exc.field}' {exc.reason}.") from None
        try:
            check_strings(data, "body", max_depth=9)  # any other field
        except InvalidInput as exc:
            raise error(422, "invalid_request", f"'{exc.field}' {exc.reason}.") from None
        sender, message = data.get("sender"), data.get("message")
        if not isinstance(sender, str):
            raise error(422, "invalid_sender", "'sender' is required and must be a string.")
        if not SENDER_RE.fullmatch(sender):
            raise error(422, "invalid_sender",
                        "'sender' must be 1-128 characters of A-Z a-z 0-9 _ . : @ -.")
        if holds_personal_number(sender):
            raise error(422, "invalid_sender", "'sender' must not contain a phone or ID number: "
                        "send a pseudonymous id (e.g. your own user number or a hash).")
        if not isinstance(message, str):
            raise error(422, "invalid_message", "'message' is required and must be a string.")
        if not message.strip():
            raise error(422, "empty_message", "'message' must not be empty.")
        if len(message) > self.settings.max_message:
            raise error(413, "message_too_long",
                        f"'message' is longer than {self.settings.max_message} characters.")
        metadata = data.get("metadata")
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise error(422, "invalid_metadata", "'metadata' must be an object.")
        language = metadata.get("language")
        if language is not None and language not in LANGUAGES:
            raise error(422, "invalid_language", "'metadata.language' must be 'zh' or 'en'.")
        message_id = data.get("message_id")
        if message_id is not None and (not isinstance(message_id, str) or not message_id
                                       or len(message_id) > MESSAGE_ID_MAX):
            raise error(422, "invalid_message_id", "'message_id' must be a string of 1-128 characters.")
        mode = data.get("mode", "sync")
        if mode not in ("sync", "async"):
            raise error(422, "invalid_mode", "'mode' must be 'sync' or 'async'.")
        if integrator in self.settings.always_async:
            mode = "async"
        if mode == "async" and integrator not in self.settings.callbacks:
            raise error(422, "async_not_configured", "No callback URL is configured for this integrator.")
        return Incoming(integrator, sender, message, metadata, message_id, mode)

    def limits_of(self, integrator: str) -> Limits:
        return self.settings.overrides.get(integrator, self.settings.integrator_limits)

    def rate_limit_policy(self, integrator: str) -> str:
        """`RateLimit-Policy` (IETF httpapi rate-limit headers): each token bucket as its burst
        `q` over the seconds `w` in which it refills, so an integrator can see its limits."""
        buckets = (("integrator", self.limits_of(integrator)), ("sender", self.settings.sender_limits))
        return ", ".join(
            f'"{name}";q={int(lim.burst)};w={max(1, round(60 * lim.burst / lim.rate_per_minute))}'
            for name, lim in buckets)

    async def rate_limit(self, inc: Incoming) -> None:
        lim = self.limits_of(inc.integrator)
        buckets = [(self.key("rl", "i", inc.integrator), lim),
                   (self.key("rl", "s", inc.integrator, hashed(inc.sender)), self.settings.sender_limits)]
        wait = await self._with_state("take", buckets)
        if wait > 0:
            raise error(429, "rate_limited", "Too many requests; retry after the Retry-After delay.",
                        Retry_After=str(max(1, math.ceil(wait))))

    # ---- processing

    async def process(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      inc: Incoming) -> list[dict]:
        collector = CollectingOutputChannel()
        metadata = dict(inc.metadata, integrator=inc.integrator)
        sender_id = conversation_id("rest", inc.integrator, inc.sender)
        # The message_id is stored on the user event: a retry finds it there (see answer()).
        await on_new_message(UserMessage(inc.message, collector, sender_id, input_channel=self.name(),
                                         message_id=inc.message_id, metadata=metadata))
        out = []
        for msg in collector.messages:
            msg = dict(msg, recipient_id=inc.sender)
            out.append(msg)
        return out

    async def answer(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], inc: Incoming,
                     tracker_store: Any) -> tuple[list[dict], bool]:
        """(messages, replayed): the message processed, or, when its message_id is already in the
        conversation (processed by a replica that died before recording the answer, or by a
        request that failed after the conversation was saved), the answer stored there."""
        if inc.message_id is None or tracker_store is None:
            return await self.process(on_new_message, inc), False
        conversation = conversation_id("rest", inc.integrator, inc.sender)
        found = await stored_answer(tracker_store, conversation, inc.message_id)
        if found is None:
            try:
                return await self.process(on_new_message, inc), False
            except Exception:
                try:  # e.g. releasing Rasa's conversation lock failed after the save
                    found = await stored_answer(tracker_store, conversation, inc.message_id)
                except Exception:
                    found = None
                if found is None:
                    raise
        logger.info("integrator webhook: message of %s answered from its conversation",
                    inc.integrator)
        return [dict(m, recipient_id=inc.sender) for m in found], True

    async def deliver(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      inc: Incoming, request_id: str, stored: "StoredResult | None",
                      tracker_store: Any = None) -> None:
        """Async mode: process, then POST the messages to the integrator's callback, with retries.
        A failure is delivered as `error.code = processing_failed` with a polite outage message,
        and the message_id is released so that the integrator's retry is processed anew."""
        import aiohttp

        payload: dict[str, Any] = {"request_id": request_id, "message_id": inc.message_id,
                                   "recipient_id": inc.sender}
        try:
            payload["messages"], _ = await self.answer(on_new_message, inc, tracker_store)
        except Exception as exc:
            logger.error("integrator webhook: async processing failed for %s:%s (%s)", inc.integrator,
                         redact_text(inc.sender), type(exc).__name__)
            payload["messages"] = [outage_message(inc)]
            payload["error"] = {"code": "processing_failed",
                                "message": "The assistant could not process the message; retry later."}
            if stored is not None:
                await stored.forget()
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        url = self.settings.callbacks[inc.integrator]
        secret = self.settings.callback_secret(inc.integrator)
        delay = self.settings.callback_backoff
        for attempt in range(1, self.settings.callback_retries + 2):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Timestamp": timestamp,
                       "X-Signature": sign(secret, timestamp, body), "X-Request-Id": request_id,
                       "X-Delivery-Attempt": str(attempt)}
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                    async with session.post(url, data=body, headers=headers) as resp:
                        if 200 <= resp.status < 300:
                            return
                        status = str(resp.status)
            except Exception as exc:  # connection refused, timeout...
                status = type(exc).__name__
            if attempt > self.settings.callback_retries:
                break
            logger.info("integrator webhook: callback to %s failed (%s), retry %d in %.1fs",
                        inc.integrator, status, attempt, delay)
            await asyncio.sleep(delay)
            delay *= 2
        logger.error("integrator webhook: callback to %s given up after %d attempts (request %s)",
                     inc.integrator, self.settings.callback_retries + 1, request_id)

    async def handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     integrator: str, inc: Incoming, stored: "StoredResult | None" = None,
                     tracker_store: Any = None) -> tuple[int, Any, bool]:
        """(status, body, replayed from the conversation)."""
        request_id = uuid.uuid4().hex
        if inc.mode == "async":
            task = asyncio.create_task(self.deliver(on_new_message, inc, request_id, stored,
                                                    tracker_store))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return 202, {"accepted": True, "request_id": request_id, "message_id": inc.message_id,
                         "recipient_id": inc.sender}, False
        try:
            messages, replayed = await self.answer(on_new_message, inc, tracker_store)
        except Exception as exc:
            logger.error("integrator webhook: processing failed for %s:%s (%s)", integrator,
                         redact_text(inc.sender), type(exc).__name__)
            if type(exc).__name__ != "GraphComponentException":  # e.g. the conversation lock timed out
                raise processing_failed(inc) from None
            # the model could not read this text (e.g. nothing it can tokenise): say so, politely
            messages, replayed = [fallback_message(inc)], False
        return 200, messages, replayed

    async def receive(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      request: Request) -> HTTPResponse:
        limit_body(request, self.settings.max_body)  # also what Sanic drains after a refusal
        integrator = await self.authenticate_limited(request)
        request.ctx.integrator = integrator  # its RateLimit-Policy goes on every answer
        body = await self.read_body(request)
        await self.verify_signature(integrator, request, body)
        inc = self.parse(integrator, body)
        if inc.message_id is None:
            await self.rate_limit(inc)
            status, payload, _ = await self.handle(on_new_message, integrator, inc)
            return _json(payload, status=status)
        # Rasa's own tracker store (read-only): where a processed message_id can be found
        tracker_store = getattr(getattr(request.app.ctx, "agent", None), "tracker_store", None)
        return await self.idempotent(on_new_message, inc, tracker_store)

    async def idempotent(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                         inc: Incoming, tracker_store: Any = None) -> HTTPResponse:
        """The first response to (integrator, message_id) is stored and replayed to every retry;
        concurrent retries wait for the one holding the lock instead of processing again. Under
        the lock, a message_id already in the conversation (its answer lost with a dead replica or
        a failed request) is answered from there, not processed again."""
        fingerprint = hashlib.sha256(json.dumps([inc.sender, inc.message, inc.mode],
                                                ensure_ascii=False).encode()).hexdigest()
        result_key = self.key("idem", inc.integrator, hashed(inc.message_id))
        lock_key, token = result_key + ":lock", uuid.uuid4().hex
        deadline = time.monotonic() + 90
        while True:
            stored = await self._with_state("get", result_key)
            if stored is not None:
                return self._replay(stored, fingerprint)
            if await self._with_state("set_nx", lock_key, token, self.settings.idempotency_lock_ttl):
                # The holder before us may have stored its answer and released the lock between
                # our two calls: look again, or the message would be processed twice.
                stored = await self._with_state("get", result_key)
                if stored is None:
                    break
                await self._with_state("release", lock_key, token)
                return self._replay(stored, fingerprint)
            if time.monotonic() > deadline:
                raise error(409, "request_in_progress",
                            "A request with this message_id is still being processed; retry later.")
            await asyncio.sleep(0.1)
        result = StoredResult(self, result_key)
        keeper = asyncio.create_task(self._keep_lock(lock_key, token))
        try:
            await self.rate_limit(inc)
            status, payload, replayed = await self.handle(on_new_message, inc.integrator, inc,
                                                          result, tracker_store)
            # Replies may echo a citizen's phone or ID number: only the redacted form is kept
            # (a retry then gets the redacted reply, which is enough to carry on).
            await self._with_state("set", result_key, json.dumps(
                {"fp": fingerprint, "status": status, "body": redact(payload)}, ensure_ascii=False),
                self.settings.idempotency_ttl)
            return _json(payload, status=status,
                         headers={"Idempotent-Replayed": "true"} if replayed else None)
        finally:
            keeper.cancel()
            result.done.set()
            await self._with_state("release", lock_key, token)

    async def _keep_lock(self, lock_key: str, token: str) -> None:
        """Extends the idempotency lock while its request runs: a live holder keeps it however
        long processing takes, a dead one's expires after INTEGRATOR_IDEMPOTENCY_LOCK_TTL."""
        ttl = self.settings.idempotency_lock_ttl
        while True:
            await asyncio.sleep(ttl / 3)
            if not await self._with_state("extend", lock_key, token, ttl):
                logger.warning("integrator webhook: an idempotency lock expired while its "
                               "request was running")
                return

    @staticmethod
    def _method_not_allowed(allowed: set[str]) -> Callable[[Request], Awaitable[HTTPResponse]]:
        async def method_not_allowed(request: Request) -> HTTPResponse:
            return error(405, "method_not_allowed", f"Use {', '.join(sorted(allowed))} here.",
                         Allow=", ".join(sorted(allowed))).response()
        return method_not_allowed

    @staticmethod
    def _replay(stored: str, fingerprint: str) -> HTTPResponse:
        item = json.loads(stored)
        if item["fp"] != fingerprint:
            raise error(422, "message_id_reused",
                        "This message_id was already used for a different message.")
        return _json(item["body"], status=item["status"], headers={"Idempotent-Replayed": "true"})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        bp = Blueprint("integrator_rest_webhook", module.__name__ if module else None)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return _json({"status": "ok"})

        @bp.route("/openapi.yaml", methods=["GET"])
        async def openapi_yaml(request: Request) -> HTTPResponse:
            try:
                text = OPENAPI_PATH.read_text(encoding="utf-8")
            except OSError:
                return error(404, "not_found", "The OpenAPI document is not installed.").response()
            return response.text(text, content_type="application/yaml; charset=utf-8")

        @bp.route("/openapi.json", methods=["GET"])
        async def openapi_json(request: Request) -> HTTPResponse:
            import yaml

            try:
                doc = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
            except OSError:
                return error(404, "not_found", "The OpenAPI document is not installed.").response()
            return _json(doc)

        # Every other method and path under the prefix answers in JSON too (Sanic's own 404/405
        # pages are HTML).
        all_methods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
        for path, allowed in (("/", {"GET"}), ("/openapi.yaml", {"GET"}), ("/openapi.json", {"GET"}),
                              ("/webhook", {"POST"})):
            bp.add_route(self._method_not_allowed(allowed), path, methods=sorted(all_methods - allowed),
                         name="not_allowed" + path.replace("/", "_").replace(".", "_"))

        @bp.route("/<anything:path>", methods=sorted(all_methods))
        async def not_found(request: Request, anything: str) -> HTTPResponse:
            if not anything.strip("/"):  # the prefix itself with a trailing slash
                return await (health(request) if request.method == "GET"
                              else self._method_not_allowed({"GET"})(request))
            return error(404, "not_found", "No such endpoint: see the OpenAPI document at "
                         "/webhooks/rest/openapi.yaml.").response()

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def webhook(request: Request) -> HTTPResponse:
            started = time.monotonic()
            try:
                resp = await self.receive(on_new_message, request)
            except ApiError as exc:
                resp = exc.response()
            except Exception as exc:  # never a stack trace for the caller
                logger.error("integrator webhook: unexpected %s", type(exc).__name__)
                resp = error(500, "internal_error", "Internal error; retry later.").response()
            integrator = getattr(request.ctx, "integrator", None)
            if integrator is not None:
                resp.headers["RateLimit-Policy"] = self.rate_limit_policy(integrator)
            logger.info("integrator webhook: %s in %.0f ms", resp.status, 1000 * (time.monotonic() - started))
            return resp

        return bp


__all__ = ["IntegratorRestInput", "Settings", "sign"]
