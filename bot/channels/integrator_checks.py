"""What the integrator webhook checks before a message reaches the assistant: the API key (with
failed keys counted per client address), the request signature and its replay, the body (size,
JSON, strict fields) and the rate limits. Every refusal is an `ApiError`: a 4xx with a JSON
`error.code`, never a 500 (docs/integrators.md lists the codes).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inputs import (BodyTooLarge, InvalidInput, check_strings, holds_personal_number,
                                 parse_json, read_body)
from bot.channels.state import LazyState, Limits, hashed
from bot.settings import IntegratorSettings

logger = logging.getLogger(__name__)

SENDER_RE = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")  # used with fullmatch: no trailing newline
MESSAGE_ID_MAX = 128
LANGUAGES = ("zh", "en")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "<timestamp>." + body>` (requests and callbacks alike)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# --------------------------------------------------------------------------- errors


def _dumps(body: Any, **_: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """JSON in readable UTF-8 (Chinese text unescaped)."""
    return response.json(body, status=status, headers=headers, dumps=_dumps)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def response(self) -> HTTPResponse:
        return json_response({"error": {"code": self.code, "message": self.message}},
                             status=self.status, headers=self.headers)


def error(status: int, code: str, message: str, **headers: str) -> ApiError:
    return ApiError(status, code, message, {k.replace("_", "-"): v for k, v in headers.items()})


# --------------------------------------------------------------------------- the channel

@dataclass
class Incoming:
    integrator: str
    sender: str
    message: str
    metadata: dict
    message_id: str | None
    mode: str



class RequestChecks:
    """The checks, with the channel's settings and state store."""

    def __init__(self, settings: IntegratorSettings, state: LazyState) -> None:
        self.settings, self.state = settings, state

    def key(self, *parts: str) -> str:
        return self.settings.redis_prefix + ":".join(parts)

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
        until = await self.state().get(blocked_key)
        if until is not None:
            raise self._auth_locked(float(until) - time.time())
        wait = await self.state().take([(self.key("af", address), self.settings.auth_failure_limits)])
        if wait <= 0:
            return self.authenticate(request)  # raises the 401 again, with its exact reason
        await self.state().set(blocked_key, str(time.time() + wait), wait)
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
        if not await self.state().set_nx(self.key("sig", integrator, signature.strip()), "1", window):
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
        wait = await self.state().take(buckets)
        if wait > 0:
            raise error(429, "rate_limited", "Too many requests; retry after the Retry-After delay.",
                        Retry_After=str(max(1, math.ceil(wait))))

    # ---- processing
