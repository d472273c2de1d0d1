"""RulePolicy's rule matching without re-reading each rule on every check.

For every prediction RulePolicy filters all its rules (a few hundred here) turn by turn, and each
check parsed the rule's JSON key (from an LRU cache), reversed the list of its states and turned
the lists in them back into tuples, again: about half of RulePolicy's time. Each rule key is
prepared once instead (reversed states, tuples, the previous action apart); the checks themselves
are Rasa's `_is_rule_applicable` and `_does_rule_match_state`, with the same outcome
(`tests/bot/test_rasa_patches.py` compares them on every rule of the trained model).
"""
from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

rasa_is_rule_applicable = RulePolicy._is_rule_applicable  # Rasa's own, for the tests
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


def _is_rule_applicable(self: RulePolicy, rule_key: str, turn_index: int,
                        conversation_state: dict[str, Any]) -> bool:
    turns = _prepared.get(rule_key) or _prepare(rule_key)
    # From here on Rasa 3.6's RulePolicy._is_rule_applicable.
    if turn_index >= len(turns):
        return True
    current_previous_action = conversation_state.get(PREVIOUS_ACTION)
    rule_previous_action, checks = turns[turn_index]
    if not rule_previous_action and not current_previous_action:
        return True
    if not rule_previous_action or not current_previous_action:
        return False
    return _matches(checks, conversation_state)


def install() -> None:
    RulePolicy._is_rule_applicable = _is_rule_applicable
