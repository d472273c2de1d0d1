"""RulePolicy's rule matching without re-reading each rule on every check.

For every prediction RulePolicy filters all its rules (a few hundred here) turn by turn, and each
check parsed the rule's JSON key (from an LRU cache) and reversed the list of its states again:
about a quarter of RulePolicy's time. The reversed states are kept per rule key instead; the
checks themselves are Rasa's.
"""
from __future__ import annotations

import json
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION

rasa_is_rule_applicable = RulePolicy._is_rule_applicable  # Rasa's own, for the tests
_reversed_states: dict[str, list[dict[str, Any]]] = {}


def _is_rule_applicable(self: RulePolicy, rule_key: str, turn_index: int,
                        conversation_state: dict[str, Any]) -> bool:
    reversed_rule_states = _reversed_states.get(rule_key)
    if reversed_rule_states is None:
        reversed_rule_states = _reversed_states[rule_key] = list(reversed(json.loads(rule_key)))
    # From here on Rasa 3.6's RulePolicy._is_rule_applicable, unchanged.
    if turn_index >= len(reversed_rule_states):
        return True
    current_previous_action = conversation_state.get(PREVIOUS_ACTION)
    rule_previous_action = reversed_rule_states[turn_index].get(PREVIOUS_ACTION)
    if not rule_previous_action and not current_previous_action:
        return True
    if not rule_previous_action or not current_previous_action:
        return False
    return self._does_rule_match_state(reversed_rule_states[turn_index], conversation_state)


def install() -> None:
    RulePolicy._is_rule_applicable = _is_rule_applicable
