"""bot.rasa_patches: installed only on the Rasa they were written for; the two speed patches still
behave as Rasa's own code."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot import rasa_patches

rasa_patches.install()


@pytest.mark.parametrize("version", ["3.6.0", "3.6.21", "3.6.21rc1"])
def test_the_rasa_3_6_series_is_accepted(version):
    rasa_patches.check_rasa_version(version)


@pytest.mark.parametrize("version", ["3.7.0", "3.5.17", "4.0.0"])
def test_another_rasa_is_refused_with_a_clear_error(version):
    with pytest.raises(rasa_patches.UnsupportedRasaVersion, match=f"Rasa 3.6.x and Rasa {version}"):
        rasa_patches.check_rasa_version(version)


def test_installing_applies_every_patch_once():
    from rasa.core import agent

    from bot.rasa_patches import model_server, speedups, store_failures

    rasa_patches.install()  # a second call changes nothing
    assert rasa_patches.installed()
    assert RemoteAction._validate_action_result is speedups.validate_action_result
    assert agent.load_from_server is model_server.load_from_server
    assert agent.Agent._create_tracker_store is store_failures._create_tracker_store


def test_the_tracker_store_refuses_a_rasa_started_without_the_patches(monkeypatch):
    from rasa.shared.core.domain import Domain

    from bot.stores import CityTrackerStore

    monkeypatch.setattr(rasa_patches, "_installed", False)
    with pytest.raises(rasa_patches.PatchesNotInstalled, match="python -m bot run"):
        CityTrackerStore(domain=Domain.empty())


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
