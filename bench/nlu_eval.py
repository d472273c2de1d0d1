"""NLU evaluation on data the model never trained on, and the report in docs/nlu-evaluation.md.

- Held-out split (tests/nlu_heldout/, written apart from the training data): intent accuracy per
  language, confusion matrix, share of in-scope messages rejected (out_of_scope / nlu_fallback).
- CLINC150 oos_val (tests/nlu_eval/, CC BY 3.0): out-of-scope recall; also on CLINC val queries
  of intents that are out of scope for this assistant.

    .venv/rasa/bin/python bench/nlu_eval.py [--model models] [--write-doc]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REJECT = {"out_of_scope", "nlu_fallback"}
DOC = ROOT / "docs" / "nlu-evaluation.md"


def load_heldout(lang: str) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "tests" / "nlu_heldout" / f"heldout_{lang}.yml"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def load_clinc() -> dict[str, list[str]]:
    d = json.loads((ROOT / "tests" / "nlu_eval" / "clinc150_eval.json").read_text())
    return {"oos_val": [t for t, _ in d["oos_val"]],
            "val_out_of_scope_for_us": [t for t, _ in d["val_out_of_scope_for_us"]]}


async def predict(model_path: str, texts: list[str]) -> list[tuple[str, float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        # The classifier's own top intent, before the FallbackClassifier replaced it.
        raw = next((r for r in parsed.get("intent_ranking", []) if r["name"] != "nlu_fallback"),
                   parsed["intent"])
        out.append((parsed["intent"]["name"], raw.get("confidence", 0.0), raw["name"]))
    return out


def latest_model(path: str) -> str:
    p = Path(path)
    if p.is_file():
        return str(p)
    models = sorted(p.glob("*.tar.gz"), key=lambda f: f.stat().st_mtime)
    if not models:
        raise SystemExit(f"no model in {path}: run `make train`")
    return str(models[-1])


def evaluate(model_path: str, with_heldout: bool = True) -> dict:
    heldout = {lang: load_heldout(lang) for lang in ("zh", "en")} if with_heldout else {}
    clinc = load_clinc()
    texts = [t for lang in heldout for t, _ in heldout[lang]] + clinc["oos_val"] + \
        clinc["val_out_of_scope_for_us"]
    preds = asyncio.run(predict(model_path, texts))
    i = 0
    result: dict = {"model": os.path.basename(model_path), "languages": {}}
    confusion: dict[str, Counter] = defaultdict(Counter)
    errors = []
    in_scope_total = in_scope_rejected = 0
    for lang, rows in heldout.items():
        correct = 0
        for text, gold in rows:
            pred = preds[i][0]
            i += 1
            confusion[gold][pred] += 1
            correct += pred == gold or (gold == "out_of_scope" and pred in REJECT)
            if pred != gold and not (gold == "out_of_scope" and pred in REJECT):
                errors.append((lang, text, gold, pred))
            if gold != "out_of_scope":
                in_scope_total += 1
                in_scope_rejected += pred in REJECT
        result["languages"][lang] = {"n": len(rows), "accuracy": correct / len(rows)}
    for split in ("oos_val", "val_out_of_scope_for_us"):
        n = len(clinc[split])
        rejected = sum(p[0] in REJECT for p in preds[i:i + n])
        result[split] = {"n": n, "recall": rejected / n,
                         "raw": [(p[2], p[1]) for p in preds[i:i + n]]}
        i += n
    result["in_scope_rejected"] = in_scope_rejected / in_scope_total if in_scope_total else None
    result["confusion"] = {g: dict(c) for g, c in confusion.items()}
    result["errors"] = errors
    return result


def write_doc(r: dict) -> None:
    intents = sorted(r["confusion"])
    preds = sorted({p for c in r["confusion"].values() for p in c})
    lines = ["# NLU evaluation", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on `{r['model']}` with "
             "`make evaluate` (`bench/nlu_eval.py --write-doc`).", "",
             "The held-out split (`tests/nlu_heldout/`) was written separately from the training data "
             "and is never used for training or tuning. CLINC150 (`tests/nlu_eval/`, CC BY 3.0) "
             "is used only for evaluation and threshold tuning.", "",
             "The FallbackClassifier threshold is chosen on CLINC150 oos_val only (`--tune`): the "
             "lowest threshold whose out-of-scope recall reaches 92%. A lower threshold rejects fewer "
             "in-scope messages but lets more out-of-scope ones through; the held-out split is not "
             "consulted for it.", "",
             "The intent classifier (bot/nlu/intent_classifier.py, settings in config.yml) and its "
             "settings were chosen by 5-fold cross-validation on the training data only "
             "(`bench/nlu_cv.py`, docs/nlu-cross-validation.md), never on the held-out split.", "",
             "| measure | value | target |", "|---|---:|---:|"]
    for lang, v in r["languages"].items():
        lines.append(f"| intent accuracy, held-out {lang} (n={v['n']}) | {v['accuracy']:.1%} | ≥ 95% |")
    lines += [f"| out-of-scope recall, CLINC150 oos_val (n={r['oos_val']['n']}) | "
              f"{r['oos_val']['recall']:.1%} | ≥ 90% |",
              f"| out-of-scope recall, CLINC150 val, intents out of scope for us "
              f"(n={r['val_out_of_scope_for_us']['n']}) | {r['val_out_of_scope_for_us']['recall']:.1%} | |",
              f"| in-scope held-out messages rejected | {r['in_scope_rejected']:.1%} | ≤ 3% |", "",
              "## Confusion matrix (held-out, both languages; rows: true intent, columns: predicted)", "",
              "| true \\ predicted | " + " | ".join(p.replace("_", " ") for p in preds) + " |",
              "|---|" + "---:|" * len(preds)]
    for g in intents:
        lines.append(f"| {g} | " + " | ".join(str(r["confusion"][g].get(p, "")) for p in preds) + " |")
    lines += ["", "## Errors on the held-out split", ""]
    lines += [f"- ({lang}) `{text}`: expected {gold}, got {pred}" for lang, text, gold, pred in r["errors"]]
    if not r["errors"]:
        lines.append("None.")
    DOC.write_text("\n".join(lines) + "\n")


def headline(r: dict) -> dict:
    return {"accuracy": {lang: v["accuracy"] for lang, v in r["languages"].items()},
            "oos_val_recall": r["oos_val"]["recall"], "in_scope_rejected": r["in_scope_rejected"]}


def tune_threshold(r: dict, target: float = 0.92) -> None:
    """Fallback threshold from CLINC150 oos_val ONLY (never the held-out split): the lowest
    threshold whose out-of-scope recall reaches the target, since a lower threshold rejects
    fewer in-scope messages."""
    raw = r["oos_val"]["raw"]
    for thr in [x / 100 for x in range(10, 91, 5)]:
        recall = sum(name == "out_of_scope" or conf < thr for name, conf in raw) / len(raw)
        print(f"  threshold {thr:.2f}: oos_val recall {recall:.1%}")
        if recall >= target:
            print(f"lowest threshold reaching {target:.0%}: {thr:.2f}")
            return


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models"))
    ap.add_argument("--write-doc", action="store_true")
    ap.add_argument("--json", help="also write the headline figures to this JSON file (bench/)")
    ap.add_argument("--tune", action="store_true",
                    help="only suggest a fallback threshold from CLINC oos_val (no held-out split)")
    args = ap.parse_args()
    if args.tune:  # CLINC oos_val only: the held-out split is not even loaded
        tune_threshold(evaluate(latest_model(args.model), with_heldout=False))
        return 0
    r = evaluate(latest_model(args.model))
    for lang, v in r["languages"].items():
        print(f"held-out {lang}: accuracy {v['accuracy']:.1%} (n={v['n']})")
    print(f"CLINC oos_val recall {r['oos_val']['recall']:.1%}; CLINC val (ours OOS) recall "
          f"{r['val_out_of_scope_for_us']['recall']:.1%}; in-scope rejected {r['in_scope_rejected']:.1%}")
    for lang, text, gold, pred in r["errors"]:
        print(f"  ({lang}) {text!r}: {gold} -> {pred}")
    if args.json:
        Path(args.json).write_text(json.dumps(headline(r), indent=2))
    if args.write_doc:
        write_doc(r)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
