"""The evaluation gate: a candidate's figures side by side with production's, the reasons a
promotion is refused, and which held-out messages changed prediction."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

MAX_ACCURACY_DROP = 0.01   # a language's held-out accuracy may fall by at most 1 point
MIN_OOS_RECALL = 0.90      # CLINC150 oos_val
MAX_IN_SCOPE_REJECTED = 0.03


def _reason(key: str, **values: Any) -> dict[str, Any]:
    return {"key": key, "values": values}


def reasons(candidate: dict[str, Any], production: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Why this candidate may not be promoted (empty: it passes). Each reason is an i18n key with
    its values, so the page shows it in the operator's language."""
    found: list[dict[str, Any]] = []
    for lang, accuracy in sorted(candidate["accuracy"].items()):
        before = (production or {}).get("accuracy", {}).get(lang)
        if before is not None and before - accuracy > MAX_ACCURACY_DROP + 1e-9:
            found.append(_reason("gate_accuracy_drop", split=lang,
                                 before=round(100 * before, 1), after=round(100 * accuracy, 1)))
    if candidate["oos_recall"] < MIN_OOS_RECALL:
        found.append(_reason("gate_oos_recall", value=round(100 * candidate["oos_recall"], 1)))
    if candidate["in_scope_rejected"] > MAX_IN_SCOPE_REJECTED:
        found.append(_reason("gate_in_scope_rejected",
                             value=round(100 * candidate["in_scope_rejected"], 1)))
    for story in candidate["conversations"]["failed"] or (
            [] if candidate["conversations"]["passed"] else ["?"]):
        found.append(_reason("gate_conversation_failed", story=story))
    return found


def prediction_diff(candidate: dict[str, Any],
                    production: dict[str, Any] | None) -> dict[str, list[dict[str, str]]]:
    """gold intent -> the held-out messages whose prediction changed, before and after."""
    before = {(lang, text): pred for lang, text, _gold, pred in
              (production or {}).get("predictions", [])}
    diff: dict[str, list[dict[str, str]]] = defaultdict(list)
    for lang, text, gold, pred in candidate["predictions"]:
        old = before.get((lang, text))
        if old is not None and old != pred:
            diff[gold].append({"language": lang, "text": text, "before": old, "after": pred})
    return dict(sorted(diff.items()))


def decide(candidate: dict[str, Any], production: dict[str, Any] | None) -> dict[str, Any]:
    found = reasons(candidate, production)
    return {"passed": not found, "reasons": found, "diff": prediction_diff(candidate, production)}
