"""Authenticated REST webhook for integrators (city portal, 随申办 app backend, 12345 hotline).

A drop-in replacement for Rasa's built-in `rest` channel: same path (POST /webhooks/rest/webhook),
same request body (`sender`, `message`, optional `metadata`) and same response (a list of
messages with `recipient_id`, `text`, `buttons`, `image`, `custom`), plus authentication, request
signing, per-integrator conversations (`rest:<integrator>:<sender>`), strict input, limits, rate
limiting (bot/channels/integrator_checks.py), idempotency (bot/channels/once.py), a language hint
and asynchronous delivery to a callback URL (bot/channels/integrator_callbacks.py). The
integrator's guide is docs/integrators.md; the contract is docs/integrator-webhook.openapi.yaml
(also served at GET /webhooks/rest/openapi.yaml).

Settings: bot/settings.py (IntegratorSettings, the INTEGRATOR_* variables and REDIS_URL); the
channel's section of bot/credentials.yml may set them too. Behind a reverse proxy set
SANIC_PROXIES_COUNT so the address failed keys are counted for is the client's, not the proxy's.
"""
from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage

from bot.channels import replies
from bot.channels.answered import stored_answer
from bot.channels.inputs import conversation_id, limit_body
from bot.channels.integrator_callbacks import post_with_retries
from bot.channels.integrator_checks import (ApiError, Incoming, RequestChecks, error, json_response,
                                            sign)
from bot.channels.once import Claim, Once
from bot.channels.state import LazyState, StateUnavailable, hashed
from privacy import redact, redact_text
from bot.settings import IntegratorSettings, environment, with_credentials

logger = logging.getLogger(__name__)

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "integrator-webhook.openapi.yaml"


def fallback_message(inc: Incoming) -> dict:
    return {"recipient_id": inc.sender,
            "text": replies.in_language(replies.FALLBACK, inc.metadata.get("language"))}


def outage_message(inc: Incoming) -> dict:
    return {"recipient_id": inc.sender,
            "text": replies.in_language(replies.OUTAGE, inc.metadata.get("language"))}


def processing_failed(inc: Incoming) -> ApiError:
    """The retryable 503: its message is the polite outage reply, in the citizen's language (both
    when unknown), for integrators that show the error to the citizen."""
    return error(503, "processing_failed", outage_message(inc)["text"])


class StoredResult:
    """The idempotent answer to one message_id. An async request whose processing fails must not
    keep its 202 as the answer: `forget()` removes it once it has been stored."""

    def __init__(self, state: LazyState, key: str) -> None:
        self.state, self.key, self.done = state, key, asyncio.Event()

    async def forget(self) -> None:
        await self.done.wait()
        await self.state().delete(self.key)


class IntegratorRestInput(RequestChecks, InputChannel):
    """POST /webhooks/rest/webhook with `Authorization: Bearer <integrator key>`."""

    @classmethod
    def name(cls) -> str:
        return "rest"  # the same path as Rasa's built-in REST channel (which must not be enabled)

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "IntegratorRestInput":
        env = with_credentials(environment(), "INTEGRATOR_", credentials)
        return cls(IntegratorSettings.from_env(env))

    def __init__(self, settings: IntegratorSettings | None = None) -> None:
        settings = settings or IntegratorSettings.from_env(environment())
        super().__init__(settings, LazyState(settings.redis_url))
        self._tasks: set[asyncio.Task] = set()
        if not self.settings.keys:
            logger.warning("integrator webhook: INTEGRATOR_API_KEYS is empty, every request is refused")

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
        await post_with_retries(self.settings, inc.integrator, payload)

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
        request.ctx.language = inc.metadata.get("language")  # of the outage reply, if any
        if inc.message_id is None:
            await self.rate_limit(inc)
            status, payload, _ = await self.handle(on_new_message, integrator, inc)
            return json_response(payload, status=status)
        # Rasa's own tracker store, read through the agent Rasa gave the server (read-only):
        # where a processed message_id can be found
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
        first = await Once(self.state(), self.settings.idempotency_lock_ttl).claim_or_outcome(
            result_key, time.monotonic() + 90)
        if first is None:
            raise error(409, "request_in_progress",
                        "A request with this message_id is still being processed; retry later.")
        if not isinstance(first, Claim):
            return self._replay(first, fingerprint)
        result = StoredResult(self.state, result_key)
        async with first:
            try:
                await self.rate_limit(inc)
                status, payload, replayed = await self.handle(on_new_message, inc.integrator, inc,
                                                              result, tracker_store)
                # Replies may echo a citizen's phone or ID number: only the redacted form is kept
                # (a retry then gets the redacted reply, which is enough to carry on).
                await first.store(json.dumps({"fp": fingerprint, "status": status,
                                              "body": redact(payload)}, ensure_ascii=False),
                                  self.settings.idempotency_ttl)
                return json_response(payload, status=status,
                                     headers={"Idempotent-Replayed": "true"} if replayed else None)
            finally:
                result.done.set()

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
        return json_response(item["body"], status=item["status"], headers={"Idempotent-Replayed": "true"})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        bp = Blueprint("integrator_rest_webhook", module.__name__ if module else None)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return json_response({"status": "ok"})

        @bp.route("/openapi.yaml", methods=["GET"])
        async def openapi_yaml(request: Request) -> HTTPResponse:
            try:
                text = OPENAPI_PATH.read_text(encoding="utf-8")
            except OSError:
                return error(404, "not_found", "The OpenAPI document is not installed.").response()
            return response.text(text, content_type="application/yaml; charset=utf-8")

        @bp.route("/openapi.json", methods=["GET"])
        async def openapijson_response(request: Request) -> HTTPResponse:
            import yaml

            try:
                doc = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
            except OSError:
                return error(404, "not_found", "The OpenAPI document is not installed.").response()
            return json_response(doc)

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
            except StateUnavailable as exc:  # the one outage policy (bot/channels/state.py)
                logger.error("integrator webhook: shared state unavailable (%s)", exc)
                resp = error(503, "processing_failed", replies.in_language(
                    replies.OUTAGE, getattr(request.ctx, "language", None))).response()
            except Exception as exc:  # never a stack trace for the caller
                logger.error("integrator webhook: unexpected %s", type(exc).__name__)
                resp = error(500, "internal_error", "Internal error; retry later.").response()
            integrator = getattr(request.ctx, "integrator", None)
            if integrator is not None:
                resp.headers["RateLimit-Policy"] = self.rate_limit_policy(integrator)
            logger.info("integrator webhook: %s in %.0f ms", resp.status, 1000 * (time.monotonic() - started))
            return resp

        return bp



__all__ = ["IntegratorRestInput", "sign"]
