"""Rasa's calls to the action server, without the work that repeats itself on every call.

- The response check: RemoteAction validates every response against its response schema, whose
  events are a `oneOf` over some twenty event types, so each event was checked against all of
  them (about 1.4 ms a response, measured in bench/rasa_patches_bench.py). Each branch of that
  `oneOf` fixes the event's name (`"event": {"const": ...}`), so an event can only match the
  branch of its own name: it is checked against that branch and the common part, which is what
  `oneOf` accepts. A response that fails goes through Rasa's full check, so the error raised is
  the one Rasa raises (its best match). Were the schema ever shaped otherwise, the full check
  runs every time.
- The request body: the form validators are sent the domain (`send_domain`), the same dictionary
  on every call (`Domain.as_dict()` returns the domain's own data), and aiohttp encoded it to JSON
  again each time, the largest part of the body. Its JSON is kept (for the one domain object it
  was made from) and spliced into the rest of the body, encoded as before.
"""
from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache
from typing import Any, Callable

import aiohttp
from jsonschema import validators
from jsonschema.exceptions import best_match
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.json_encoding import dumps

# Rasa's own, for the tests and bench/rasa_patches_bench.py
rasa_session = EndpointConfig.session
rasa_validate_action_result = RemoteAction._validate_action_result
rasa_close_resources = rasa.core.run.close_resources

KEEPALIVE_SECONDS = 2.0
_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector]" = \
    weakref.WeakKeyDictionary()


def _validator(schema: dict) -> Any:
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def full_validator() -> Any:
    return _validator(RemoteAction.action_response_format_spec())


@lru_cache(maxsize=1)
def _split_validators() -> tuple[Any, dict[str, Any]] | None:
    """(the response without its events' items, {event name: validator of one such event}),
    or None when the schema is not a `oneOf` of branches each fixing its own event name."""
    schema = RemoteAction.action_response_format_spec()
    events = schema.get("properties", {}).get("events", {})
    items = events.get("items", {})
    common = {key: value for key, value in items.items() if key != "oneOf"}
    per_event: dict[str, Any] = {}
    for branch in items.get("oneOf", ()):
        name = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in per_event:
            return None
        per_event[name] = _validator({"allOf": [common, branch]})
    if not per_event:
        return None
    outer = dict(schema, properties=dict(schema["properties"],
                                         events={k: v for k, v in events.items() if k != "items"}))
    return _validator(outer), per_event


def response_is_valid(result: Any) -> bool:
    """What Rasa's response schema says of `result`, checking each event against its own type."""
    split = _split_validators()
    if split is None:
        return full_validator().is_valid(result)
    outer, per_event = split
    if not outer.is_valid(result):
        return False
    events = result.get("events") if isinstance(result, dict) else None
    if not isinstance(events, list):
        return True  # absent: nothing to check; anything else failed `outer` already
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        check = per_event.get(name) if isinstance(name, str) else None
        if check is None or not check.is_valid(event):
            return False
    return True


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    if response_is_valid(result):
        return True
    error = best_match(full_validator().iter_errors(result))
    if error is None:  # cannot happen while both agree; Rasa's verdict is the one that counts
        return True
    error.message += (". Failed to validate Action server response from API, make sure your "
                      "response from the Action endpoint is valid. For more information about "
                      f"the format visit {DOCS_BASE_URL}/custom-actions")
    raise error


class DomainSplicingSerializer:
    """The body's JSON for aiohttp, with the JSON of the last domain dictionary kept."""

    def __init__(self, dumps: Callable[[Any], str] = dumps):
        self._dumps = dumps
        self._domain: Any = None  # held, so that its id cannot be reused by another object
        self._domain_json = ""

    def __call__(self, body: Any) -> str:
        domain = body.get("domain") if type(body) is dict else None
        if not isinstance(domain, dict):
            return self._dumps(body)
        if domain is not self._domain:
            self._domain, self._domain_json = domain, self._dumps(domain)
        rest = self._dumps({key: value for key, value in body.items() if key != "domain"})
        separator = "" if rest == "{}" else ","
        return f'{rest[:-1]}{separator}"domain":{self._domain_json}}}'


serialize_body = DomainSplicingSerializer()


def connection_pool() -> aiohttp.TCPConnector:
    """The running event loop's pool of kept connections (aiohttp sessions need a running loop)."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None or pool.closed:
        pool = _pools[loop] = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
    return pool


async def close_connection_pool() -> None:
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa 3.6's `EndpointConfig.session`, with the body serializer above, on the event loop's
    pool of kept connections (closing the session leaves the pool open)."""
    auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth else None)
    return aiohttp.ClientSession(headers=self.headers, auth=auth,
                                 timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                 json_serialize=serialize_body, connector=connection_pool(),
                                 connector_owner=False)


async def close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """Rasa's shutdown listener, then the worker's connection pool."""
    try:
        await rasa_close_resources(app, loop)
    finally:
        await close_connection_pool()


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    EndpointConfig.session = session
    rasa.core.run.close_resources = close_resources
