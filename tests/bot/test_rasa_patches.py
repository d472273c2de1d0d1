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

    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_patches import action_calls, model_server, speedups, store_failures

    rasa_patches.install()  # a second call changes nothing
    assert rasa_patches.installed()
    assert RemoteAction._validate_action_result is action_calls.validate_action_result
    assert EndpointConfig.session is action_calls.session
    assert Event.resolve_by_type is speedups.resolve_by_type
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


def test_the_possible_rules_are_rasa_s(agent):
    """For every prefix of every conversation test, the rules that match its states are the ones
    Rasa's own filter (and its own check) finds, for both of RulePolicy's lookups."""
    from rasa.core.training import load_data

    policy = next(p for p in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(p, "_component", None), RulePolicy))._component
    assert RulePolicy._get_possible_keys is rule_policy._get_possible_keys
    found = set()
    for story in load_data("tests/conversations", agent.domain, augmentation_factor=0):
        events = list(story.events)
        for end in range(1, len(events) + 1):
            tracker = DialogueStateTracker.from_events("t", events[:end], agent.domain.slots)
            states = policy._prediction_states(tracker, agent.domain,
                                               rule_only_data=policy._get_rule_only_data())
            for lookup in (policy.lookup["rules"], policy.lookup["rules_for_loop_unhappy_path"]):
                ours = policy._get_possible_keys(lookup, states)
                with pytest.MonkeyPatch.context() as mp:
                    mp.setattr(RulePolicy, "_is_rule_applicable", rule_policy.rasa_is_rule_applicable)
                    assert ours == rule_policy.rasa_get_possible_keys(policy, lookup, states)
                found.add(len(ours))
    assert max(found) > 0 and 0 in found


def test_rules_not_indexed_by_their_last_action_are_still_found(agent):
    """Rules whose last turn names no previous action (none, a text, "should not be set", no turn
    at all) are checked on every conversation, as Rasa checks them."""
    import itertools
    import json

    from rasa.shared.core.constants import SHOULD_NOT_BE_SET

    policy = next(p for p in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(p, "_component", None), RulePolicy))._component
    listen, greet = {"action_name": "action_listen"}, {"intent": "greet"}
    turns = [{"prev_action": listen, "user": greet}, {"user": greet}, {"prev_action": {}},
             {"prev_action": {"action_text": "hi"}},
             {"prev_action": {"action_name": SHOULD_NOT_BE_SET}, "user": greet},
             {"prev_action": {"action_name": "utter_greet"}}]
    lookup = {json.dumps(list(rule)): "utter_x" for n in range(3)
              for rule in itertools.product(turns, repeat=n)}
    found = set()
    for n in range(3):
        for states in itertools.product(turns, repeat=n):
            ours = policy._get_possible_keys(lookup, list(states))
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(RulePolicy, "_is_rule_applicable", rule_policy.rasa_is_rule_applicable)
                assert ours == rule_policy.rasa_get_possible_keys(policy, lookup, list(states))
            found.add(len(ours))
    assert len(found) > 3


def tracker_state(tracker: DialogueStateTracker, domain) -> tuple:
    """Everything a copied tracker carries that Rasa or an action reads."""
    from rasa.shared.core.trackers import EventVerbosity

    return (tracker.current_state(EventVerbosity.ALL), tracker.events,
            {name: (type(slot), slot.value, slot.has_been_set) for name, slot in tracker.slots.items()},
            tracker.active_loop, tracker.latest_action, tracker.latest_message,
            tracker.latest_bot_utterance, tracker.followup_action, tracker.is_paused(),
            tracker.model_id, tracker.assistant_id, tracker.sender_source,
            tracker.past_states(domain), tracker._max_event_history)


def test_a_tracker_copies_as_by_rasa_s_replay(agent):
    """Every prefix of every conversation test and rule (forms, interruptions, slots, pauses)
    copies to the tracker Rasa's replay builds, and the copy is independent of the original."""
    from rasa.core.training import load_data
    from rasa.shared.core.events import ActiveLoop

    from bot.rasa_patches import tracker_copy

    assert DialogueStateTracker.copy is tracker_copy.copy_tracker
    domain = agent.domain
    stories = load_data("tests/conversations", domain, augmentation_factor=0)
    rules = load_data("data/rules", domain, augmentation_factor=0)
    checked = with_loop = 0
    for story in [*stories, *rules]:
        events = list(story.events)
        for end in range(1, len(events) + 1):
            tracker = DialogueStateTracker.from_events("t", events[:end], domain.slots)
            tracker.model_id, tracker.assistant_id = "model", "assistant"
            ours, rasas = tracker.copy(), tracker_copy.rasa_copy(tracker)
            assert tracker_state(ours, domain) == tracker_state(rasas, domain)
            with_loop += bool(tracker.active_loop)
            checked += 1
    assert checked > 500 and with_loop > 50

    ours = tracker.copy()
    ours.update_with_events([SlotSet("language", "xx"), ActiveLoop("some_form")], domain)
    ours.reject_action("some_form")
    assert tracker.get_slot("language") != "xx" and len(tracker.events) == len(events)
    assert tracker.active_loop_name != "some_form"


def test_past_states_are_rasa_s_replay_however_often_asked(agent, monkeypatch):
    """Every prefix of every conversation test and rule, with each set of arguments the policies
    pass, asked twice: the states Rasa's replay makes, the repeat without a replay, and a caller
    changing its states changes nobody else's."""
    from rasa.core.training import load_data
    from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
    from rasa.shared.core.domain import Domain

    from bot.rasa_patches import past_states

    assert DialogueStateTracker.past_states is past_states.past_states
    domain = agent.domain
    replays = []
    rasa_replay = Domain.states_for_tracker_history

    def counted(*args, **kwargs):
        replays.append(1)
        return rasa_replay(*args, **kwargs)

    monkeypatch.setattr(Domain, "states_for_tracker_history", counted)
    rule_only = {RULE_ONLY_SLOTS: ["context_missing"], RULE_ONLY_LOOPS: []}
    checked = 0
    for story in [*load_data("tests/conversations", domain, augmentation_factor=0),
                  *load_data("data/rules", domain, augmentation_factor=0)]:
        events = list(story.events)
        for end in range(1, len(events) + 1):
            tracker = DialogueStateTracker.from_events("t", events[:end], domain.slots)
            for arguments in ({}, {"ignore_rule_only_turns": True, "rule_only_data": rule_only},
                              {"omit_unset_slots": True}):
                expected = past_states.rasa_past_states(tracker, domain, **arguments)
                replays.clear()
                for _ in range(3):
                    states = tracker.past_states(domain, **arguments)
                    assert states == expected
                    for state in states:  # as the featurizer drops the last input's text or intent
                        for sub_state in state.values():
                            sub_state.clear()
                assert len(replays) == 1
                checked += 1
    assert checked > 1500

    tracker.update(SlotSet("language", "en"))  # a new event: replayed again
    replays.clear()
    assert tracker.past_states(domain) == past_states.rasa_past_states(tracker, domain)
    assert len(replays) == 2


def test_a_slot_copies_as_by_the_pickle_protocol(agent):
    """Each of the domain's slots, set to a value, copies to what `copy.copy` made of it before
    the patch: an independent slot of the same type and attributes."""
    import copy

    from bot.rasa_patches import tracker_copy

    assert agent.domain.slots
    for slot in agent.domain.slots:
        original = copy.copy(slot)
        original.value = ["a value"] if slot.type_name == "list" else "a value"
        ours = copy.copy(original)
        with pytest.MonkeyPatch.context() as mp:
            mp.delattr(tracker_copy.Slot, "__copy__")
            pickled = copy.copy(original)
        assert type(ours) is type(pickled) is type(original)
        assert vars(ours) == vars(pickled) and ours is not original
        ours.value = None
        assert original.value is not None


def test_a_loaded_model_is_kept_out_of_the_collector_until_the_next_one(agent):
    """After a load the model's objects are frozen (full collections skip them); loading the next
    model frees the previous one's cycles instead of keeping them frozen for ever (without the
    unfreeze about 90 objects more stay frozen at each load)."""
    import gc

    from bot.rasa_patches import frozen_model
    from tests.bot.conftest import latest_model

    assert agent.__class__.load_model is frozen_model.load_model
    assert gc.get_freeze_count() > 100_000
    agent.load_model(str(latest_model()))
    first = gc.get_freeze_count()  # with what the other tests left alive
    for _ in range(3):
        agent.load_model(str(latest_model()))
    assert gc.get_freeze_count() < first + 100
