"""Event types from a dictionary (measured with py-spy on the Rasa server under the benchmark's
load, docs/performance.md).

`Event.resolve_by_type` walks every Event subclass (with `inspect.isabstract`) for each event it
deserialises: most of the time spent loading a long conversation. A dictionary of the types it
already resolved answers instead; an unknown name still goes the original way. (The action
response check that was here is in `action_calls`.)
"""
from __future__ import annotations

from rasa.shared.core.events import Event

_original_resolve_by_type = Event.resolve_by_type
_event_types: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    cls = _event_types.get(type_name)
    if cls is None:
        cls = _original_resolve_by_type(type_name, default)
        if cls is not None and cls.type_name == type_name:
            _event_types[type_name] = cls
    return cls


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)
