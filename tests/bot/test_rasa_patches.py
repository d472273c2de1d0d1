"""bot.rasa_patches: installed only on the Rasa they were written for; the speed patches still
behave as Rasa's own code."""
from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import UserMessage
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.rasa_patches import graph_runner, rule_policy

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


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    from tests.bot.conftest import latest_model

    return Agent.load(str(latest_model()))


@pytest.mark.parametrize("text", ["居住证要带什么材料？", "How much is a passport?", "你好",
                                  "what is the weather on mars", "浦东社区事务受理中心周六开门吗"])
def test_the_graph_runs_as_with_dask(agent, text):
    """Same NLU parse and the same next-action prediction as Rasa's own dask runner."""
    processor = agent.processor

    def outcome():
        parse = asyncio.run(processor.parse_message(UserMessage(text)))
        tracker = DialogueStateTracker.from_events("t", [
            ActionExecuted("action_listen"), UserUttered(text, parse["intent"], parse["entities"],
                                                         parse)], agent.domain.slots)
        prediction = processor._predict_next_with_tracker(tracker)
        return parse, prediction.max_confidence_index, prediction.policy_name, prediction.probabilities

    assert DaskGraphRunner.run is graph_runner.run
    ours = outcome()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DaskGraphRunner, "run", graph_runner.rasa_run)
        dasks = outcome()
    assert ours == dasks
    assert ours[0]["intent"]["name"]


def test_rule_matching_is_rasa_s(agent):
    """Every rule of the trained model, checked against every state of real conversations, gives
    the answer Rasa's own check gives."""
    policy = next(p for p in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(p, "_component", None), RulePolicy))._component
    keys = list(policy.lookup["rules"]) + list(policy.lookup["rules_for_loop_unhappy_path"])
    states = [state for key in keys for state in RulePolicy._rule_key_to_state(key)]
    assert RulePolicy._is_rule_applicable is rule_policy._is_rule_applicable
    answers = set()
    for key in keys:
        for turn in range(4):
            for state in states[::7]:
                answer = policy._is_rule_applicable(key, turn, state)
                assert answer == rule_policy.rasa_is_rule_applicable(policy, key, turn, state)
                answers.add(answer)
    assert answers == {True, False}
