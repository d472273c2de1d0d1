"""Strict reading of what a channel receives, shared by every connector.

- Bodies are bounded before they are read: Sanic's own reader is told the channel's limit, so a
  declared Content-Length over it is refused at once and a chunked body is cut off at the limit.
- Text must be valid Unicode without NUL: a lone surrogate (possible through a JSON `\\ud800`
  escape) breaks Redis, the tracker store and logging further down, so it is refused at the door.
- JSON nesting is bounded (a deep `[[[[...` would otherwise exhaust Python's recursion).
- Conversation (sender) ids carry their channel, `<channel>:<...>`, so one channel can never name a
  conversation of another (docs/security.md, "Channels").
"""
from __future__ import annotations

import json
import re
from typing import Any

from sanic.request import Request

from privacy import redact_text

MAX_JSON_DEPTH = 8
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


class BodyTooLarge(Exception):
    pass


class InvalidInput(ValueError):
    """`field` names what was wrong (a JSON path such as `metadata.language`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def conversation_id(channel: str, *parts: str) -> str:
    """`rest:<integrator>:<sender>`, `wechat:<openid>`, `web:<session>`."""
    return ":".join((channel,) + parts)


def limit_body(request: Request, max_bytes: int) -> None:
    """Make Sanic refuse more than `max_bytes` of this request's body (also when the handler
    answers without reading it: Sanic then drains at most this much and closes)."""
    if request.stream is not None:
        request.stream.request_max_size = max_bytes


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body of a streaming route, read incrementally and never beyond `max_bytes`."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        limit_body(request, max_bytes)
        raise BodyTooLarge()
    if request.body:
        if len(request.body) > max_bytes:
            raise BodyTooLarge()
        return request.body
    limit_body(request, max_bytes)
    chunks, size = [], 0
    if request.stream is not None:
        try:
            async for chunk in request.stream:
                size += len(chunk)
                if size > max_bytes:
                    raise BodyTooLarge()
                chunks.append(chunk)
        except BodyTooLarge:
            raise
        except Exception as exc:  # Sanic's PayloadTooLarge (chunked body past the limit)
            if type(exc).__name__ == "PayloadTooLarge":
                raise BodyTooLarge() from None
            raise
    return b"".join(chunks)


def bad_text(value: str) -> bool:
    """NUL or a lone surrogate."""
    return bool(_BAD_CHARS.search(value))


def check_strings(value: Any, field: str, depth: int = 0, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Every string (and object key) in a parsed JSON value is clean; nesting is bounded."""
    if depth > max_depth:
        raise InvalidInput(field, f"nested deeper than {max_depth} levels")
    if isinstance(value, str):
        if bad_text(value):
            raise InvalidInput(field, "contains NUL or an unpaired surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            if bad_text(key):
                raise InvalidInput(field, "a key contains NUL or an unpaired surrogate")
            check_strings(item, f"{field}.{key}", depth + 1, max_depth)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_strings(item, f"{field}[{i}]", depth + 1, max_depth)


def parse_json(raw: bytes | str) -> Any:
    """json.loads that reports deep nesting as InvalidInput instead of a RecursionError."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput("body", "nested too deeply") from None


def holds_personal_number(identifier: str) -> bool:
    """A phone or ID number inside an identifier (it would reach the tracker store in the clear)."""
    return redact_text(identifier) != identifier
