"""RulePolicy's rule matching without re-reading each rule on every check.

For every prediction RulePolicy filters all its rules (a few hundred here) turn by turn, and each
check parsed the rule's JSON key (from an LRU cache), reversed the list of its states and turned
the lists in them back into tuples, again: about half of RulePolicy's time. Each rule key is
prepared once instead (reversed states, tuples, the previous action apart); the checks themselves
are Rasa's `_is_rule_applicable` and `_does_rule_match_state`, with the same outcome
(`tests/bot/test_rasa_patches.py` compares them on every rule of the trained model).

Rasa's `_get_possible_keys` filtered every rule through every turn of the conversation, a rule
shorter than the conversation included (it matches all earlier turns by definition), through a
lambda and a new set per turn. Here a rule is settled as soon as its own turns are checked, and
the walk back ends when no rule is left to settle. Most rules name the action their last turn
follows, and a rule can only match a conversation whose last action is that one: the rules are
indexed by it once, and the last turn is checked only on the rules it lets through. The same
keys, fewer checks.
"""
from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
from rasa.shared.nlu.constants import ACTION_NAME

# Rasa's own, for the tests
rasa_is_rule_applicable = RulePolicy._is_rule_applicable
rasa_get_possible_keys = RulePolicy._get_possible_keys
# rule key -> per turn, last first: (its previous action, [(state type, [(key, value)])])
_prepared: dict[str, list[tuple[Any, list[tuple[str, list[tuple[str, Any]]]]]]] = {}


def _prepare(rule_key: str) -> list:
    turns = []
    for state in reversed(json.loads(rule_key)):
        checks = [(state_type, [(key, tuple(value) if isinstance(value, list) else value)
                                for key, value in sub_state.items()])
                  for state_type, sub_state in state.items()]
        turns.append((state.get(PREVIOUS_ACTION), checks))
    _prepared[rule_key] = turns
    return turns


def _turns(rule_key: str) -> list:
    turns = _prepared.get(rule_key)
    return _prepare(rule_key) if turns is None else turns  # a rule without turns is prepared too


def _matches(checks: list, conversation_state: dict[str, Any]) -> bool:
    """Rasa's `_does_rule_match_state` on a prepared rule state."""
    for state_type, items in checks:
        conversation_sub_state = conversation_state.get(state_type, {})
        for key, value_from_rules in items:
            value_from_conversation = conversation_sub_state.get(key)
            if value_from_rules == SHOULD_NOT_BE_SET:
                if value_from_conversation and value_from_conversation != SHOULD_NOT_BE_SET:
                    return False
            elif value_from_rules and value_from_conversation != value_from_rules:
                return False
    return True


def _turn_applies(turn: tuple, conversation_state: dict[str, Any]) -> bool:
    """Rasa 3.6's RulePolicy._is_rule_applicable for a turn the rule has."""
    current_previous_action = conversation_state.get(PREVIOUS_ACTION)
    rule_previous_action, checks = turn
    if not rule_previous_action and not current_previous_action:
        return True
    if not rule_previous_action or not current_previous_action:
        return False
    return _matches(checks, conversation_state)


def _is_rule_applicable(self: RulePolicy, rule_key: str, turn_index: int,
                        conversation_state: dict[str, Any]) -> bool:
    turns = _turns(rule_key)
    return turn_index >= len(turns) or _turn_applies(turns[turn_index], conversation_state)


# On each policy, id of a lookup -> (the lookup, its size, {action its last turn follows: keys},
# other keys). Kept on the policy, not in a module dict, so that a model swapped out by the model
# server takes its indexes (and the lookups they hold) with it.
_INDEXES = "_city_rule_indexes"


def _index(lookup: dict[str, str]) -> tuple[dict, int, dict[str, list[str]], list[str]]:
    by_action: dict[str, list[str]] = {}
    others: list[str] = []
    for key in lookup:
        turns = _turns(key)
        action = (turns[0][0] or {}).get(ACTION_NAME) if turns else None
        # `_matches` requires a truthy rule value other than SHOULD_NOT_BE_SET to be equal
        if isinstance(action, str) and action and action != SHOULD_NOT_BE_SET:
            by_action.setdefault(action, []).append(key)
        else:
            others.append(key)
    return lookup, len(lookup), by_action, others


def _last_turn_candidates(policy: RulePolicy, lookup: dict[str, str],
                          state: dict[str, Any]) -> list[str]:
    """The keys that can match the conversation's last turn: the others cannot."""
    indexes = policy.__dict__.setdefault(_INDEXES, {})
    index = indexes.get(id(lookup))
    if index is None or index[0] is not lookup or index[1] != len(lookup):
        indexes[id(lookup)] = index = _index(lookup)
    _, _, by_action, others = index
    action = (state.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    return by_action.get(action, []) + others


def _get_possible_keys(self: RulePolicy, lookup: dict[str, str],
                       states: list[dict[str, Any]]) -> set[str]:
    """The rule keys whose every turn matches the conversation's, the latest turns first."""
    settled, pending = [], _last_turn_candidates(self, lookup, states[-1]) if states else list(lookup)
    for turn_index, state in enumerate(reversed(states)):
        if not pending:
            break
        unsettled = []
        for key in pending:
            turns = _turns(key)
            if turn_index >= len(turns):
                settled.append(key)
            elif _turn_applies(turns[turn_index], state):
                unsettled.append(key)
        pending = unsettled
    return {*settled, *pending}


def install() -> None:
    RulePolicy._is_rule_applicable = _is_rule_applicable
    RulePolicy._get_possible_keys = _get_possible_keys
