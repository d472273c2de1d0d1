"""The evaluation gate's rules and the per-intent diff (figures as the evaluation writes them)."""
from __future__ import annotations

import copy

from console.training.gate import decide
from tests.console.training_support import PASSING

PRODUCTION = {**copy.deepcopy(PASSING), "predictions": [
    ["zh", "居住证要带什么", "ask_service_requirements", "ask_service_requirements"],
    ["en", "is the centre open on saturday", "ask_office_hours", "ask_office_hours"],
    ["en", "book me a slot", "book_appointment", "inform"]]}


def candidate(**changes) -> dict:
    figures = copy.deepcopy(PRODUCTION)
    figures.update(changes)
    return figures


def keys(decision) -> list[str]:
    return [r["key"] for r in decision["reasons"]]


def test_a_candidate_as_good_as_production_passes():
    decision = decide(candidate(), PRODUCTION)
    assert decision == {"passed": True, "reasons": [], "diff": {}}


def test_a_language_may_lose_one_point_but_not_more():
    just = decide(candidate(accuracy={"en": 0.97, "zh": 0.95}), PRODUCTION)
    assert just["passed"], just
    worse = decide(candidate(accuracy={"en": 0.97, "zh": 0.948}), PRODUCTION)
    assert keys(worse) == ["gate_accuracy_drop"]
    assert worse["reasons"][0]["values"] == {"split": "zh", "before": 96.0, "after": 94.8}


def test_out_of_scope_recall_below_90_and_in_scope_rejection_above_3_are_refused():
    decision = decide(candidate(oos_recall=0.899, in_scope_rejected=0.031), PRODUCTION)
    assert keys(decision) == ["gate_oos_recall", "gate_in_scope_rejected"]
    assert decide(candidate(oos_recall=0.90, in_scope_rejected=0.03), PRODUCTION)["passed"]


def test_each_failing_conversation_test_is_a_reason():
    failed = decide(candidate(conversations={"passed": False, "failed": ["book", "cancel"]}),
                    PRODUCTION)
    assert [r["values"] for r in failed["reasons"]] == [{"story": "book"}, {"story": "cancel"}]
    unnamed = decide(candidate(conversations={"passed": False, "failed": []}), PRODUCTION)
    assert keys(unnamed) == ["gate_conversation_failed"]


def test_without_a_production_model_only_the_absolute_rules_apply():
    assert decide(candidate(accuracy={"en": 0.5, "zh": 0.5}), None)["passed"]


def test_the_diff_lists_changed_predictions_per_expected_intent():
    changed = candidate(predictions=[
        ["zh", "居住证要带什么", "ask_service_requirements", "ask_processing_time"],
        ["en", "is the centre open on saturday", "ask_office_hours", "ask_office_hours"],
        ["en", "book me a slot", "book_appointment", "book_appointment"]])
    assert decide(changed, PRODUCTION)["diff"] == {
        "ask_service_requirements": [{"language": "zh", "text": "居住证要带什么",
                                      "before": "ask_service_requirements",
                                      "after": "ask_processing_time"}],
        "book_appointment": [{"language": "en", "text": "book me a slot", "before": "inform",
                              "after": "book_appointment"}]}
