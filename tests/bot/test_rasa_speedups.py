"""bot.rasa_speedups replaces two Rasa internals for speed: they must still behave as Rasa's."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot import rasa_speedups

rasa_speedups.install()


def action() -> RemoteAction:
    return RemoteAction("action_test", None)


def test_valid_action_response_passes():
    result = {"events": [{"event": "slot", "name": "language", "value": "en"}],
              "responses": [{"text": "hi"}]}
    assert action()._validate_action_result(result) is True


@pytest.mark.parametrize("bad", [{"events": "not a list"}, {"events": [{"event": 42}]},
                                 {"responses": {"text": "not a list"}}])
def test_invalid_action_response_is_rejected_as_by_rasa(bad):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action()._validate_action_result(bad)


def test_event_types_resolve_as_before():
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("slot") is SlotSet  # from the cache now
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "x", "value": 1}) == SlotSet("x", 1)
