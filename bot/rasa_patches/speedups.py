"""Two hot spots of Rasa 3.6, fixed without changing what Rasa does (measured with py-spy on the
Rasa server under the benchmark's load, docs/performance.md). `install()` applies both
(from bot.rasa_patches.install).

- Action responses: RemoteAction checks every custom action's response with `jsonschema.validate`,
  which first validates the large, constant response *schema* against its meta-schema on every
  call: about two thirds of the server's CPU per message. One compiled validator instead: the same
  schema, the same error (best match), the schema checked once.
- Event types: `Event.resolve_by_type` walks every Event subclass (with `inspect.isabstract`) for
  each event it deserialises: most of the time spent loading a long conversation. A dictionary of
  the types it already resolved answers instead; an unknown name still goes the original way.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_original_resolve_by_type = Event.resolve_by_type
_event_types: dict[str, type[Event]] = {}


@lru_cache(maxsize=1)
def _action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    error = best_match(_action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (". Failed to validate Action server response from API, make sure your "
                          "response from the Action endpoint is valid. For more information about "
                          f"the format visit {DOCS_BASE_URL}/custom-actions")
        raise error
    return True


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    cls = _event_types.get(type_name)
    if cls is None:
        cls = _original_resolve_by_type(type_name, default)
        if cls is not None and cls.type_name == type_name:
            _event_types[type_name] = cls
    return cls


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_by_type)
