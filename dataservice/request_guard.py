"""The one layer every request passes before any route: it refuses what no route can use.

A pure ASGI middleware, so nothing is parsed twice into memory and no route needs its own checks:

- a body over the size limit: 413, before it is read into memory (chunked bodies too);
- a body that is not JSON on a route that takes one: 415;
- JSON that is not strictly JSON (NaN, Infinity, trailing garbage, invalid UTF-8): 400;
- JSON that parses but no route accepts: numbers too large for a double, lone UTF-16 surrogates,
  NUL characters in strings (PostgreSQL refuses them in text), or nesting deeper than
  `MAX_JSON_DEPTH`: 422.

Path and query parameters are plain text each route validates; a value the database still refuses
is a 422 (dataservice/errors.py).

Every refusal has the JSON error shape of dataservice/errors.py.
"""
from __future__ import annotations

import email.message
import json

import orjson

from dataservice.errors import error_body

# Our bodies are flat objects; anything nested deeper than this is an attack, not a request.
MAX_JSON_DEPTH = 32
BODY_METHODS = ("POST", "PUT", "PATCH")


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))


def check_json(body: bytes) -> None:
    """Strict JSON (RFC 8259) of bounded depth, finite numbers and valid Unicode without NUL."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _explain_refused(body) from None
    _check_values(document)


def _explain_refused(body: bytes) -> Rejected:
    """orjson refused the body: was it not JSON at all, or JSON no route can take?"""
    def no_constants(name: str):
        raise ValueError(name)

    try:
        json.loads(body, parse_constant=no_constants)
    except RecursionError:
        return _too_deep()
    except ValueError:  # JSONDecodeError, NaN/Infinity, invalid UTF-8
        return Rejected(400, "malformed_json", "The request body is not valid JSON.")
    # The standard library takes what orjson refuses: lone surrogates, numbers beyond a double,
    # nesting past orjson's own limit.
    return Rejected(422, "validation_error",
                    "The JSON holds a value no field accepts (an unpaired surrogate, a number "
                    f"out of range, or nesting deeper than {MAX_JSON_DEPTH}).")


def _too_deep() -> Rejected:
    return Rejected(422, "validation_error", f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")


def _check_values(document) -> None:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_string(key)
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            _check_string(value)


def _check_string(value: str) -> None:
    if "\x00" in value:
        raise Rejected(422, "validation_error", "JSON strings must not contain NUL characters.")


class RequestGuard:
    """Pure ASGI middleware applying the checks above before the app sees the request."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            headers = dict(scope.get("headers") or [])
            self._check_declared_length(headers.get(b"content-length"))
            if scope.get("method") not in BODY_METHODS:
                return await self.app(scope, receive, send)  # no body is read on these routes
            messages = await self._read_body(receive)
            body = messages[0].get("body", b"") if messages[0]["type"] == "http.request" else b""
            if body:
                content_type = headers.get(b"content-type", b"").decode("latin-1")
                if not is_json_media_type(content_type):
                    raise Rejected(415, "unsupported_media_type",
                                   "Send the body as JSON (Content-Type: application/json).")
                check_json(body)
        except Rejected as exc:
            return await _reject(send, exc)
        return await self.app(scope, _replay(messages, receive), send)

    def _check_declared_length(self, declared: bytes | None) -> None:
        if declared is None:
            return
        try:
            too_big = int(declared) > self.max_bytes
        except ValueError:
            raise Rejected(400, "bad_request", "Invalid Content-Length.") from None
        if too_big:
            raise self._too_large()

    def _too_large(self) -> Rejected:
        return Rejected(413, "payload_too_large",
                        f"Request body is larger than {self.max_bytes} bytes.")

    async def _read_body(self, receive) -> list[dict] | None:
        """The whole body as one message (at most the limit); chunked bodies declare no length."""
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return [message]
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]


async def _reject(send, exc: Rejected) -> None:
    body = orjson.dumps(error_body(exc.code, exc.message))
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _replay(messages: list[dict], then=None):
    """An ASGI receive() that yields the buffered messages, then defers to the real one."""
    queue = list(messages)

    async def receive():
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
